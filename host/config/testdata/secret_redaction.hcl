# Every secret below is wrong in some way; no diagnostic may show "ZZ-SECRET".
plugin "acme" {
  config {
    api_key = ["ZZ-SECRET-LIST"]
    license = "ZZ-SECRET-NOT-ALLOWED"
  }
}

plugin "grandstream" {}

site "hq" {
  device "agent" {
    driver    = "acme"
    model     = "A100"
    extension = 200
    pin       = env("CTIHOST_TEST_SECRET_PIN")
  }
  device "agent-2" {
    driver    = "acme"
    model     = "A100"
    extension = 201
    pin       = "ZZ-SECRET-INLINE-PIN"
  }
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = "ZZ-SECRET-SUM" + 1
  }
  device "hall" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18102"
    passcode = {value = "ZZ-SECRET-OBJECT"}
  }
}
