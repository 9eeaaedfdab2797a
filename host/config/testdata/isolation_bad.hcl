plugin "grandstream" {
  isolation = "process"
}

plugin "acme" {
  isolation = true
  config {
    api_key = env("CTIHOST_TEST_ACME_KEY")
  }
}

plugin "yealink" {
  isolation = ["driver"]
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}
