# The simulated default configuration that `make run` serves: two sites of
# Grandstream phones, each with its own driver process, so killing one site's
# driver visibly leaves the other serving, and a contact centre on a
# (simulated) Avaya IP Office PBX. The phones are simulated by bin/gssim on
# loopback; point `host` at real phones to drive real ones. The IP Office is
# simulated by bin/ipofficesim on loopback; see site "cc" below to point it
# at a real one.

host {
  listen          = "127.0.0.1:7070" # the host API for apps and ctictl
  # The same API over HTTP/JSON, server-sent events and the web console
  # (the host prints the console's URL with a one-time sign-in code).
  http_listen     = "127.0.0.1:7071"
  plugin_dir      = "./bin/plugins"
  log_level       = "info"
  log_format      = "text"
  command_timeout = "5s"
  event_buffer    = 10000
  # Where phones call drivers back with events (Snom's action URLs): the
  # host hands each request to the driver process serving the phone.
  callback_listen = "127.0.0.1:7080"
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

plugin "snom" {
  # Snom D3xx/D7xx desk phones: commands over HTTP (keys, CSTA), events by
  # the action URLs the driver installs on each phone, pointing at
  # callback_listen. The driver has no plugin-wide settings it needs.
}

plugin "ipoffice" {
  # Avaya IP Office through its MTCTI3 interface (a secure websocket): one
  # link per IP Office, written as a connection block in each site that uses
  # it. The driver has no plugin-wide settings.
}

plugin "mirta" {
  # MiRTA PBX through its HTTP API (proxyapi.php): one tenant per
  # connection block, polled once per poll_interval for the whole tenant.
  # The driver has no plugin-wide settings.
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
  # A Snom phone (simulated by bin/snomsim): the phone's web interface
  # user and password ("HTTP user name/password"), here from SNOM_PASSWORD.
  device "lobby" {
    driver   = "snom"
    model    = "D785"
    host     = "127.0.0.1:18301"
    username = "admin"
    password = env("SNOM_PASSWORD")
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

# A contact centre on an IP Office. Its devices need no blocks: the driver
# discovers the IP Office's users and hunt groups and names them by their
# extension number, "cc/201" ... "cc/206" (users) and "cc/601" (the Support
# hunt group); `ctictl devices` shows them as discovered. A device block
# gives one a name of its own, as "cc/sales" below.
site "cc" {
  connection "ipo" {
    driver = "ipoffice"
    # `make run` starts a simulated IP Office here (bin/ipofficesim): six
    # users, two hunt groups, and a caller into a hunt group every minute.
    # For a real one: its address, "host" or "host:port" (port 443 if
    # absent), and a second one of its network in secondary_address.
    address = "127.0.0.1:18443"
    # A service user of the IP Office, in a rights group with Enhanced TSPI
    # Access ("TestApplication" is the simulator's), and its password from
    # the host's environment: `make run` sets IPO_PASSWORD to
    # "ipo-sim-password" unless it is set already.
    username = "TestApplication"
    password = env("IPO_PASSWORD")
    # Which certificate to trust (one of these; none: the system's roots).
    # certificate_sha256: the fingerprint of the IP Office's own certificate
    # (its factory self-signed one): `openssl s_client -connect HOST:443`
    # piped to `openssl x509 -noout -fingerprint -sha256` prints it. Here
    # the simulator's, which it writes at every start (file() reads it,
    # relative to this file's folder).
    # ca_file: an absolute path to PEM certificates that sign the IP
    # Office's certificate.
    # insecure_skip_verify = true trusts anyone: never beyond a lab.
    certificate_sha256 = file("bin/ipofficesim.sha256")
    # users = "*" and queues = "*" (the defaults) observe every user and
    # hunt group; a list such as "201,202" observes only those.
  }

  # The Sales hunt group (600) as "cc/sales": model "queue" for a hunt
  # group, "user" for a user; extension is its number on the IP Office (by
  # default the block's name).
  device "sales" {
    driver     = "ipoffice"
    model      = "queue"
    connection = "ipo"
    extension  = "600"
  }
}

# A tenant of a hosted MiRTA PBX: its extensions and queues are discovered
# ("mt/101", "mt/q281": a queue by its id) and refreshed every minute.
site "mt" {
  connection "pbx" {
    driver = "mirta"
    # `make run` starts a simulated MiRTA PBX here (bin/mirtasim) with
    # tenant DEVEL: extensions 101-106, queues, a phonebook, and a caller
    # every 40s. For a real one: https://your-pbx, and path
    # "/mirtapbx/proxyapi.php" on MiRTA's demo server.
    url    = "http://127.0.0.1:18401"
    tenant = "DEVEL"
    # The tenant's read/write API key (Configuration/Settings) from the
    # host's environment: `make run` sets MIRTA_KEY to "mirta-sim-key"
    # unless it is set already. The admin key works too; tenant still
    # keeps the site to this tenant.
    key = env("MIRTA_KEY")
    # Call events are as fresh as the poll: 2 requests per poll plus 2 per
    # queue.
    poll_interval = "1s"
    # Put the phonebook's contact on ringing inbound calls (a screen pop
    # without a second request); `ctictl lookup mt/101 NUMBER` asks itself.
    enrich_calls = true
  }
}
