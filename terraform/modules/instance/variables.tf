# --- Where ---

variable "project_id" {
  description = "Google Cloud project the instance is deployed to."
  type        = string
}

variable "region" {
  description = "Region of the Cloud SQL instance, the functions and the Cloud Scheduler job (for example us-central1)."
  type        = string
}

variable "name" {
  description = "Prefix of every resource name of this instance (functions, service accounts, secrets, database). Lowercase letters, digits and dashes, 3 to 16 characters, so that service account IDs stay within 30 characters."
  type        = string
  default     = "tally"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 16 characters: a lowercase letter, then lowercase letters, digits or dashes, not ending with a dash."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels."
  type        = map(string)
  default     = {}
}

# --- Function sources ---

variable "record_event_source" {
  description = "Cloud Storage object holding the record-event function's deployable (a zip of the directory scripts/build-function-sources.sh prepares: one manifest-only jar plus lib/). Name the object by the zip's hash so that a code change redeploys."
  type = object({
    bucket = string
    object = string
  })
}

variable "export_source" {
  description = "Cloud Storage object holding the export function's deployable (see record_event_source)."
  type = object({
    bucket = string
    object = string
  })
}

# --- Database ---

variable "database_version" {
  description = "Cloud SQL database version."
  type        = string
  default     = "POSTGRES_17"

  validation {
    condition     = can(regex("^POSTGRES_[0-9]+$", var.database_version))
    error_message = "database_version must be a Cloud SQL PostgreSQL version such as POSTGRES_17."
  }
}

variable "database_tier" {
  description = "Cloud SQL machine tier. db-f1-micro and db-g1-small are shared-core (Enterprise edition, no SLA) and cheapest; db-custom-CPUS-MEMORY_MB for dedicated cores."
  type        = string
  default     = "db-f1-micro"

  validation {
    condition     = can(regex("^db-(f1-micro|g1-small|custom-[0-9]+-[0-9]+|perf-optimized-N-[0-9]+)$", var.database_tier))
    error_message = "database_tier must be db-f1-micro, db-g1-small, db-custom-CPUS-MEMORY_MB or db-perf-optimized-N-CPUS."
  }
}

variable "database_edition" {
  description = "Cloud SQL edition. ENTERPRISE is required by the shared-core tiers (db-f1-micro, db-g1-small); PostgreSQL 16+ would default to ENTERPRISE_PLUS otherwise."
  type        = string
  default     = "ENTERPRISE"

  validation {
    condition     = contains(["ENTERPRISE", "ENTERPRISE_PLUS"], var.database_edition)
    error_message = "database_edition must be ENTERPRISE or ENTERPRISE_PLUS."
  }
}

variable "database_availability_type" {
  description = "ZONAL (one zone, cheapest) or REGIONAL (high availability, about twice the cost)."
  type        = string
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.database_availability_type)
    error_message = "database_availability_type must be ZONAL or REGIONAL."
  }
}

variable "database_disk_size_gb" {
  description = "Initial SSD size in GB; the disk grows automatically."
  type        = number
  default     = 10

  validation {
    condition     = var.database_disk_size_gb >= 10 && floor(var.database_disk_size_gb) == var.database_disk_size_gb
    error_message = "database_disk_size_gb must be a whole number of at least 10."
  }
}

variable "database_disk_autoresize_limit_gb" {
  description = "Largest size in GB the disk may grow to (disk_autoresize_limit). Cloud SQL grows the disk as it fills and never shrinks it, so without a cap a flood of events is a bill that stays. At the cap, writes fail (record-event answers 503) until the disk is raised or rows are pruned (event_logs_retention_days). 0 removes the cap."
  type        = number
  default     = 100

  # Refers to another variable: Terraform 1.9 or later. 65536 GB is Cloud SQL's largest disk.
  validation {
    condition     = floor(var.database_disk_autoresize_limit_gb) == var.database_disk_autoresize_limit_gb && (var.database_disk_autoresize_limit_gb == 0 || (var.database_disk_autoresize_limit_gb >= var.database_disk_size_gb && var.database_disk_autoresize_limit_gb <= 65536))
    error_message = "database_disk_autoresize_limit_gb must be 0 (no cap) or a whole number of GB from database_disk_size_gb to 65536."
  }
}

variable "database_point_in_time_recovery" {
  description = "Keep write-ahead logs for point-in-time recovery: restore the database to any second of the last 7 days, not only to the last daily backup (up to a day of events lost). Costs the logs' storage. On by default; turn it off only for a database you can lose a day of."
  type        = bool
  default     = true
}

variable "database_maintenance_window" {
  description = "When Cloud SQL may restart the instance for its updates (maintenance_window): day 1 (Monday) to 7 (Sunday), hour 0 to 23 UTC, update_track canary (about a week after Google's notice), stable (two weeks) or week5 (five weeks). A restart takes a minute or so without connections."
  type = object({
    day          = optional(number, 7)
    hour         = optional(number, 4)
    update_track = optional(string, "stable")
  })
  default = {}

  validation {
    condition = (
      var.database_maintenance_window.day >= 1 && var.database_maintenance_window.day <= 7 && floor(var.database_maintenance_window.day) == var.database_maintenance_window.day
      && var.database_maintenance_window.hour >= 0 && var.database_maintenance_window.hour <= 23 && floor(var.database_maintenance_window.hour) == var.database_maintenance_window.hour
      && contains(["canary", "stable", "week5"], var.database_maintenance_window.update_track)
    )
    error_message = "database_maintenance_window: day must be a whole number from 1 (Monday) to 7 (Sunday), hour from 0 to 23 (UTC), update_track canary, stable or week5."
  }
}

variable "database_password_version" {
  description = "Version of the database password. The password is generated in the apply and written only to Cloud SQL and Secret Manager (write-only arguments: never in the state). Raise this number to rotate it: one apply writes a new password to a new secret version and to the database user, and the functions move to the new version."
  type        = number
  default     = 1

  validation {
    condition     = var.database_password_version >= 1 && floor(var.database_password_version) == var.database_password_version
    error_message = "database_password_version must be a whole number of at least 1; raise it to rotate the password."
  }
}

variable "database_max_connections" {
  description = "PostgreSQL max_connections, set as a database flag so that the connection budget below is computed from the real value. Cloud SQL's defaults: 25 on db-f1-micro, 50 on db-g1-small."
  type        = number
  default     = 25

  validation {
    condition     = var.database_max_connections >= 14 && var.database_max_connections <= 10000 && floor(var.database_max_connections) == var.database_max_connections
    error_message = "database_max_connections must be a whole number between 14 and 10000."
  }
}

variable "database_reserved_connections" {
  description = "Connections kept out of the functions' budget: PostgreSQL's superuser reserve, Cloud SQL's own maintenance sessions, TallyAdmin (migrations, tokens) and an operator's psql."
  type        = number
  default     = 8

  validation {
    condition     = var.database_reserved_connections >= 3 && floor(var.database_reserved_connections) == var.database_reserved_connections
    error_message = "database_reserved_connections must be a whole number of at least 3 (PostgreSQL reserves 3 for superusers)."
  }
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance from deletion, both Terraform-side and by Cloud SQL's own deletion protection (which refuses any client). To tear the instance down, set false, apply, then destroy."
  type        = bool
  default     = true
}

variable "database_connect_timeout" {
  description = "DATABASE_CONNECT_TIMEOUT: how long a request waits for a pooled connection before it fails with 503 (a duration such as 10s)."
  type        = string
  default     = "10s"

  # The functions refuse to start below 250ms (DatabaseConfig).
  validation {
    condition = can(regex("^[0-9]+(ms|s|m)$", var.database_connect_timeout)) && try(
      tonumber(regex("^[0-9]+", var.database_connect_timeout)) * { ms = 1, s = 1000, m = 60000 }[regex("[a-z]+$", var.database_connect_timeout)] >= 250,
    false)
    error_message = "database_connect_timeout must be a duration of at least 250ms, such as 500ms, 10s or 1m."
  }
}

variable "migrate_on_start" {
  description = "DATABASE_MIGRATE_ON_START: each function instance applies pending migrations before it serves, under Flyway's advisory lock, so the schema is there before any traffic (and the scheduler's first export call). A schema that is current costs one query; Flyway loads only when a migration is pending. Off means running `TallyAdmin migrate` yourself before the functions get traffic."
  type        = bool
  default     = true
}

variable "iam_propagation_wait" {
  description = "How long the functions' builds wait after their service accounts' grants were made, for IAM to propagate (a duration for time_sleep, such as 120s or 3m). Only on the first apply, or when a grant is made again."
  type        = string
  default     = "120s"

  validation {
    condition     = can(regex("^[0-9]+(s|m)$", var.iam_propagation_wait))
    error_message = "iam_propagation_wait must be a duration such as 120s or 3m."
  }
}

# --- record-event ---

variable "deployer_member" {
  description = "Who runs terraform apply, as an IAM member (user:..., serviceAccount:... or group:...): given Service Account User on this instance's service accounts only (the functions', the scheduler's and the build's), which creating the functions and the scheduler job as them needs. null: the deployer must hold that role already (on the project)."
  type        = string
  default     = null

  validation {
    condition     = var.deployer_member == null || can(regex("^(user|serviceAccount|group):[^@\\s]+@[^@\\s]+$", var.deployer_member))
    error_message = "deployer_member must be user:EMAIL, serviceAccount:EMAIL or group:EMAIL."
  }
}

variable "record_event_public" {
  description = "Let anyone invoke record-event (allUsers run.invoker). Clients authenticate with Tally access tokens or as anonymous visitors, not with Google identities, so this is normally true."
  type        = bool
  default     = true
}

variable "record_event_max_instances" {
  description = "Upper bound of record-event instances. null computes the largest count that fits the connection budget with room for a rollout (old and new revisions at once): floor((floor((database_max_connections - database_reserved_connections) / 2) - export_max_instances * export_database_pool_size) / record_event_database_pool_size); 3 with the defaults, serving 3 x record_event_concurrency = 24 requests at once. A value is checked against that budget at plan time (see the connection_budget output)."
  type        = number
  default     = null

  validation {
    condition     = var.record_event_max_instances == null ? true : var.record_event_max_instances >= 1 && floor(var.record_event_max_instances) == var.record_event_max_instances
    error_message = "record_event_max_instances must be null or a whole number of at least 1."
  }
}

variable "record_event_min_instances" {
  description = "Instances of record-event kept warm (billed while idle). 0 scales to zero; a Java cold start then takes a few seconds."
  type        = number
  default     = 0

  validation {
    condition     = var.record_event_min_instances >= 0 && floor(var.record_event_min_instances) == var.record_event_min_instances
    error_message = "record_event_min_instances must be a whole number of at least 0."
  }

  # Refers to other variables (through the computed maximum): Terraform 1.9 or later.
  validation {
    condition     = var.record_event_min_instances <= local.record_event_max_instances
    error_message = "record_event_min_instances must not exceed record_event_max_instances (or, when that is null, the maximum the connection budget allows)."
  }
}

variable "record_event_memory" {
  description = "Memory of one record-event instance (Cloud Functions gen2 notation, such as 512Mi or 1Gi); the CPU follows from it."
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.record_event_memory))
    error_message = "record_event_memory must look like 512Mi or 1Gi."
  }
}

variable "record_event_cpu" {
  description = "vCPUs of one record-event instance (available_cpu, such as 1 or 2). A whole vCPU lets an instance serve concurrent requests; without it, record_event_memory decides the CPU (512Mi: a third of one)."
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.record_event_cpu)) && can(tonumber(var.record_event_cpu)) && tonumber(var.record_event_cpu) > 0 && tonumber(var.record_event_cpu) <= 8
    error_message = "record_event_cpu must be a number of vCPUs such as 0.583, 1 or 2, at most 8."
  }
}

variable "record_event_concurrency" {
  description = "Requests one record-event instance serves at once (max_instance_request_concurrency). They share the instance's record_event_database_pool_size connections, each held for a few milliseconds per request; a request that finds none free waits up to database_connect_timeout. Above 1 needs record_event_cpu of at least 1."
  type        = number
  default     = 8

  validation {
    condition     = var.record_event_concurrency >= 1 && var.record_event_concurrency <= 1000 && floor(var.record_event_concurrency) == var.record_event_concurrency
    error_message = "record_event_concurrency must be a whole number between 1 and 1000."
  }
}

variable "record_event_database_pool_size" {
  description = "DATABASE_POOL_SIZE of record-event: connections per instance."
  type        = number
  default     = 2

  validation {
    condition     = var.record_event_database_pool_size >= 1 && var.record_event_database_pool_size <= 50 && floor(var.record_event_database_pool_size) == var.record_event_database_pool_size
    error_message = "record_event_database_pool_size must be a whole number between 1 and 50 (the range the function accepts)."
  }
}

variable "server_version" {
  description = "TELEMETRY_SERVER_VERSION: version stored in every event's source. Empty keeps the function's default (0.0.0+dev)."
  type        = string
  default     = ""
}

variable "sensitive_metadata_allowlist" {
  description = "TELEMETRY_SENSITIVE_METADATA_ALLOWLIST entries, each feature::action::key1[::key2...] (action may be *); joined with commas."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.sensitive_metadata_allowlist : can(regex("^[^:,]+::[^:,]+(::[^:,]+)+$", e))])
    error_message = "Each sensitive_metadata_allowlist entry must be feature::action::key (at least one key, no commas)."
  }
}

variable "export_all_sensitive_metadata" {
  description = "TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA: export private metadata and marketing tracking unredacted. Only for an instance run by the gateway's own operator."
  type        = bool
  default     = false
}

variable "allow_anonymous" {
  description = "TELEMETRY_ALLOW_ANONYMOUS: whether requests without an access token may record events."
  type        = bool
  default     = true
}

variable "honor_gpc" {
  description = "TELEMETRY_HONOR_GPC: whether a request with Sec-GPC: 1 (Global Privacy Control) is recorded on the instance only, never queued for export."
  type        = bool
  default     = true
}

variable "honor_dnt" {
  description = "TELEMETRY_HONOR_DNT: whether a request with DNT: 1 (Do Not Track) is recorded on the instance only, never queued for export."
  type        = bool
  default     = false
}

variable "cors_allowed_origins" {
  description = "TELEMETRY_CORS_ALLOWED_ORIGINS: origins browsers may call record-event from (https://app.example.com), or [\"*\"]. Empty: no CORS."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.cors_allowed_origins : o == "*" || can(regex("^https?://[^/\\s,]+$", o))])
    error_message = "Each of cors_allowed_origins must be * or an origin such as https://app.example.com (no path)."
  }
}

variable "recording_limits" {
  description = "Bounds of record-event on each request and event (README, record-event limits): TELEMETRY_MAX_REQUEST_BYTES, TELEMETRY_MAX_EVENTS_PER_REQUEST, TELEMETRY_MAX_EVENT_BYTES, TELEMETRY_MAX_PRIVATE_METADATA_BYTES, TELEMETRY_MAX_METADATA_KEYS, TELEMETRY_MAX_METADATA_KEY_BYTES, TELEMETRY_MAX_PRIVATE_METADATA_DEPTH, TELEMETRY_MAX_PRIVATE_METADATA_KEYS, TELEMETRY_TIMESTAMP_MAX_PAST, TELEMETRY_TIMESTAMP_MAX_FUTURE, TELEMETRY_GRAPHQL_MAX_TOKENS, TELEMETRY_GRAPHQL_MAX_FIELDS, TELEMETRY_GRAPHQL_MAX_DEPTH. Omitted fields keep the function's defaults."
  type = object({
    max_request_bytes          = optional(number, 2097152)
    max_events_per_request     = optional(number, 500)
    max_event_bytes            = optional(number, 65536)
    max_private_metadata_bytes = optional(number, 32768)
    max_metadata_keys          = optional(number, 100)
    max_metadata_key_bytes     = optional(number, 128)
    max_private_metadata_depth = optional(number, 10)
    max_private_metadata_keys  = optional(number, 1000)
    timestamp_max_past         = optional(string, "90d")
    timestamp_max_future       = optional(string, "1d")
    graphql_max_tokens         = optional(number, 15000)
    graphql_max_fields         = optional(number, 250)
    graphql_max_depth          = optional(number, 15)
  })
  default = {}

  validation {
    condition = (
      var.recording_limits.max_request_bytes >= 1024 && var.recording_limits.max_request_bytes <= 33554432
      && var.recording_limits.max_events_per_request >= 1 && var.recording_limits.max_events_per_request <= 100000
      && var.recording_limits.max_event_bytes >= 1024 && var.recording_limits.max_event_bytes <= 1048576
      && var.recording_limits.max_private_metadata_bytes >= 0 && var.recording_limits.max_private_metadata_bytes <= var.recording_limits.max_event_bytes
      && var.recording_limits.max_metadata_keys >= 0 && var.recording_limits.max_metadata_keys <= 1000
      && var.recording_limits.max_metadata_key_bytes >= 1 && var.recording_limits.max_metadata_key_bytes <= 250
      && var.recording_limits.max_private_metadata_depth >= 1 && var.recording_limits.max_private_metadata_depth <= 20
      && var.recording_limits.max_private_metadata_keys >= 0 && var.recording_limits.max_private_metadata_keys <= 1000000
      && can(regex("^[1-9][0-9]*(m|h|d)$", var.recording_limits.timestamp_max_past))
      && can(regex("^[0-9]+(ms|s|m|h|d)$", var.recording_limits.timestamp_max_future))
      && var.recording_limits.graphql_max_tokens >= 100 && var.recording_limits.graphql_max_tokens <= 1000000
      && var.recording_limits.graphql_max_fields >= 3 && var.recording_limits.graphql_max_fields <= 100000
      && var.recording_limits.graphql_max_depth >= 3 && var.recording_limits.graphql_max_depth <= 100
      && alltrue([for k, v in var.recording_limits : floor(v) == v if !contains(["timestamp_max_past", "timestamp_max_future"], k)])
    )
    error_message = "recording_limits out of range (every number a whole number): max_request_bytes 1024..33554432 (Cloud Functions caps requests at 32 MiB), max_events_per_request 1..100000, max_event_bytes 1024..1048576 (larger events could not be published), max_private_metadata_bytes 0..max_event_bytes, max_metadata_keys 0..1000, max_metadata_key_bytes 1..250 (Pub/Sub attribute keys), max_private_metadata_depth 1..20 (protobuf's nesting limit at the gateway), max_private_metadata_keys 0..1000000, timestamp_max_past a duration of at least 1m such as 90d, timestamp_max_future a duration such as 1d or 12h, graphql_max_tokens 100..1000000, graphql_max_fields 3..100000, graphql_max_depth 3..100."
  }
}

variable "rate_limits" {
  description = "Rate limits of record-event per function instance; 0 turns one off (README, record-event limits). Per caller (a signed-in user, or an anonymous caller's address): TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE, TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE, TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE, TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE (request body bytes of a signed-in user), TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE (of an anonymous caller). Per address, whoever sends, before the body is read: TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE, TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE (refused access tokens; once spent, the address's tokens are refused before they are looked up). trusted_proxies (TELEMETRY_TRUSTED_PROXIES) counts proxies of yours in front of the function that append to X-Forwarded-For, such as an external Application Load Balancer (1)."
  type = object({
    requests_per_minute               = optional(number, 1200)
    events_per_minute                 = optional(number, 30000)
    admin_requests_per_minute         = optional(number, 120)
    trusted_proxies                   = optional(number, 0)
    address_requests_per_minute       = optional(number, 12000)
    failed_authentications_per_minute = optional(number, 600)
    bytes_per_minute                  = optional(number, 8388608)
    anonymous_bytes_per_minute        = optional(number, 4194304)
  })
  default = {}

  validation {
    condition = (
      var.rate_limits.requests_per_minute >= 0 && var.rate_limits.requests_per_minute <= 100000000
      && var.rate_limits.events_per_minute >= 0 && var.rate_limits.events_per_minute <= 100000000
      && var.rate_limits.admin_requests_per_minute >= 0 && var.rate_limits.admin_requests_per_minute <= 100000000
      && var.rate_limits.trusted_proxies >= 0 && var.rate_limits.trusted_proxies <= 10
      && var.rate_limits.address_requests_per_minute >= 0 && var.rate_limits.address_requests_per_minute <= 100000000
      && var.rate_limits.failed_authentications_per_minute >= 0 && var.rate_limits.failed_authentications_per_minute <= 100000000
      && var.rate_limits.bytes_per_minute >= 0 && var.rate_limits.bytes_per_minute <= 2147483647
      && var.rate_limits.anonymous_bytes_per_minute >= 0 && var.rate_limits.anonymous_bytes_per_minute <= 2147483647
      && alltrue([for v in values(var.rate_limits) : floor(v) == v])
    )
    error_message = "rate_limits must be whole numbers: each count 0..100000000 and each of bytes_per_minute, anonymous_bytes_per_minute 0..2147483647 (0 turns a limit off), trusted_proxies 0..10."
  }
}

variable "console_sign_in_attempts_per_minute" {
  description = "TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE: sign-in attempts the console accepts per client address and minute, per function instance, counted before the token is looked up (the address as rate_limits reads it); 0 turns the limit off."
  type        = number
  default     = 10

  validation {
    condition     = var.console_sign_in_attempts_per_minute >= 0 && var.console_sign_in_attempts_per_minute <= 100000000 && floor(var.console_sign_in_attempts_per_minute) == var.console_sign_in_attempts_per_minute
    error_message = "console_sign_in_attempts_per_minute must be a whole number from 0 (no limit) to 100000000."
  }
}

# --- export ---

variable "export_enabled" {
  description = "Send events to a gateway. When false the export function still runs on schedule (it cleans up and reports) and no gateway token secret is created."
  type        = bool
  default     = true
}

variable "gateway_url" {
  description = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR: the gateway's address, https://... (the gateway function, gRPC-web) or grpcs://host:port (native gRPC). Not a secret: the token is. Required when export_enabled."
  type        = string
  default     = ""

  validation {
    condition     = var.gateway_url == "" || can(regex("^(https|grpcs)://[^\\s]+$", var.gateway_url))
    error_message = "gateway_url must be empty or start with https:// or grpcs://."
  }
}

variable "gateway_token" {
  description = "TELEMETRY_GATEWAY_EXPORTER_TOKEN: this instance's bearer token for the gateway. Ephemeral: written to Secret Manager through a write-only argument, never to the state or a plan file, and only when gateway_token_version changes. Required when export_enabled."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "gateway_token_version" {
  description = "Version of gateway_token in Secret Manager. Terraform does not keep the token, so it cannot see it change: raise this number with every new token, in the same apply as the gateway's instance_tokens (and its instance_tokens_version)."
  type        = number
  default     = 1

  validation {
    condition     = var.gateway_token_version >= 1 && floor(var.gateway_token_version) == var.gateway_token_version
    error_message = "gateway_token_version must be a whole number of at least 1; raise it with every new gateway_token."
  }
}

variable "instance_id" {
  description = "TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID: this instance's ID, the one its gateway token is bound to. Required when export_enabled."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("[,=\\s]", var.instance_id))
    error_message = "instance_id must not contain commas, equals signs or spaces (the gateway's token list is INSTANCE_ID=hash,...)."
  }
}

variable "license_key" {
  description = "TELEMETRY_GATEWAY_EXPORTER_LICENSE_KEY: makes the identifier a licensed instance; the gateway must then list this instance's token as licensed-instance:ID (modules/gateway instance_tokens), or it refuses the exports. Ephemeral: written to Secret Manager through a write-only argument, never to the state, when license_key_version is above 0."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "license_key_version" {
  description = "0: no license key. From 1: the version of license_key in Secret Manager; raise it with every new key (Terraform does not keep the key, so it cannot see it change). A number and not the key decides whether the secret exists, because an ephemeral value cannot decide a count."
  type        = number
  default     = 0

  validation {
    condition     = var.license_key_version >= 0 && floor(var.license_key_version) == var.license_key_version
    error_message = "license_key_version must be a whole number: 0 for no license key, from 1 the key's version (raise it with every new key)."
  }
}

variable "external_url" {
  description = "TELEMETRY_GATEWAY_EXPORTER_EXTERNAL_URL: the instance's URL, sent in the identifier. Empty sends none."
  type        = string
  default     = ""
}

variable "export_schedule" {
  description = "Cloud Scheduler cron schedule of the export (the original exporter's 5-minute interval)."
  type        = string
  default     = "*/5 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.export_schedule))) == 5
    error_message = "export_schedule must be a five-field cron expression such as */5 * * * *."
  }
}

variable "export_timeout_seconds" {
  description = "Timeout of the export function (TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT). A run's deadline is export_timeout_seconds - export_call_timeout_seconds - 15 s from its request's arrival: its cleanup, claims and calls stop by then, so that it marks and reports before it is cut off. The scheduler waits 30 s longer than the timeout."
  type        = number
  default     = 300

  validation {
    condition     = var.export_timeout_seconds >= 120 && var.export_timeout_seconds <= 1770 && floor(var.export_timeout_seconds) == var.export_timeout_seconds
    error_message = "export_timeout_seconds must be a whole number between 120 and 1770: the scheduler waits 30 s longer than the function, and Cloud Scheduler waits at most 30 minutes (1800 s) for an HTTP target."
  }
}

variable "export_call_timeout_seconds" {
  description = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT: how long one call to the gateway may take. At most half the export lease (5 minutes)."
  type        = number
  default     = 60

  validation {
    condition     = var.export_call_timeout_seconds >= 1 && var.export_call_timeout_seconds <= 150 && floor(var.export_call_timeout_seconds) == var.export_call_timeout_seconds
    error_message = "export_call_timeout_seconds must be a whole number between 1 and 150 (at most half the export lease)."
  }
}

variable "export_max_instances" {
  description = "Upper bound of export instances. 1 is enough for one scheduled run at a time; runs that overlap never send the same event (leases)."
  type        = number
  default     = 1

  validation {
    condition     = var.export_max_instances >= 1 && floor(var.export_max_instances) == var.export_max_instances
    error_message = "export_max_instances must be a whole number of at least 1."
  }
}

variable "export_memory" {
  description = "Memory of one export instance (such as 512Mi or 1Gi). A batch of export_batch_size events is held in memory."
  type        = string
  default     = "512Mi"

  validation {
    condition     = can(regex("^[0-9]+(Mi|Gi)$", var.export_memory))
    error_message = "export_memory must look like 512Mi or 1Gi."
  }
}

variable "export_cpu" {
  description = "vCPUs of one export instance (available_cpu, such as 1). A run decodes, frames and sends batches of up to export_batch_size events on two loops."
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.export_cpu)) && can(tonumber(var.export_cpu)) && tonumber(var.export_cpu) > 0 && tonumber(var.export_cpu) <= 8
    error_message = "export_cpu must be a number of vCPUs such as 0.583, 1 or 2, at most 8."
  }
}

variable "export_database_pool_size" {
  description = "DATABASE_POOL_SIZE of export: connections per instance."
  type        = number
  default     = 2

  validation {
    condition     = var.export_database_pool_size >= 1 && var.export_database_pool_size <= 50 && floor(var.export_database_pool_size) == var.export_database_pool_size
    error_message = "export_database_pool_size must be a whole number between 1 and 50."
  }
}

variable "export_batch_size" {
  description = "TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE: events claimed and sent per gateway call."
  type        = number
  default     = 10000

  validation {
    condition     = var.export_batch_size >= 100 && var.export_batch_size <= 100000 && floor(var.export_batch_size) == var.export_batch_size
    error_message = "export_batch_size must be a whole number between 100 and 100000."
  }
}

variable "exported_events_retention" {
  description = "TELEMETRY_GATEWAY_EXPORTER_EXPORTED_EVENTS_RETENTION: how long exported events are kept for the admin query (a duration such as 24h or 7d)."
  type        = string
  default     = "24h"

  validation {
    condition     = can(regex("^[0-9]+(s|m|h|d)$", var.exported_events_retention))
    error_message = "exported_events_retention must be a duration such as 24h or 7d."
  }
}

variable "event_logs_retention_days" {
  description = "TELEMETRY_EVENT_LOGS_RETENTION_DAYS: days event_logs rows are kept after they arrived, pruned by the export function's cleanup; 0 keeps them until erased."
  type        = number
  default     = 0

  validation {
    condition     = var.event_logs_retention_days >= 0 && var.event_logs_retention_days <= 3650 && floor(var.event_logs_retention_days) == var.event_logs_retention_days
    error_message = "event_logs_retention_days must be a whole number of days between 0 (keep) and 3650."
  }
}

variable "export_ingress" {
  description = "Ingress of the export function. ALLOW_INTERNAL_ONLY (the default) admits only internal traffic, which includes Cloud Scheduler in the same project; the function also requires an identity with run.invoker, which only the scheduler's service account has. ALLOW_ALL also admits the internet (still only with that identity), for a scheduler in another project."
  type        = string
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY"], var.export_ingress)
    error_message = "export_ingress must be ALLOW_ALL or ALLOW_INTERNAL_ONLY."
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
