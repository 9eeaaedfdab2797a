host {
  listen = "127.0.0.1:7070"
  listen = "127.0.0.1:7071"
}

plugin "grandstream" {
  enabled = true;
}

site 'hq' {}
