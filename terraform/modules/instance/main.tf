# One Tally instance: its PostgreSQL database on Cloud SQL, the record-event function clients
# record events with, and the export function Cloud Scheduler calls to send queued events to a
# gateway. Every function runs as its own service account; none uses the default compute account.

locals {
  labels = merge({ app = "tally", tally-instance = var.name }, var.labels)

  # postgres-socket-factory URL: the connector authenticates with the function's service account
  # (roles/cloudsql.client) and needs neither an authorized network nor a VPC connector.
  database_url = join("", [
    "jdbc:postgresql:///", google_sql_database.tally.name,
    "?cloudSqlInstance=", google_sql_database_instance.tally.connection_name,
    "&socketFactory=com.google.cloud.sql.postgres.SocketFactory",
  ])

  # Names known from the variables alone, so that what only needs a name (the monitoring's log
  # filters) does not wait for the functions to be built.
  record_event_function_name = "${var.name}-record-event"
  export_function_name       = "${var.name}-export"

  # Where Cloud Functions copies a function's source for its build (Google creates it).
  staged_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"

  # docker_repository's parts, for the build account's grant on it.
  docker_repository = var.docker_repository == null ? null : regex("^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/repositories/(?P<repository>[^/]+)$", var.docker_repository)

  # Connection budget: every function instance holds up to DATABASE_POOL_SIZE connections, and
  # while a new revision rolls out, the old revision's instances still hold theirs: each function
  # may briefly run twice its max instances.
  rollout_overlap            = 2
  available_connections      = var.database_max_connections - var.database_reserved_connections
  export_connections         = var.export_max_instances * var.export_database_pool_size
  record_event_max_instances = coalesce(var.record_event_max_instances, floor((floor(local.available_connections / local.rollout_overlap) - local.export_connections) / var.record_event_database_pool_size))
  connections_used           = local.rollout_overlap * (local.record_event_max_instances * var.record_event_database_pool_size + local.export_connections)

  # The license key itself is ephemeral and cannot decide a count: its version number does.
  license_key_set = var.license_key_version > 0

  # Export timing. A run's deadline is its budget, counted from when its request arrived: the
  # cleanup, claiming and starting calls all stop by it. The calls under way then end within a call
  # timeout, and the margin (ExporterConfig.BUDGET_MARGIN in the code) is left to mark, release and
  # report, so a run ends before the function's timeout. The scheduler waits longer than that, by
  # a slack for the instance's start and the network, so that it always sees the run's answer.
  export_budget_margin_seconds     = 15
  export_run_budget_seconds        = var.export_timeout_seconds - var.export_call_timeout_seconds - local.export_budget_margin_seconds
  export_scheduler_slack_seconds   = 30
  export_attempt_deadline_seconds  = var.export_timeout_seconds + local.export_scheduler_slack_seconds
  cloud_scheduler_max_http_seconds = 1800

  # Secrets each function may read: "function/secret" => secret_id.
  secret_access = merge(
    {
      "record-event/database-password" = { secret = google_secret_manager_secret.database_password.secret_id, member = google_service_account.record_event.member }
      "export/database-password"       = { secret = google_secret_manager_secret.database_password.secret_id, member = google_service_account.export.member }
    },
    var.export_enabled ? {
      "export/gateway-token" = { secret = one(google_secret_manager_secret.gateway_token[*].secret_id), member = google_service_account.export.member }
    } : {},
    local.license_key_set ? {
      "export/license-key" = { secret = one(google_secret_manager_secret.license_key[*].secret_id), member = google_service_account.export.member }
    } : {},
  )
}

data "google_project" "this" {
  project_id = var.project_id
}

# --- Service accounts ---

resource "google_service_account" "record_event" {
  project      = var.project_id
  account_id   = "${var.name}-record-event"
  display_name = "Tally ${var.name}: record-event function"
}

resource "google_service_account" "export" {
  project      = var.project_id
  account_id   = "${var.name}-export"
  display_name = "Tally ${var.name}: export function"
}

resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name}-scheduler"
  display_name = "Tally ${var.name}: Cloud Scheduler identity that invokes export"
}

# Cloud Build builds the functions as this account instead of the default compute account.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name}-build"
  display_name = "Tally ${var.name}: Cloud Build for the functions"
}

# What the builds do, each granted on what it touches only, never storage on the whole project
# (the Terraform state, with its secrets, may be in a bucket of this project):
# - write their logs: roles/logging.logWriter, a project-level role only;
# - push the images and their build cache to docker_repository (below);
# - read the sources: the source bucket(s), and the bucket Cloud Functions copies a source into
#   before the build reads it there, gcf-v2-sources-PROJECT_NUMBER-REGION. Google creates that
#   bucket on the first deployment in the region, so it cannot be granted on beforehand: the grant
#   is on the project, limited by an IAM condition to that bucket.
resource "google_project_iam_member" "build" {
  for_each = toset(concat(["roles/logging.logWriter"], var.docker_repository == null ? ["roles/artifactregistry.writer"] : []))
  project  = var.project_id
  role     = each.value
  member   = google_service_account.build.member
}

# One grant per bucket (both sources are usually in the same one): the names must be known at plan.
resource "google_storage_bucket_iam_member" "build_source" {
  for_each = toset([var.record_event_source.bucket, var.export_source.bucket])
  bucket   = each.value
  role     = "roles/storage.objectViewer"
  member   = google_service_account.build.member
}

resource "google_project_iam_member" "build_staged_source" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member

  condition {
    title       = "only-${local.staged_sources_bucket}"
    description = "Read the function sources Cloud Functions stages for its builds in ${var.region}, nothing else."
    expression  = "resource.name.startsWith(\"projects/_/buckets/${local.staged_sources_bucket}\")"
  }
}

# With a repository of the deployer's (docker_repository), the builds push there and nowhere else.
# Without one, Cloud Functions pushes to gcf-artifacts, which Google creates on the first
# deployment in the region and so cannot be granted on beforehand: then the writer role is on the
# project (google_project_iam_member.build above).
resource "google_artifact_registry_repository_iam_member" "build" {
  count      = var.docker_repository == null ? 0 : 1
  project    = local.docker_repository.project
  location   = local.docker_repository.location
  repository = local.docker_repository.repository
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}

# The deployer creates the functions and the scheduler job as these accounts, which needs Service
# Account User on them: granted here on these accounts only, when deployer_member is set.
resource "google_service_account_iam_member" "deployer" {
  for_each = var.deployer_member == null ? {} : {
    record-event = google_service_account.record_event.name
    export       = google_service_account.export.name
    scheduler    = google_service_account.scheduler.name
    build        = google_service_account.build.name
  }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = var.deployer_member
}

# cloudsql.client, limited by an IAM condition to this instance's Cloud SQL instance.
resource "google_project_iam_member" "cloudsql_client" {
  for_each = {
    record-event = google_service_account.record_event.member
    export       = google_service_account.export.member
  }
  project = var.project_id
  role    = "roles/cloudsql.client"
  member  = each.value

  condition {
    title       = "only-${google_sql_database_instance.tally.name}"
    description = "Connect to the Tally instance database only."
    expression  = "resource.type == \"sqladmin.googleapis.com/Instance\" && resource.name == \"projects/${var.project_id}/instances/${google_sql_database_instance.tally.name}\""
  }
}

resource "google_secret_manager_secret_iam_member" "access" {
  for_each  = local.secret_access
  project   = var.project_id
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}

# IAM grants take up to a few minutes to reach every Google service. A build that starts at once
# can fail for want of a permission granted seconds earlier; the functions wait for this instead.
# It waits when a grant is made again too (the triggers), not on later applies.
resource "time_sleep" "iam_propagation" {
  create_duration = var.iam_propagation_wait

  triggers = {
    build = join(",", concat(
      sort([for m in google_project_iam_member.build : m.id]),
      sort([for m in google_storage_bucket_iam_member.build_source : m.id]),
      [google_project_iam_member.build_staged_source.id],
      google_artifact_registry_repository_iam_member.build[*].id,
    ))
    deployer = join(",", sort([for m in google_service_account_iam_member.deployer : m.id]))
    sql      = join(",", sort([for m in google_project_iam_member.cloudsql_client : m.id]))
    secrets  = join(",", sort([for m in google_secret_manager_secret_iam_member.access : m.id]))
  }
}

# --- Database ---

resource "random_id" "database_suffix" {
  byte_length = 2
}

resource "google_sql_database_instance" "tally" {
  project = var.project_id
  # Cloud SQL keeps a deleted instance's name reserved for a week: a suffix lets a torn-down
  # instance be recreated at once.
  name                = "${var.name}-db-${random_id.database_suffix.hex}"
  region              = var.region
  database_version    = var.database_version
  deletion_protection = var.deletion_protection

  settings {
    # Cloud SQL's own protection: refuses the deletion from any client, not only Terraform.
    deletion_protection_enabled = var.deletion_protection
    tier                        = var.database_tier
    edition                     = var.database_edition
    availability_type           = var.database_availability_type
    disk_type                   = "PD_SSD"
    disk_size                   = var.database_disk_size_gb
    disk_autoresize             = true
    disk_autoresize_limit       = var.database_disk_autoresize_limit_gb # it never shrinks
    user_labels                 = local.labels
    # Only the Cloud SQL connectors (the functions' postgres-socket-factory, TallyAdmin) and the
    # Cloud SQL Auth Proxy may connect: each authenticates with IAM (cloudsql.client) and
    # encrypts; a direct connection to the public IP is refused even with the password.
    connector_enforcement = "REQUIRED"

    backup_configuration {
      enabled                        = true
      start_time                     = "03:00"
      point_in_time_recovery_enabled = var.database_point_in_time_recovery
    }

    # Cloud SQL restarts the instance for its updates in this hour (a minute or so without
    # connections: record-event answers 503 and the functions reconnect), instead of any time.
    maintenance_window {
      day          = var.database_maintenance_window.day
      hour         = var.database_maintenance_window.hour
      update_track = var.database_maintenance_window.update_track
    }

    # A public IP without authorized networks: only the connector (IAM-authorized, TLS) and the
    # Cloud SQL Auth Proxy can reach it.
    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
    }

    database_flags {
      name  = "max_connections"
      value = tostring(var.database_max_connections)
    }
  }
}

resource "google_sql_database" "tally" {
  project  = var.project_id
  instance = google_sql_database_instance.tally.name
  name     = "tally"
  # The database goes with the instance on destroy; dropping it first fails while the functions'
  # connections are open.
  deletion_policy = "ABANDON"
}

# The database password is generated anew in every plan and apply and kept by nothing but Cloud SQL
# and Secret Manager: Terraform writes it through write-only arguments (password_wo,
# secret_data_wo), which never reach the state or a plan file. It is written only when the secret
# gets a new version (database_password_version), and then to both in the same apply.
ephemeral "random_password" "database" {
  length  = 40
  special = false
}

resource "google_sql_user" "tally" {
  project  = var.project_id
  instance = google_sql_database_instance.tally.name
  name     = "tally"
  # Follows the secret: each new version of it (a raised database_password_version, or the secret
  # made again) sets the password it holds, generated in the same apply.
  password_wo         = ephemeral.random_password.database.result
  password_wo_version = tonumber(google_secret_manager_secret_version.database_password.version)
  # Once migrations ran, the user owns the tables, and PostgreSQL refuses to drop a role that owns
  # objects: the user goes with the instance on destroy instead.
  deletion_policy = "ABANDON"
}

resource "google_secret_manager_secret" "database_password" {
  project   = var.project_id
  secret_id = "${var.name}-database-password"
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "database_password" {
  secret         = google_secret_manager_secret.database_password.id
  secret_data_wo = ephemeral.random_password.database.result
  # A new number makes a new version (the provider replaces the resource) and, through it, sets the
  # user's password: how the password is rotated.
  secret_data_wo_version = var.database_password_version

  lifecycle {
    # The function pins this version: the next one must exist before it goes.
    create_before_destroy = true
  }
}

# --- Gateway credentials ---

resource "google_secret_manager_secret" "gateway_token" {
  count     = var.export_enabled ? 1 : 0
  project   = var.project_id
  secret_id = "${var.name}-gateway-token"
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "gateway_token" {
  count          = var.export_enabled ? 1 : 0
  secret         = google_secret_manager_secret.gateway_token[0].id
  secret_data_wo = var.gateway_token
  # Write-only: a new token is written only with a new number.
  secret_data_wo_version = var.gateway_token_version

  lifecycle {
    # The function pins this version: the next one must exist before it goes.
    create_before_destroy = true
    precondition {
      condition     = var.gateway_token != null && var.gateway_url != "" && var.instance_id != ""
      error_message = "export_enabled needs gateway_url, gateway_token and instance_id; set export_enabled = false to deploy without a gateway."
    }
  }
}

resource "google_secret_manager_secret" "license_key" {
  count     = local.license_key_set ? 1 : 0
  project   = var.project_id
  secret_id = "${var.name}-license-key"
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "license_key" {
  count          = local.license_key_set ? 1 : 0
  secret         = google_secret_manager_secret.license_key[0].id
  secret_data_wo = var.license_key
  # Write-only: a new key is written only with a new number.
  secret_data_wo_version = var.license_key_version

  lifecycle {
    # The function pins this version: the next one must exist before it goes.
    create_before_destroy = true
    precondition {
      condition     = var.license_key != null
      error_message = "license_key_version is above 0 but license_key is not set: give the license key, or set license_key_version = 0 to deploy without one."
    }
  }
}

# --- record-event ---

resource "google_cloudfunctions2_function" "record_event" {
  project     = var.project_id
  location    = var.region
  name        = local.record_event_function_name
  description = "Tally ${var.name}: GraphQL endpoint clients record telemetry events with."
  labels      = local.labels

  build_config {
    runtime           = "java17"
    entry_point       = "dev.tally.recordevent.RecordEventFunction"
    service_account   = google_service_account.build.id
    docker_repository = var.docker_repository

    source {
      storage_source {
        bucket = var.record_event_source.bucket
        object = var.record_event_source.object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.record_event.email
    max_instance_count               = local.record_event_max_instances
    min_instance_count               = var.record_event_min_instances
    available_memory                 = var.record_event_memory
    available_cpu                    = var.record_event_cpu
    max_instance_request_concurrency = var.record_event_concurrency
    timeout_seconds                  = 60
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true

    environment_variables = {
      GOOGLE_CLOUD_PROJECT                                   = var.project_id
      DATABASE_URL                                           = local.database_url
      DATABASE_USER                                          = google_sql_user.tally.name
      DATABASE_POOL_SIZE                                     = tostring(var.record_event_database_pool_size)
      DATABASE_CONNECT_TIMEOUT                               = var.database_connect_timeout
      DATABASE_MIGRATE_ON_START                              = tostring(var.migrate_on_start)
      TELEMETRY_SERVER_VERSION                               = var.server_version
      TELEMETRY_SENSITIVE_METADATA_ALLOWLIST                 = join(",", var.sensitive_metadata_allowlist)
      TELEMETRY_EXPORT_ALL_SENSITIVE_METADATA                = tostring(var.export_all_sensitive_metadata)
      TELEMETRY_ALLOW_ANONYMOUS                              = tostring(var.allow_anonymous)
      TELEMETRY_CORS_ALLOWED_ORIGINS                         = join(",", var.cors_allowed_origins)
      TELEMETRY_MAX_REQUEST_BYTES                            = tostring(var.recording_limits.max_request_bytes)
      TELEMETRY_MAX_EVENTS_PER_REQUEST                       = tostring(var.recording_limits.max_events_per_request)
      TELEMETRY_MAX_EVENT_BYTES                              = tostring(var.recording_limits.max_event_bytes)
      TELEMETRY_MAX_PRIVATE_METADATA_BYTES                   = tostring(var.recording_limits.max_private_metadata_bytes)
      TELEMETRY_MAX_METADATA_KEYS                            = tostring(var.recording_limits.max_metadata_keys)
      TELEMETRY_MAX_METADATA_KEY_BYTES                       = tostring(var.recording_limits.max_metadata_key_bytes)
      TELEMETRY_MAX_PRIVATE_METADATA_DEPTH                   = tostring(var.recording_limits.max_private_metadata_depth)
      TELEMETRY_MAX_PRIVATE_METADATA_KEYS                    = tostring(var.recording_limits.max_private_metadata_keys)
      TELEMETRY_TIMESTAMP_MAX_PAST                           = var.recording_limits.timestamp_max_past
      TELEMETRY_TIMESTAMP_MAX_FUTURE                         = var.recording_limits.timestamp_max_future
      TELEMETRY_GRAPHQL_MAX_TOKENS                           = tostring(var.recording_limits.graphql_max_tokens)
      TELEMETRY_GRAPHQL_MAX_FIELDS                           = tostring(var.recording_limits.graphql_max_fields)
      TELEMETRY_GRAPHQL_MAX_DEPTH                            = tostring(var.recording_limits.graphql_max_depth)
      TELEMETRY_RATE_LIMIT_REQUESTS_PER_MINUTE               = tostring(var.rate_limits.requests_per_minute)
      TELEMETRY_RATE_LIMIT_EVENTS_PER_MINUTE                 = tostring(var.rate_limits.events_per_minute)
      TELEMETRY_RATE_LIMIT_ADMIN_REQUESTS_PER_MINUTE         = tostring(var.rate_limits.admin_requests_per_minute)
      TELEMETRY_TRUSTED_PROXIES                              = tostring(var.rate_limits.trusted_proxies)
      TELEMETRY_RATE_LIMIT_ADDRESS_REQUESTS_PER_MINUTE       = tostring(var.rate_limits.address_requests_per_minute)
      TELEMETRY_RATE_LIMIT_FAILED_AUTHENTICATIONS_PER_MINUTE = tostring(var.rate_limits.failed_authentications_per_minute)
      TELEMETRY_RATE_LIMIT_BYTES_PER_MINUTE                  = tostring(var.rate_limits.bytes_per_minute)
      TELEMETRY_RATE_LIMIT_ANONYMOUS_BYTES_PER_MINUTE        = tostring(var.rate_limits.anonymous_bytes_per_minute)
      TELEMETRY_CONSOLE_SIGN_IN_ATTEMPTS_PER_MINUTE          = tostring(var.console_sign_in_attempts_per_minute)
      TELEMETRY_HONOR_GPC                                    = tostring(var.honor_gpc)
      TELEMETRY_HONOR_DNT                                    = tostring(var.honor_dnt)
    }

    secret_environment_variables {
      key        = "DATABASE_PASSWORD"
      project_id = var.project_id
      secret     = google_secret_manager_secret.database_password.secret_id
      version    = google_secret_manager_secret_version.database_password.version
    }
  }

  lifecycle {
    precondition {
      condition     = local.record_event_max_instances >= 1 && local.connections_used <= local.available_connections
      error_message = "Connection budget exceeded: ${local.rollout_overlap} x (record-event ${local.record_event_max_instances} instances x ${var.record_event_database_pool_size} + export ${var.export_max_instances} x ${var.export_database_pool_size}) = ${local.connections_used} connections while a new revision rolls out, but max_connections ${var.database_max_connections} - reserved ${var.database_reserved_connections} leaves ${local.available_connections}. Lower the instance counts or pool sizes, or raise database_max_connections (with a larger database_tier)."
    }
    precondition {
      condition     = var.record_event_concurrency == 1 || tonumber(var.record_event_cpu) >= 1
      error_message = "record_event_concurrency above 1 needs record_event_cpu of at least 1 (Cloud Run functions serve concurrent requests only with a whole vCPU)."
    }
  }

  depends_on = [time_sleep.iam_propagation]
}

# Public: record-event authenticates its callers itself (Tally access tokens). Nothing in the apply
# calls it, so nothing waits for this grant: a client calling within the minute or two the grant
# takes to propagate gets 403.
resource "google_cloud_run_v2_service_iam_member" "record_event_public" {
  count    = var.record_event_public ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.record_event.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- export ---

resource "google_cloudfunctions2_function" "export" {
  project     = var.project_id
  location    = var.region
  name        = local.export_function_name
  description = "Tally ${var.name}: exports queued events to the gateway; called by Cloud Scheduler."
  labels      = local.labels

  build_config {
    runtime           = "java17"
    entry_point       = "dev.tally.exportfn.ExportFunction"
    service_account   = google_service_account.build.id
    docker_repository = var.docker_repository

    source {
      storage_source {
        bucket = var.export_source.bucket
        object = var.export_source.object
      }
    }
  }

  service_config {
    service_account_email = google_service_account.export.email
    max_instance_count    = var.export_max_instances
    min_instance_count    = 0
    available_memory      = var.export_memory
    available_cpu         = var.export_cpu
    # One run per instance: a run already overlaps its own batches.
    max_instance_request_concurrency = 1
    timeout_seconds                  = var.export_timeout_seconds
    ingress_settings                 = var.export_ingress
    all_traffic_on_latest_revision   = true

    environment_variables = {
      GOOGLE_CLOUD_PROJECT                                 = var.project_id
      DATABASE_URL                                         = local.database_url
      DATABASE_USER                                        = google_sql_user.tally.name
      DATABASE_POOL_SIZE                                   = tostring(var.export_database_pool_size)
      DATABASE_CONNECT_TIMEOUT                             = var.database_connect_timeout
      DATABASE_MIGRATE_ON_START                            = tostring(var.migrate_on_start)
      TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR               = var.export_enabled ? var.gateway_url : ""
      TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID               = var.instance_id
      TELEMETRY_GATEWAY_EXPORTER_EXTERNAL_URL              = var.external_url
      TELEMETRY_GATEWAY_EXPORTER_EXPORT_BATCH_SIZE         = tostring(var.export_batch_size)
      TELEMETRY_GATEWAY_EXPORTER_EXPORTED_EVENTS_RETENTION = var.exported_events_retention
      TELEMETRY_EVENT_LOGS_RETENTION_DAYS                  = tostring(var.event_logs_retention_days)
      # The run's deadline follows from these two (export_run_budget_seconds): timeout - call
      # timeout - 15 s from the request's arrival, so that the last call ends, and the run marks
      # and reports, before the function is cut off.
      TELEMETRY_GATEWAY_EXPORTER_FUNCTION_TIMEOUT    = "${var.export_timeout_seconds}s"
      TELEMETRY_GATEWAY_EXPORTER_EXPORT_CALL_TIMEOUT = "${var.export_call_timeout_seconds}s"
    }

    secret_environment_variables {
      key        = "DATABASE_PASSWORD"
      project_id = var.project_id
      secret     = google_secret_manager_secret.database_password.secret_id
      version    = google_secret_manager_secret_version.database_password.version
    }

    dynamic "secret_environment_variables" {
      for_each = var.export_enabled ? [1] : []
      content {
        key        = "TELEMETRY_GATEWAY_EXPORTER_TOKEN"
        project_id = var.project_id
        secret     = google_secret_manager_secret.gateway_token[0].secret_id
        version    = google_secret_manager_secret_version.gateway_token[0].version
      }
    }

    dynamic "secret_environment_variables" {
      for_each = local.license_key_set ? [1] : []
      content {
        key        = "TELEMETRY_GATEWAY_EXPORTER_LICENSE_KEY"
        project_id = var.project_id
        secret     = google_secret_manager_secret.license_key[0].secret_id
        version    = google_secret_manager_secret_version.license_key[0].version
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.license_key == null || local.license_key_set
      error_message = "license_key is set but license_key_version is 0, so the key would not be written: set license_key_version = 1 (and raise it with every new key)."
    }
    precondition {
      condition     = local.export_run_budget_seconds >= 60
      error_message = "export_timeout_seconds (${var.export_timeout_seconds}) must leave at least a minute to export after one call (export_call_timeout_seconds, ${var.export_call_timeout_seconds}) and a ${local.export_budget_margin_seconds} s margin: raise export_timeout_seconds or lower export_call_timeout_seconds."
    }
  }

  depends_on = [time_sleep.iam_propagation]
}

# Only the scheduler's account may invoke export.
resource "google_cloud_run_v2_service_iam_member" "export_scheduler" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.export.name
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

# A scheduler call that comes before the invoker grant reached Cloud Run is refused (403), and a
# missed run is not retried: the job waits for the grant, and again whenever it is made again.
resource "time_sleep" "scheduler_iam_propagation" {
  create_duration = var.iam_propagation_wait

  triggers = {
    invoker = google_cloud_run_v2_service_iam_member.export_scheduler.id
  }
}

resource "google_cloud_scheduler_job" "export" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name}-export"
  description = "Runs the Tally ${var.name} export: POST with an OIDC token of ${google_service_account.scheduler.email}."
  schedule    = var.export_schedule
  time_zone   = "Etc/UTC"
  # Longer than the function's timeout, which a run ends before (its last call included): the
  # scheduler sees every run's answer, or the function's own timeout, and never abandons a run
  # still under way. Cloud Scheduler allows 15 s to 30 minutes for an HTTP target.
  attempt_deadline = "${local.export_attempt_deadline_seconds}s"

  # A missed run is not retried: the next scheduled run picks up the same queue.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.export.service_config[0].uri
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.export.service_config[0].uri
    }
  }

  lifecycle {
    precondition {
      condition     = local.export_attempt_deadline_seconds > var.export_timeout_seconds && local.export_attempt_deadline_seconds <= local.cloud_scheduler_max_http_seconds
      error_message = "The export scheduler's attempt deadline (export_timeout_seconds ${var.export_timeout_seconds} + ${local.export_scheduler_slack_seconds} s = ${local.export_attempt_deadline_seconds} s) must exceed the function's timeout and stay within Cloud Scheduler's ${local.cloud_scheduler_max_http_seconds} s: lower export_timeout_seconds."
    }
  }

  # Its first call comes at the next scheduled time, which may be seconds away.
  depends_on = [time_sleep.iam_propagation, time_sleep.scheduler_iam_propagation]
}
