# One Tally instance exporting to one gateway in the same project, with monitoring.
#
# Before `terraform plan`, prepare the function sources (from the repository root):
#   terraform/scripts/build-function-sources.sh
# Each function directory is zipped here and uploaded under a name holding the zip's MD5, so a
# changed build uploads a new object and redeploys exactly the functions whose code changed.

locals {
  apis = [
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
  ]
  functions = toset(["record-event", "export", "gateway"])
  build_dir = abspath(startswith(var.function_build_dir, "/") ? var.function_build_dir : "${path.module}/${var.function_build_dir}")

  # Written by terraform/scripts/build-gateway-server-image.sh: the native gRPC server's image,
  # by digest.
  gateway_server_image_file = "${local.build_dir}/../gateway-server-image.txt"
  gateway_server_image      = fileexists(local.gateway_server_image_file) ? trimspace(file(local.gateway_server_image_file)) : null
}

resource "google_project_service" "apis" {
  for_each           = toset(var.enable_apis ? local.apis : [])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# --- Function sources ---

resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = "${var.project_id}-tally-function-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  depends_on = [google_project_service.apis]
}

data "archive_file" "function" {
  for_each         = local.functions
  type             = "zip"
  source_dir       = "${local.build_dir}/${each.key}"
  output_path      = "${path.module}/.build/${each.key}.zip"
  output_file_mode = "0644"
}

resource "google_storage_bucket_object" "function" {
  for_each = local.functions
  bucket   = google_storage_bucket.sources.name
  name     = "${each.key}-${data.archive_file.function[each.key].output_md5}.zip"
  source   = data.archive_file.function[each.key].output_path
}

# Container images: the native gRPC gateway's server, when enabled.
resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = "tally"
  format        = "DOCKER"
  description   = "Tally container images (the native gRPC gateway server)."

  depends_on = [google_project_service.apis]
}

# --- The instance's gateway token: generated here, its hash configured at the gateway ---

resource "random_password" "gateway_token" {
  length  = 48
  special = false
}

module "gateway" {
  source = "../../modules/gateway"

  project_id = var.project_id
  region     = var.region
  source_object = {
    bucket = google_storage_bucket.sources.name
    object = google_storage_bucket_object.function["gateway"].name
  }
  # An unlicensed instance. Give the instance module a license_key and list this entry as
  # "licensed-instance:${var.instance_id}" instead: only such a token may publish as licensed.
  instance_tokens = {
    (var.instance_id) = sha256(random_password.gateway_token.result)
  }
  bigquery = {
    enabled             = var.bigquery_enabled
    location            = var.bigquery_location
    deletion_protection = var.deletion_protection
  }
  native_grpc = {
    enabled = var.native_grpc_enabled
    image   = local.gateway_server_image
  }

  depends_on = [google_project_service.apis]
}

module "instance" {
  source = "../../modules/instance"

  project_id = var.project_id
  region     = var.region
  record_event_source = {
    bucket = google_storage_bucket.sources.name
    object = google_storage_bucket_object.function["record-event"].name
  }
  export_source = {
    bucket = google_storage_bucket.sources.name
    object = google_storage_bucket_object.function["export"].name
  }

  database_tier            = var.database_tier
  database_max_connections = var.database_max_connections
  deletion_protection      = var.deletion_protection
  cors_allowed_origins     = var.cors_allowed_origins

  export_enabled = true
  gateway_url    = module.gateway.url
  gateway_token  = random_password.gateway_token.result
  instance_id    = var.instance_id
  external_url   = var.external_url

  depends_on = [google_project_service.apis]
}

module "monitoring" {
  source = "../../modules/monitoring"

  project_id                  = var.project_id
  export_function_names       = [module.instance.export_function_name]
  gateway_function_names      = [module.gateway.function_name]
  record_event_function_names = [module.instance.record_event_function_name]
  event_topic_names           = [module.gateway.topic_name]

  gateway_dead_letter_subscription_names = [module.gateway.dead_letter_subscription_name]
  # Lists whose length is known before apply: a deployment without BigQuery has no BigQuery alerts.
  bigquery_subscription_names             = var.bigquery_enabled ? [module.gateway.bigquery_subscription_name] : []
  bigquery_dead_letter_subscription_names = var.bigquery_enabled ? [module.gateway.bigquery_dead_letter_subscription_name] : []

  # Keyed by a name known before apply: the instance's name carries a random suffix.
  database_instances = {
    main = {
      instance_name   = module.instance.database_instance_name
      max_connections = var.database_max_connections
    }
  }

  alerts_enabled        = var.alerts_enabled
  notification_channels = var.notification_channels

  depends_on = [google_project_service.apis]
}
