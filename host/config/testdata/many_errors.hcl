# Many problems at once; every one must be reported.
host {
  listen          = "7070"
  log_level       = "verbose"
  log_format      = "xml"
  command_timeout = "5 seconds"
  event_buffer    = -1
  pluginn_dir     = "bin"
}

plugin "grandstream" {
  sha256 = "abc123"
  config {
    poll_interval       = "fast"
    max_concurent_polls = 8
  }
}

plugin "grandstream" {}

plugin "yealink" {
  enabled = false
}

plugin "snom" {}

sites "typo" {}

listen = ":7070"

site "hq" {
  location = "Berlin"

  device "reception" {
    driver  = "grandstream"
    model   = "GXP9999"
    host    = "127.0.0.1:18101"
    hs      = "two"
    passcod = env("CTIHOST_TEST_GXP_HQ")
  }
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18102"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
  device "desk" {
    driver = "yealink"
    model  = "T46"
  }
  device "lobby" {
    driver = "polycom"
    model  = "VVX410"
  }
  device "phone" {
    model = "GXP2135"
  }
  device "ext" {
    driver = "snom"
    model  = "D785"
  }
  device "hall" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = file("secrets/missing.txt")
    passcode = env("CTIHOST_TEST_UNSET")
    button {}
  }
}

site "hq" {}
