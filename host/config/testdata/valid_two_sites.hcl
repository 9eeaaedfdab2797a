# Two sites served by two drivers; every host attribute set.
host {
  listen          = "0.0.0.0:7070"
  plugin_dir      = "plugins"
  log_level       = "debug"
  log_format      = "json"
  command_timeout = "2500ms"
  event_buffer    = 500
}

plugin "grandstream" {
  sha256 = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
  config {
    poll_interval = "250ms"
  }
}

plugin "acme" {
  path = "/opt/acme/cti-driver-acme"
  config {
    api_key = env("CTIHOST_TEST_ACME_KEY")
    region  = "us"
  }
}

plugin "snom" {
  enabled = false
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "gxp2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
  device "sales" {
    driver   = "grandstream"
    model    = "DP750"
    host     = "127.0.0.1:18102"
    passcode = "${env("CTIHOST_TEST_GXP_HQ")}-sales"
    hs       = 3
  }
  device "agent-1" {
    driver      = "acme"
    model       = "A200"
    extension   = "201"
    pin         = file("secrets/pin.txt")
    auto_answer = true
  }
}

site "branch" {
  device "desk" {
    driver   = "grandstream"
    model    = "GXP1165"
    host     = "10.0.0.5:80"
    passcode = file("secrets/branch.passcode")
  }
}
