plugin {}
plugin "Grand Stream" {}
plugin "grandstream" "extra" {}

site "hq/east" {
  device "" {
    driver = "grandstream"
    model  = "GXP2135"
  }
}

site "hq" {
  device "a/b" {
    driver = "grandstream"
    model  = "GXP2135"
  }
}
