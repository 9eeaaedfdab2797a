host {}
host {
  log_level = "debug"
}

plugin "grandstream" {
  config {}
  config {}
}
plugin "grandstream" {
  enabled = false
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
  device "reception" {
    driver   = "grandstream"
    model    = "GXP1165"
    host     = "127.0.0.1:18102"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}

site "hq" {
  device "lobby" {
    driver   = "grandstream"
    model    = "DP750"
    host     = "127.0.0.1:18103"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
}
