job "hello" {
  map {
    over    = ["a", "b"]
    command = ["echo", "hello", each.value]
  }
}
