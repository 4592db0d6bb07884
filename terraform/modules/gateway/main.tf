# The gateway: a public HTTP function (gRPC-web) that authenticates instances with their tokens
# and publishes one Pub/Sub message per event, plus its topics, optionally the same service as a
# native gRPC server on Cloud Run (for instances that only speak native gRPC), and optionally a
# BigQuery subscription that lands every message in a table for analysis.

locals {
  labels                 = merge({ app = "tally", tally-component = "gateway" }, var.labels)
  topic_name             = coalesce(var.topic_name, "${var.name}-events")
  dead_letter_topic_name = coalesce(var.dead_letter_topic_name, "${var.name}-dead-letter")
  # Ephemeral, like the variable: only a write-only argument may take it.
  instance_tokens = join(",", [for id in sort(keys(var.instance_tokens)) : "${id}=${var.instance_tokens[id]}"])
  bigquery_table  = var.bigquery.enabled ? "${var.project_id}.${var.bigquery.dataset_id}.${var.bigquery.table_id}" : null

  pubsub_agent = var.bigquery.enabled ? google_project_service_identity.pubsub[0].member : null

  # Where Cloud Functions copies a function's source for its build (Google creates it).
  staged_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"

  # docker_repository's parts, for the build account's grant on it.
  docker_repository = var.docker_repository == null ? null : regex("^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/repositories/(?P<repository>[^/]+)$", var.docker_repository)
}

data "google_project" "this" {
  project_id = var.project_id
}

# Pub/Sub's service agent writes the BigQuery rows and moves undeliverable messages to a
# dead-letter topic. On a new project it may not exist yet: this makes sure it does.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  count    = var.bigquery.enabled ? 1 : 0
  project  = var.project_id
  service  = "pubsub.googleapis.com"
}

# --- Topics ---

resource "google_pubsub_topic" "events" {
  project                    = var.project_id
  name                       = local.topic_name
  labels                     = local.labels
  message_retention_duration = var.topic_message_retention
}

resource "google_pubsub_topic" "dead_letter" {
  project                    = var.project_id
  name                       = local.dead_letter_topic_name
  labels                     = local.labels
  message_retention_duration = var.topic_message_retention
}

# Keeps dead-lettered events (with their deadLetter.reason attribute) for an operator to read:
# gcloud pubsub subscriptions pull <name> --project <project> --limit=10
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${local.dead_letter_topic_name}-inspect"
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = local.labels
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# --- Service accounts ---

resource "google_service_account" "gateway" {
  project      = var.project_id
  account_id   = "${var.name}-fn"
  display_name = "Tally gateway function"
}

# Cloud Build builds the function as this account instead of the default compute account.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name}-build"
  display_name = "Tally gateway: Cloud Build for the function"
}

# What the build does, each granted on what it touches only, never storage on the whole project
# (the Terraform state, with its secrets, may be in a bucket of this project):
# - write its logs: roles/logging.logWriter, a project-level role only;
# - push the image and its build cache to docker_repository (below);
# - read the source: the source bucket, and the bucket Cloud Functions copies the source into
#   before the build reads it there, gcf-v2-sources-PROJECT_NUMBER-REGION. Google creates that
#   bucket on the first deployment in the region, so it cannot be granted on beforehand: the grant
#   is on the project, limited by an IAM condition to that bucket.
resource "google_project_iam_member" "build" {
  for_each = toset(concat(["roles/logging.logWriter"], var.docker_repository == null ? ["roles/artifactregistry.writer"] : []))
  project  = var.project_id
  role     = each.value
  member   = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_source" {
  bucket = var.source_object.bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
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

# The deployer creates the function and the Cloud Run service as these accounts, which needs
# Service Account User on them: granted here on these accounts only, when deployer_member is set.
resource "google_service_account_iam_member" "deployer" {
  for_each = var.deployer_member == null ? {} : {
    gateway = google_service_account.gateway.name
    build   = google_service_account.build.name
  }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = var.deployer_member
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = {
    events      = google_pubsub_topic.events.name
    dead-letter = google_pubsub_topic.dead_letter.name
  }
  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = google_service_account.gateway.member
}

# --- Instance tokens ---

resource "google_secret_manager_secret" "instance_tokens" {
  project   = var.project_id
  secret_id = "${var.name}-instance-tokens"
  labels    = local.labels

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "instance_tokens" {
  secret         = google_secret_manager_secret.instance_tokens.id
  secret_data_wo = local.instance_tokens
  # Write-only: the list is written, as a new version, only with a new number.
  secret_data_wo_version = var.instance_tokens_version

  lifecycle {
    # The function pins this version: the next one must exist before it goes.
    create_before_destroy = true
  }
}

resource "google_secret_manager_secret_iam_member" "instance_tokens" {
  project   = var.project_id
  secret_id = google_secret_manager_secret.instance_tokens.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.gateway.member
}

# IAM grants take up to a few minutes to reach every Google service: the build and the first
# instances wait for them instead of failing for want of a permission granted seconds earlier.
resource "time_sleep" "iam_propagation" {
  create_duration = var.iam_propagation_wait

  triggers = {
    build = join(",", concat(sort([for m in google_project_iam_member.build : m.id]), [
      google_storage_bucket_iam_member.build_source.id,
      google_project_iam_member.build_staged_source.id,
    ], google_artifact_registry_repository_iam_member.build[*].id))
    deployer  = join(",", sort([for m in google_service_account_iam_member.deployer : m.id]))
    publisher = join(",", sort([for m in google_pubsub_topic_iam_member.publisher : m.id]))
    tokens    = google_secret_manager_secret_iam_member.instance_tokens.id
  }
}

# --- Function ---

resource "google_cloudfunctions2_function" "gateway" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = "Tally gateway: gRPC-web ingestion that publishes events to Pub/Sub."
  labels      = local.labels

  build_config {
    runtime           = "java17"
    entry_point       = "dev.tally.gatewayfn.GatewayFunction"
    service_account   = google_service_account.build.id
    docker_repository = var.docker_repository

    source {
      storage_source {
        bucket = var.source_object.bucket
        object = var.source_object.object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.gateway.email
    max_instance_count               = var.max_instances
    min_instance_count               = var.min_instances
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    max_instance_request_concurrency = var.concurrency
    timeout_seconds                  = var.timeout_seconds
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true

    environment_variables = {
      GOOGLE_CLOUD_PROJECT                = var.project_id
      PUBSUB_PROJECT_ID                   = var.project_id
      TELEMETRY_GATEWAY_TOPIC             = google_pubsub_topic.events.name
      TELEMETRY_GATEWAY_DEAD_LETTER_TOPIC = google_pubsub_topic.dead_letter.name
      TELEMETRY_GATEWAY_PUBLISH_TIMEOUT   = var.publish_timeout
      TELEMETRY_GATEWAY_PUBLISH_THREADS   = tostring(var.publish_threads)
      TELEMETRY_GATEWAY_MAX_REQUEST_BYTES = tostring(var.max_request_bytes)
    }

    secret_environment_variables {
      key        = "TELEMETRY_GATEWAY_INSTANCE_TOKENS"
      project_id = var.project_id
      secret     = google_secret_manager_secret.instance_tokens.secret_id
      # Pinned, so that a change of the tokens rolls out a new revision.
      version = google_secret_manager_secret_version.instance_tokens.version
    }
  }

  lifecycle {
    precondition {
      condition     = var.concurrency == 1 || tonumber(var.cpu) >= 1
      error_message = "concurrency above 1 needs cpu of at least 1 (Cloud Run functions serve concurrent requests only with a whole vCPU)."
    }
  }

  depends_on = [time_sleep.iam_propagation]
}

# Public: the gateway authenticates callers with instance tokens, not Google identities. Nothing in
# the apply calls it, so nothing waits for this grant: an instance whose first export comes within
# the minute or two the grant takes to propagate gets 403 and sends again on its next run.
resource "google_cloud_run_v2_service_iam_member" "public" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.gateway.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- Native gRPC (optional) ---

# The same service, as dev.tally.gatewayfn.GatewayServer from the same deployable (the image is
# built from the gateway function's jars by scripts/build-gateway-server-image.sh), for instances
# that export over native gRPC. Cloud Run terminates TLS and speaks HTTP/2 to the container
# without TLS (h2c, the port named "h2c"), which is what the server listens with.
resource "google_cloud_run_v2_service" "native_grpc" {
  count               = var.native_grpc.enabled ? 1 : 0
  project             = var.project_id
  location            = var.region
  name                = "${var.name}-grpc"
  description         = "Tally gateway: native gRPC ingestion that publishes events to Pub/Sub."
  labels              = local.labels
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false

  template {
    service_account                  = google_service_account.gateway.email
    timeout                          = "${var.timeout_seconds}s"
    max_instance_request_concurrency = var.native_grpc.concurrency

    scaling {
      min_instance_count = var.native_grpc.min_instances
      max_instance_count = var.native_grpc.max_instances
    }

    containers {
      image = var.native_grpc.image

      ports {
        name           = "h2c"
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.native_grpc.cpu
          memory = var.native_grpc.memory
        }
      }

      # The function's settings, so that both serve alike.
      dynamic "env" {
        for_each = google_cloudfunctions2_function.gateway.service_config[0].environment_variables
        content {
          name  = env.key
          value = env.value
        }
      }

      env {
        name = "TELEMETRY_GATEWAY_INSTANCE_TOKENS"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.instance_tokens.secret_id
            version = google_secret_manager_secret_version.instance_tokens.version
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.native_grpc.image != null && var.native_grpc.image != ""
      error_message = "native_grpc.enabled needs native_grpc.image: build it with terraform/scripts/build-gateway-server-image.sh (terraform/README.md)."
    }
  }

  depends_on = [time_sleep.iam_propagation]
}

# Public like the function: callers authenticate with instance tokens (no wait, as for the function).
resource "google_cloud_run_v2_service_iam_member" "native_grpc_public" {
  count    = var.native_grpc.enabled ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.native_grpc[0].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- BigQuery subscription (optional) ---

resource "google_bigquery_dataset" "telemetry" {
  count                      = var.bigquery.enabled ? 1 : 0
  project                    = var.project_id
  dataset_id                 = var.bigquery.dataset_id
  location                   = var.bigquery.location
  description                = "Tally telemetry events from the gateway's Pub/Sub topic."
  labels                     = local.labels
  delete_contents_on_destroy = !var.bigquery.deletion_protection
}

resource "google_bigquery_table" "events" {
  count               = var.bigquery.enabled ? 1 : 0
  project             = var.project_id
  dataset_id          = google_bigquery_dataset.telemetry[0].dataset_id
  table_id            = var.bigquery.table_id
  description         = "One row per Pub/Sub message (at least once: de-duplicate on JSON_VALUE(data, '$.event.id'))."
  labels              = local.labels
  deletion_protection = var.bigquery.deletion_protection

  time_partitioning {
    type          = "DAY"
    field         = "publish_time"
    expiration_ms = var.bigquery.partition_expiration_days == null ? null : var.bigquery.partition_expiration_days * 86400000
  }

  # The columns a BigQuery subscription writes with write_metadata and no topic schema.
  schema = jsonencode([
    { name = "subscription_name", type = "STRING", mode = "NULLABLE" },
    { name = "message_id", type = "STRING", mode = "NULLABLE" },
    { name = "publish_time", type = "TIMESTAMP", mode = "NULLABLE" },
    { name = "data", type = "JSON", mode = "NULLABLE", description = "{\"metadata\": ..., \"event\": ...} in protobuf's canonical JSON" },
    { name = "attributes", type = "JSON", mode = "NULLABLE" },
  ])
}

# The Pub/Sub service agent writes the rows.
resource "google_bigquery_table_iam_member" "pubsub_writer" {
  count      = var.bigquery.enabled ? 1 : 0
  project    = var.project_id
  dataset_id = google_bigquery_dataset.telemetry[0].dataset_id
  table_id   = google_bigquery_table.events[0].table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_agent
}

# Messages BigQuery refuses to take (after max_delivery_attempts) go here instead of being retried
# for the seven days a message lives; the inspect subscription keeps them for an operator:
# gcloud pubsub subscriptions pull <name> --project <project> --limit=10
resource "google_pubsub_topic" "bigquery_dead_letter" {
  count                      = var.bigquery.enabled ? 1 : 0
  project                    = var.project_id
  name                       = "${var.name}-bigquery-dead-letter"
  labels                     = local.labels
  message_retention_duration = var.topic_message_retention
}

resource "google_pubsub_subscription" "bigquery_dead_letter" {
  count                      = var.bigquery.enabled ? 1 : 0
  project                    = var.project_id
  name                       = "${var.name}-bigquery-dead-letter-inspect"
  topic                      = google_pubsub_topic.bigquery_dead_letter[0].id
  labels                     = local.labels
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering needs the service agent to publish to the dead-letter topic and to acknowledge
# (subscribe to) the subscription it takes the message from.
resource "google_pubsub_topic_iam_member" "bigquery_dead_letter_publisher" {
  count   = var.bigquery.enabled ? 1 : 0
  project = var.project_id
  topic   = google_pubsub_topic.bigquery_dead_letter[0].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

# Pub/Sub checks, when it creates the BigQuery subscription, that its service agent may write the
# table, and refuses with 403 while the grant has not reached it yet: the subscription waits.
# (The subscriber grant below is on the subscription itself, so it can only follow it; it is first
# used when a message is dead-lettered, after max_delivery_attempts failed deliveries.)
resource "time_sleep" "bigquery_iam_propagation" {
  count           = var.bigquery.enabled ? 1 : 0
  create_duration = var.iam_propagation_wait

  triggers = {
    table_writer          = google_bigquery_table_iam_member.pubsub_writer[0].id
    dead_letter_publisher = google_pubsub_topic_iam_member.bigquery_dead_letter_publisher[0].id
  }
}

resource "google_pubsub_subscription_iam_member" "bigquery_subscriber" {
  count        = var.bigquery.enabled ? 1 : 0
  project      = var.project_id
  subscription = google_pubsub_subscription.bigquery[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

resource "google_pubsub_subscription" "bigquery" {
  count                      = var.bigquery.enabled ? 1 : 0
  project                    = var.project_id
  name                       = "${var.name}-bigquery"
  topic                      = google_pubsub_topic.events.id
  labels                     = local.labels
  message_retention_duration = "604800s"

  bigquery_config {
    table          = local.bigquery_table
    write_metadata = true
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.bigquery_dead_letter[0].id
    max_delivery_attempts = var.bigquery.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  # Pub/Sub checks at creation that its service agent may write the table.
  depends_on = [time_sleep.bigquery_iam_propagation]
}
