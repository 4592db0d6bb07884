variable "project_id" {
  description = "Google Cloud project of the gateway, its topics and (when enabled) the BigQuery dataset."
  type        = string
}

variable "region" {
  description = "Region of the gateway function (for example us-central1)."
  type        = string
}

variable "name" {
  description = "Prefix of every resource name of the gateway (function, topics, service accounts, secret). Lowercase letters, digits and dashes, 3 to 18 characters."
  type        = string
  default     = "tally-gateway"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,16}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 18 characters: a lowercase letter, then lowercase letters, digits or dashes, not ending with a dash."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "source_object" {
  description = "Cloud Storage object holding the gateway function's deployable (a zip of the directory scripts/build-function-sources.sh prepares). Name the object by the zip's hash so that a code change redeploys."
  type = object({
    bucket = string
    object = string
  })
}

variable "instance_tokens" {
  description = "TELEMETRY_GATEWAY_INSTANCE_TOKENS: sender => lowercase hex SHA-256 of its bearer token (printf %s \"$TOKEN\" | sha256sum). A sender is instance:ID (an unlicensed instance), licensed-instance:ID (a licensed instance: the only kind that may publish as licensed_instance, and also as unlicensed), service:ID (a managed service), or a bare ID, which means instance:ID. An instance with a license key needs licensed-instance:ID; with instance:ID its exports are refused (PERMISSION_DENIED). Stored in Secret Manager as sender=hash,sender2=hash2. Ephemeral (a hash of a token generated in the apply is ephemeral too): written through a write-only argument, never to the state, and only when instance_tokens_version changes."
  type        = map(string)
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = length(var.instance_tokens) > 0
    error_message = "instance_tokens must name at least one sender: a gateway without tokens accepts nothing."
  }

  validation {
    condition     = alltrue([for id, hash in var.instance_tokens : can(regex("^[^,=\\s]+$", id)) && can(regex("^[0-9a-f]{64}$", hash))])
    error_message = "Each instance_tokens entry must map an ID without commas, equals signs or spaces to 64 lowercase hex digits (the token's SHA-256, not the token)."
  }
}

variable "instance_tokens_version" {
  description = "Version of instance_tokens in Secret Manager. Terraform does not keep the list, so it cannot see it change: raise this number with every change of instance_tokens (a sender added or removed, a token rotated), or the gateway keeps the list it has."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_tokens_version >= 1 && floor(var.instance_tokens_version) == var.instance_tokens_version
    error_message = "instance_tokens_version must be a whole number of at least 1; raise it with every change of instance_tokens."
  }
}

variable "topic_name" {
  description = "Pub/Sub topic every accepted event is published to (TELEMETRY_GATEWAY_TOPIC). null: <name>-events."
  type        = string
  default     = null
}

variable "dead_letter_topic_name" {
  description = "Pub/Sub topic for events that can never be accepted (TELEMETRY_GATEWAY_DEAD_LETTER_TOPIC). null: <name>-dead-letter."
  type        = string
  default     = null
}

variable "topic_message_retention" {
  description = "How long the topics keep published messages, so that a subscription created later can seek back to them (a topic without subscriptions otherwise drops them). Between 600s and 2678400s (31 days)."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.topic_message_retention)) && tonumber(trimsuffix(var.topic_message_retention, "s")) >= 600 && tonumber(trimsuffix(var.topic_message_retention, "s")) <= 2678400
    error_message = "topic_message_retention must be seconds such as 604800s, between 600s and 2678400s."
  }
}

variable "max_instances" {
  description = "Upper bound of gateway instances."
  type        = number
  default     = 20

  validation {
    condition     = var.max_instances >= 1 && floor(var.max_instances) == var.max_instances
    error_message = "max_instances must be a whole number of at least 1."
  }
}

variable "min_instances" {
  description = "Gateway instances kept warm, billed while idle (about 13 USD a month for one of 1 vCPU and 1 GiB at us-central1's idle rate). One by default: every instance's export calls the gateway, on the same schedule boundaries, and a Java cold start (about 2 s here, 2.6-3.1x a trivial function: the Pub/Sub client) would otherwise delay the first call after a quiet spell and every call that scales the gateway out. 0 for a test deployment."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 0 && floor(var.min_instances) == var.min_instances
    error_message = "min_instances must be a whole number of at least 0."
  }

  # Refers to another variable: Terraform 1.9 or later.
  validation {
    condition     = var.min_instances <= var.max_instances
    error_message = "min_instances must not exceed max_instances."
  }
}

variable "cpu" {
  description = "vCPUs of one gateway instance (available_cpu, such as 1 or 2). A whole vCPU lets an instance serve concurrent requests."
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.cpu)) && can(tonumber(var.cpu)) && tonumber(var.cpu) > 0 && tonumber(var.cpu) <= 8
    error_message = "cpu must be a number of vCPUs such as 0.583, 1 or 2, at most 8."
  }
}

variable "concurrency" {
  description = "Requests one gateway instance serves at once (max_instance_request_concurrency). Each may hold a body of up to max_request_bytes, decoded: keep concurrency x max_request_bytes x about 3 within memory. Above 1 needs cpu of at least 1."
  type        = number
  default     = 4

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000 && floor(var.concurrency) == var.concurrency
    error_message = "concurrency must be a whole number between 1 and 1000."
  }
}

variable "iam_propagation_wait" {
  description = "How long the build and the first instances wait after the service accounts' grants were made, for IAM to propagate (a duration for time_sleep, such as 120s or 3m). Only on the first apply, or when a grant is made again."
  type        = string
  default     = "120s"

  validation {
    condition     = can(regex("^[0-9]+(s|m)$", var.iam_propagation_wait))
    error_message = "iam_propagation_wait must be a duration such as 120s or 3m."
  }
}

variable "deployer_member" {
  description = "Who runs terraform apply, as an IAM member (user:..., serviceAccount:... or group:...): given Service Account User on the gateway's and its build's service accounts only, which creating the function and the Cloud Run service as them needs. null: the deployer must hold that role already (on the project)."
  type        = string
  default     = null

  validation {
    condition     = var.deployer_member == null || can(regex("^(user|serviceAccount|group):[^@\\s]+@[^@\\s]+$", var.deployer_member))
    error_message = "deployer_member must be user:EMAIL, serviceAccount:EMAIL or group:EMAIL."
  }
}

variable "native_grpc" {
  description = "Optional: the gateway as a native gRPC server (HTTP/2) on Cloud Run, for instances that export with grpcs:// (telemetry V2 instances that only speak native gRPC). image is the container scripts/build-gateway-server-image.sh builds from the gateway's deployable (by digest); the service has the function's service account, topics and token secret. concurrency counts calls (streams) one instance serves at once."
  type = object({
    enabled       = bool
    image         = optional(string)
    min_instances = optional(number, 0)
    max_instances = optional(number, 10)
    cpu           = optional(string, "1")
    memory        = optional(string, "1Gi")
    concurrency   = optional(number, 16)
  })
  default = { enabled = false }

  validation {
    condition = (
      var.native_grpc.min_instances >= 0 && var.native_grpc.max_instances >= 1
      && var.native_grpc.min_instances <= var.native_grpc.max_instances
      && var.native_grpc.concurrency >= 1 && var.native_grpc.concurrency <= 1000
      && can(regex("^[0-9]+(\\.[0-9]+)?$", var.native_grpc.cpu))
      && can(regex("^[0-9]+(Mi|Gi)$", var.native_grpc.memory))
    )
    error_message = "native_grpc: min_instances 0..max_instances, max_instances at least 1, concurrency 1..1000, cpu such as 1 or 2, memory such as 512Mi or 1Gi."
  }
}

variable "memory" {
  description = "Memory of one gateway instance (such as 512Mi or 1Gi). A request body up to max_request_bytes is held in memory."
  type        = string
  default     = "1Gi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.memory))
    error_message = "memory must look like 512Mi or 1Gi."
  }
}

variable "timeout_seconds" {
  description = "Timeout of one gateway request. Keep it above publish_timeout and above the exporters' call timeout (60s by default)."
  type        = number
  default     = 180

  validation {
    condition     = var.timeout_seconds >= 30 && var.timeout_seconds <= 3600 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "timeout_seconds must be a whole number between 30 and 3600."
  }
}

variable "publish_timeout" {
  description = "TELEMETRY_GATEWAY_PUBLISH_TIMEOUT: how long a batch waits for Pub/Sub before leaving events unacknowledged (a duration such as 30s)."
  type        = string
  default     = "30s"

  # The gateway refuses to start below 100ms (GatewayConfig).
  validation {
    condition = can(regex("^[0-9]+(ms|s|m)$", var.publish_timeout)) && try(
      tonumber(regex("^[0-9]+", var.publish_timeout)) * { ms = 1, s = 1000, m = 60000 }[regex("[a-z]+$", var.publish_timeout)] >= 100,
    false)
    error_message = "publish_timeout must be a duration of at least 100ms, such as 30s."
  }
}

variable "publish_threads" {
  description = "TELEMETRY_GATEWAY_PUBLISH_THREADS: threads sending batches to Pub/Sub."
  type        = number
  default     = 4

  validation {
    condition     = var.publish_threads >= 1 && var.publish_threads <= 64 && floor(var.publish_threads) == var.publish_threads
    error_message = "publish_threads must be a whole number between 1 and 64."
  }
}

variable "max_request_bytes" {
  description = "TELEMETRY_GATEWAY_MAX_REQUEST_BYTES: largest gRPC-web body. Cloud Functions itself refuses HTTP/1 requests over 32 MiB."
  type        = number
  default     = 33554432

  validation {
    condition     = var.max_request_bytes >= 1024 && var.max_request_bytes <= 33554432 && floor(var.max_request_bytes) == var.max_request_bytes
    error_message = "max_request_bytes must be a whole number between 1024 and 33554432 (32 MiB)."
  }
}

variable "bigquery" {
  description = "Optional BigQuery subscription for analysis: every message of the events topic lands as a row (data and attributes as JSON, plus message_id, publish_time, subscription_name) in <dataset_id>.<table_id>, partitioned by day of publish_time. Delivery is at least once: de-duplicate on JSON_VALUE(data, '$.event.id'). A message BigQuery refuses max_delivery_attempts times goes to the <name>-bigquery-dead-letter topic."
  type = object({
    enabled                   = bool
    dataset_id                = optional(string, "tally_telemetry")
    table_id                  = optional(string, "events")
    location                  = optional(string, "US")
    partition_expiration_days = optional(number)
    deletion_protection       = optional(bool, true)
    max_delivery_attempts     = optional(number, 5)
  })
  default = { enabled = false }

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,1024}$", var.bigquery.dataset_id)) && can(regex("^[A-Za-z0-9_-]{1,1024}$", var.bigquery.table_id))
    error_message = "bigquery.dataset_id may hold letters, digits and underscores; bigquery.table_id letters, digits, underscores and dashes."
  }

  validation {
    condition     = var.bigquery.partition_expiration_days == null ? true : var.bigquery.partition_expiration_days >= 1
    error_message = "bigquery.partition_expiration_days must be null (keep forever) or at least 1."
  }

  validation {
    condition     = var.bigquery.max_delivery_attempts >= 5 && var.bigquery.max_delivery_attempts <= 100
    error_message = "bigquery.max_delivery_attempts must be between 5 and 100 (Pub/Sub's bounds for a dead-letter policy)."
  }
}

variable "docker_repository" {
  description = "Artifact Registry Docker repository the functions' images are built into (projects/<project>/locations/<region>/repositories/<name>, same project and region), where its cleanup policies apply; the build account may push there and nowhere else. It must be known at plan (write it from the repository's project, location and repository_id: its id is known only once it exists). Null: the gcf-artifacts repository Cloud Functions creates and never cleans, which takes Artifact Registry Writer on the project."
  type        = string
  default     = null

  validation {
    condition     = var.docker_repository == null || can(regex("^projects/[^/]+/locations/[^/]+/repositories/[^/]+$", var.docker_repository))
    error_message = "docker_repository must be projects/<project>/locations/<region>/repositories/<name>, or null."
  }
}
