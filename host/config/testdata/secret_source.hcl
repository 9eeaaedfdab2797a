# Values read by env() or file() are never shown, even for settings that are
# not secret: a whole file is refused, a wrong value is named by its type.
plugin "grandstream" {
  config {
    poll_interval = env("CTIHOST_TEST_SECRET_PIN")
  }
}

site "hq" {
  device "reception" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = file("secrets/multiline.txt")
    passcode = env("CTIHOST_TEST_GXP_HQ")
    hs       = file("secrets/branch.passcode")
  }
  device "lobby" {
    driver   = "grandstream"
    model    = "GXP2135"
    host     = "127.0.0.1:18102"
    passcode = file(env("CTIHOST_TEST_SECRET_PIN"))
  }
}
