# A task that fails once and succeeds when retried: each task's first attempt
# leaves a marker and exits 1; the retry finds the marker, removes it and
# succeeds. The apply reports the failed attempts and finishes with every
# task done.
#
#   lithops -chdir=examples/flaky apply -auto-approve

job "flaky" {
  retries = 2

  map {
    over = ["alpha", "beta", "gamma"]
    command = ["sh", "-c", <<-EOT
      mark="$1/.lithops/flaky-$2"
      if [ -e "$mark" ]; then
        rm "$mark"
        echo "$2 succeeded on a retry"
      else
        mkdir -p "$1/.lithops" && touch "$mark"
        echo "$2: transient failure, try again" >&2
        exit 1
      fi
      EOT
    , "flaky", path.root, each.value]
  }
}

output "results" {
  value = job.flaky.results
}
