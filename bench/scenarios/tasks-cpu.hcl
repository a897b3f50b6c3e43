# CPU-bound tasks: one task per line of items.txt, each a fixed awk loop of
# a million steps seeded with the item, printing one number.
job "bench" {
  map {
    over    = split("\n", chomp(file("${path.root}/items.txt")))
    command = ["awk", "-v", "seed=${each.value}", "BEGIN { s = seed; for (i = 0; i < 1000000; i++) s = (s * 31 + i) % 1000003; print s }"]
  }
}
