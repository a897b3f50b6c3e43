# Throughput with a shell per task: one task per line of items.txt, each
# running `sh -c 'echo "$0"' ITEM`, the form of the issue's xargs figure.
job "bench" {
  map {
    over    = split("\n", chomp(file("${path.root}/items.txt")))
    command = ["sh", "-c", "echo \"$0\"", each.value]
  }
}
