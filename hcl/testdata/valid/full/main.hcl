lithops {
  required_version = ">= 0.1"
  state            = "run.state"
}

variable "workers" {
  type        = number
  default     = 4
  description = "Worker processes"

  validation {
    condition     = var.workers > 0 && var.workers <= 64
    error_message = "workers must be between 1 and 64."
  }
}

variable "token" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}

variable "shards" {
  type = object({
    count  = number
    prefix = optional(string, "part")
  })
  default = { count = 3 }
}

locals {
  names  = [for i in range(var.shards.count) : "${var.shards.prefix}-${i}"]
  lookup = { for n in local.names : n => upper(n) }
  total  = length(job.first.results)
}

executor "local" {
  backend          = "localhost"
  worker_processes = var.workers
  env              = { LANG = "C" }
}

storage "data" {
  backend = "fake"
  bucket  = "b-${var.shards.prefix}"
  lifecycle {
    prevent_destroy = true
  }
}

runtime "py" {
  memory  = 512
  timeout = "5m"
}

job "first" {
  executor    = executor.local
  storage     = storage.data
  retries     = 2
  timeout     = "10m"
  output      = "json"
  chunksize   = 2
  max_workers = 8
  speculation = true
  env         = { TOKEN = var.token }
  files       = ["main.hcl"]

  map {
    over    = local.lookup
    command = ["sh", "-c", "echo {\\\"k\\\": \\\"$1\\\"}", "sh", each.key, each.value]
    env     = { ITEM = each.key }
  }

  reduce {
    command = ["jq", "-s", "length"]
    output  = "json"
  }
}

job "second" {
  depends_on = [job.first]
  rerun      = "always"
  map {
    over    = job.first.results
    command = ["echo", jsonencode(each.value), tostring(local.total)]
  }
}

job "chunks" {
  map {
    input {
      path       = "main.hcl"
      chunk_size = "1KiB"
      newline    = true
    }
    command = ["wc", "-l"]
  }
}

job "objects" {
  map {
    input {
      storage     = storage.data
      prefix      = "logs/"
      chunk_count = 4
    }
    command = ["grep", "-c", "ERROR"]
  }
}

output "first" {
  value       = job.first.result
  description = "How many items the first job saw"
}

output "secret" {
  value     = var.token
  sensitive = true
}
