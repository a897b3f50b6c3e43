# Does this build have the SSH fleet executor? `lithops validate` of this
# file succeeds when it does (the address is never contacted).
executor "fleet" {
  backend = "vm"
  hosts   = ["127.0.0.1"]
}
