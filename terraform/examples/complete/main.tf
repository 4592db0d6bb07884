# One Tally instance exporting to one gateway in the same project, with monitoring.
#
# Before `terraform plan`, prepare the function sources (from the repository root):
#   terraform/scripts/build-function-sources.sh
# It writes one zip per function, byte-identical for the same commit; each is uploaded under a
# name holding its MD5, so a changed build uploads a new object and redeploys exactly the
# functions whose code changed.

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
  labels    = merge({ app = "tally" }, var.labels)
  build_dir = abspath(startswith(var.function_build_dir, "/") ? var.function_build_dir : "${path.module}/${var.function_build_dir}")

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
  labels                      = local.labels

  # Terraform deletes a function's previous source object when it uploads the next one (the name
  # holds the zip's MD5), so the bucket holds one zip per function: the objects need no age rule,
  # and a deleted one need not be kept (Cloud Storage would keep it 7 days by default).
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_object" "function" {
  for_each = local.functions
  bucket   = google_storage_bucket.sources.name
  name     = "${each.key}-${filemd5("${local.build_dir}/${each.key}.zip")}.zip"
  source   = "${local.build_dir}/${each.key}.zip"
}

# Container images: the functions' images (Cloud Functions builds them here instead of in the
# gcf-artifacts repository it would create and never clean) and the native gRPC gateway's server.
resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = "tally"
  format        = "DOCKER"
  description   = "Tally container images: the functions' and the native gRPC gateway server's."
  labels        = local.labels

  # Every build pushes a new image version: keep the newest of each image (the deployed one among
  # them, and a few to roll back to), delete the rest once a month old. A keep policy wins over a
  # delete policy.
  cleanup_policy_dry_run = false
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.images_kept
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s" # 30 days
    }
  }

  depends_on = [google_project_service.apis]
}

# --- The instance's gateway token: generated here, its hash configured at the gateway ---

resource "random_password" "gateway_token" {
  length  = 48
  special = false
}

module "gateway" {
  source = "../../modules/gateway"

  project_id        = var.project_id
  region            = var.region
  labels            = var.labels
  docker_repository = google_artifact_registry_repository.images.id
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
    image   = var.gateway_server_image
  }

  depends_on = [google_project_service.apis]
}

module "instance" {
  source = "../../modules/instance"

  project_id        = var.project_id
  region            = var.region
  labels            = var.labels
  docker_repository = google_artifact_registry_repository.images.id
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

  project_id             = var.project_id
  export_function_names  = [module.instance.export_function_name]
  gateway_function_names = [module.gateway.function_name]
  notification_channels  = var.notification_channels

  depends_on = [google_project_service.apis]
}
