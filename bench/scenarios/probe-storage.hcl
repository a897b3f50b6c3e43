# Does this build have the localhost storage backend? `lithops validate` of
# this file succeeds when it does.
storage "probe" {
  backend = "localhost"
  path    = "${path.root}/probe"
  create  = true
}
