variable "secret" {
  default   = "x"
  sensitive = true
}

variable "n" {
  type    = number
  default = 0
  validation {
    condition     = var.n > 0 # ERROR: Invalid value for variable
    error_message = "n must be positive."
  }
}

executor "local" {
  backend          = "localhost"
  worker_processes = 0 # ERROR: Invalid worker_processes
}

job "j" {
  retries = -1 # ERROR: Invalid retries
  timeout = "soon" # ERROR: Invalid timeout
  output  = "yaml" # ERROR: Invalid output
  map {
    over    = "abc" # ERROR: Invalid map collection
    command = ["echo"]
  }
}

job "k" {
  map {
    over    = [1]
    command = "echo hi" # ERROR: Invalid command
  }
}

output "leak" {
  value = var.secret # ERROR: Output refers to sensitive values
}

job "chunks" {
  map {
    input { # ERROR: Missing chunking
      path = "f.txt"
    }
    command = ["wc", "-l"]
  }
}

storage "plain" {
  backend = "fake"
  bucket  = "b"
  secret  = "AKIA-typed-into-hcl" # ERROR: Credential not from a sensitive variable
}

storage "guarded" {
  backend = "fake"
  bucket  = "b"
  secret  = var.secret
}
