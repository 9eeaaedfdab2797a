# Only literals, strings, env() and file() are allowed in values.
host {
  listen          = "${env("CTIHOST_TEST_UNSET_HOST") == "" ? "a" : "b"}:7070"
  log_level       = info
  event_buffer    = 100 * 100
  command_timeout = [for s in ["5s"] : s][0]
}

plugin "grandstream" {
  config {
    max_concurrent_polls = 9e99999999
    poll_interval        = "${9e99999999}s"
  }
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = upper("gxp2135")
    host     = "%{for h in ["a", "b"]}${h}%{endfor}"
    passcode = env("CTIHOST_TEST_GXP_HQ")
    hs       = -2
  }
}
