# Partitioned scan: count the lines of one S3 object, split into CHUNKS
# newline-aligned chunks read with ranged GETs, one `wc -l` task per chunk,
# summed by the reduce. The harness runs it with -var endpoint=URL and the
# credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
variable "endpoint" {
  type = string
}

# The tasks wait on the network, not the CPU: one process per chunk.
executor "local" {
  backend          = "localhost"
  worker_processes = CHUNKS
}

storage "data" {
  backend          = "s3"
  bucket           = "bench"
  region           = "us-east-1"
  endpoint         = var.endpoint
  force_path_style = true
}

job "scan" {
  executor = executor.local
  map {
    input {
      storage     = storage.data
      keys        = ["KEY"]
      chunk_count = CHUNKS
      newline     = true
    }
    command = ["wc", "-l"]
  }
  reduce {
    command = ["awk", "{s += $1} END {print s}"]
  }
}

output "lines" {
  value = job.scan.result
}
