# Count the words of every text file under data/: one map task per file
# (wc -w), then one reduce that adds the counts up.
#
#   lithops -chdir=examples/wordcount apply -auto-approve
#
# Run it again and nothing runs: every task's input is unchanged. Edit one
# file under data/ and only its task runs (and the reduce).

variable "workers" {
  type        = number
  default     = 4
  description = "Worker processes on this machine."
}

executor "local" {
  backend          = "localhost"
  worker_processes = var.workers
}

job "wordcount" {
  executor = executor.local
  retries  = 2
  timeout  = "1m"

  map {
    over    = fileset(path.root, "data/*.txt")
    command = ["wc", "-w", "${path.root}/${each.value}"]
  }

  reduce {
    command = ["awk", "{s += $1} END {print s}"]
  }
}

output "words" {
  value       = job.wordcount.result
  description = "Words in all the files."
}

output "files" {
  value = length(job.wordcount.results)
}
