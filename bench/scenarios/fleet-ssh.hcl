# SSH fleet: n tasks of `CMD ITEM` on the test hosts (network namespaces with
# their own sshd). The harness fills in HOSTS, SLOTS, CLIENT_KEY and
# KNOWN_HOSTS, and runs it with -var cmd=… -var n=….
variable "cmd" {
  type = string
}

variable "n" {
  type = number
}

executor "fleet" {
  backend          = "vm"
  hosts            = [HOSTS]
  worker_processes = SLOTS

  ssh {
    private_key_file = CLIENT_KEY
    known_hosts_file = KNOWN_HOSTS
  }
}

job "bench" {
  executor = executor.fleet
  map {
    over    = range(1, var.n + 1)
    command = [var.cmd, each.value]
  }
}
