plugin "grandstream" {}

site "hq" {
  device "reception" {
    driver = "grandstream"
    model  = "GXP2135"
    host   = "127.0.0.1:18101"
  }
}
