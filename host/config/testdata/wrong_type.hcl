host {
  event_buffer    = "lots"
  command_timeout = 5
}

plugin "grandstream" {
  enabled = "yes"
  config {
    poll_interval        = 5
    max_concurrent_polls = 2.5
  }
}

plugin "acme" {
  config {
    api_key = env("CTIHOST_TEST_ACME_KEY")
    region  = "asia"
  }
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = ["127.0.0.1", 18101]
    passcode = env("CTIHOST_TEST_GXP_HQ")
    hs       = true
  }
  device "agent" {
    driver      = "acme"
    model       = "A100"
    extension   = "two hundred"
    mode        = "headset"
    auto_answer = "sometimes"
  }
}
