# file() trims the trailing newline (LF or CRLF) of a secret file.
plugin "grandstream" {}

site "branch" {
  device "desk" {
    driver   = "grandstream"
    model    = "GXP1165"
    host     = "10.0.0.5:80"
    passcode = file("secrets/branch.passcode")
  }
  device "hall" {
    driver   = "grandstream"
    model    = "GXP1165"
    host     = "10.0.0.6:80"
    passcode = file("secrets/crlf.passcode")
  }
}
