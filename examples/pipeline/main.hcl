# Two jobs in a row: the second maps over the results of the first.
#
#   lithops -chdir=examples/pipeline apply -auto-approve
#
# job.square prints each number's square as JSON; job.describe runs one task
# per square, so its tasks are "(known after apply)" in the first plan.

variable "n" {
  type    = number
  default = 10
}

job "square" {
  output = "json"
  map {
    over    = range(1, var.n + 1)
    command = ["sh", "-c", "echo $(( $1 * $1 ))", "square", each.value]
  }
}

job "describe" {
  map {
    over    = job.square.results
    command = ["sh", "-c", "if [ $(( $1 % 2 )) -eq 0 ]; then echo even; else echo odd; fi", "describe", each.value]
  }
  reduce {
    command = ["sh", "-c", "sort | uniq -c | awk '{print $2\"=\"$1}' | paste -sd, -"]
  }
}

output "squares" {
  value = job.square.results
}

output "parity" {
  value = job.describe.result
}
