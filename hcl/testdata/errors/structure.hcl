variable "x" {
  type    = number
  default = "not a number" # ERROR: Invalid default value for variable
}

variable "x" { # ERROR: Duplicate variable
}

variable "each" { # ERROR: Reserved variable name
  default = 1
}

job "nomap" { # ERROR: Missing map block
  retries = 1
}

job "both" {
  map {
    over = [1] # ERROR: Conflicting map inputs
    input {
      path       = "f.txt"
      chunk_size = 10
    }
    command = ["cat"]
  }
}

job "bad" {
  colour = "red" # ERROR: Unsupported argument
  map {
    over    = [1]
    command = ["true"]
  }
}

executor "e" {
  backend = "lamda" # ERROR: Unknown executor backend
}

executor "v" {
  backend = "vm" # ERROR: Backend not available yet
}

executor "x" {
  backend = var.x # ERROR: Invalid executor backend
}
