# Count ERROR lines in a large log, split into chunks that never cut a line:
# one grep per chunk, run in parallel, then a reduce that adds the counts.
#
#   lithops -chdir=examples/grep apply -auto-approve
#
# The first job generates the log (var.lines lines, ~13 bytes each) with awk.
# The grep job depends on it, so its chunks are known only after it ran:
# the plan says "(known after apply)". Re-running with the log unchanged
# runs nothing; to make a new log, lithops apply -replace=job.generate.

variable "lines" {
  type    = number
  default = 2000000
}

variable "chunks" {
  type    = number
  default = 8
}

job "generate" {
  map {
    over = [var.lines]
    command = ["awk", "-v", "n=${each.value}", "-v", "out=${path.root}/app.log",
    "BEGIN { for (i = 1; i <= n; i++) print (i % 97 == 0 ? \"ERROR\" : \"INFO\"), i > out; print n }"]
  }
}

job "errors" {
  depends_on = [job.generate]

  map {
    input {
      path        = "app.log"
      chunk_count = var.chunks
      newline     = true
    }
    command = ["grep", "-c", "^ERROR"]
  }

  reduce {
    command = ["awk", "{s += $1} END {print s}"]
  }
}

output "error_lines" {
  value = job.errors.result
}
