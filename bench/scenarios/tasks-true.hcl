# Throughput, linearity and memory: one task per line of items.txt (the
# output of `seq N`), each running `true ITEM` directly (no shell).
job "bench" {
  map {
    over    = split("\n", chomp(file("${path.root}/items.txt")))
    command = ["true", each.value]
  }
}
