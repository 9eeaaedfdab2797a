plugin "grandstream" {
  config {
    poll_interval = env("CTIHOST_TEST_UNSET_POLL")
  }
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "${env("CTIHOST_TEST_UNSET_HOST")}:18101"
    passcode = env("CTIHOST_TEST_UNSET")
  }
}
