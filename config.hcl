# The simulated default configuration that `make run` serves: two sites,
# each with its own Grandstream driver process, so killing one site's driver
# visibly leaves the other serving. The phones are simulated by bin/gssim on
# loopback; point `host` at real phones to drive real ones.

host {
  listen          = "127.0.0.1:7070" # the host API for apps and ctictl
  plugin_dir      = "./bin/plugins"
  log_level       = "info"
  log_format      = "text"
  command_timeout = "5s"
  event_buffer    = 10000
}

plugin "grandstream" {
  # path   = "./bin/plugins/cti-driver-grandstream" (the default)
  # sha256 = "…" pins the binary: a different one is refused.
  # isolation = "site" (the default) runs one process per site, as here;
  # "driver" runs one process for every site (cheaper, but shares crashes).
  config {
    poll_interval        = "500ms"
    poll_jitter          = "50ms"
    max_concurrent_polls = 64
  }
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18101"
    passcode = env("GXP_PASSCODE")
  }
  device "warehouse" {
    driver   = "grandstream"
    model    = "GXP1165"
    host     = "127.0.0.1:18102"
    passcode = env("GXP_PASSCODE")
  }
  device "dect" {
    driver   = "grandstream"
    model    = "DP750"
    host     = "127.0.0.1:18103"
    passcode = env("GXP_PASSCODE")
    hs       = 1
  }
}

site "branch" {
  device "desk1" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18201"
    passcode = env("GXP_PASSCODE")
  }
  device "desk2" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18202"
    passcode = env("GXP_PASSCODE")
  }
}
