job "a" { # ERROR: Cycle between jobs
  map {
    over    = job.b.results
    command = ["echo", each.value]
  }
}

job "b" {
  depends_on = [job.a]
  map {
    over    = [1]
    command = ["echo"]
  }
}

job "self" { # ERROR: Cycle between jobs
  map {
    over    = job.self.results
    command = ["echo"]
  }
}
