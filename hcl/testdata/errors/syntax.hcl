job "j" {
  map {
    over = [1,
    command = ["echo"] # ERROR: Missing item separator
  }
}
