variable "workers" {
  default = 2
}

locals {
  a = local.b # ERROR: Cycle in local values
  b = local.a
  c = var.wrokers # ERROR: Reference to undeclared variable
  d = each.key # ERROR: Reference to each outside a map
  e = foo.bar # ERROR: Unknown reference
  f = path.home # ERROR: Invalid path reference
}

job "j" {
  executor = executor.nowhere # ERROR: Reference to undeclared executor
  map {
    over    = [1]
    command = ["echo", each.valeu] # ERROR: Invalid each reference
  }
}

output "o" {
  value = job.j.outputs # ERROR: Unsupported job attribute
}
