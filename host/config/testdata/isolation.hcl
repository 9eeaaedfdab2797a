# One grandstream process shared by both sites (isolation = "driver"); acme
# keeps the default, one process per site.
plugin "grandstream" {
  isolation = "driver"
  config {
    poll_interval = "250ms"
  }
}

plugin "acme" {
  isolation = "site"
  config {
    api_key = env("CTIHOST_TEST_ACME_KEY")
  }
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
  device "agent-1" {
    driver    = "acme"
    model     = "A200"
    extension = 201
  }
}

site "branch" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP1165"
    host     = "127.0.0.1:18201"
    passcode = "branch-inline"
  }
  device "desk" {
    driver   = "grandstream"
    model    = "DP750"
    host     = "127.0.0.1:18202"
    passcode = env("CTIHOST_TEST_GXP_HQ")
  }
  device "agent-2" {
    driver    = "acme"
    model     = "A100"
    extension = 202
  }
}
