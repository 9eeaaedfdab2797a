plugin "grandstream" {}

plugin "yealink" {
  enabled = false
}

site "hq" {
  device "lobby" {
    driver = "polycom"
    model  = "VVX410"
  }
  device "desk" {
    driver = "yealink"
    model  = "T46"
  }
  device "reception" {
    driver   = "grandstrem"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}
