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
  # The images repository's name, known at plan (unlike its id, which exists only once it is
  # created): the modules grant their build accounts on it, and need to know at plan that it is set.
  images_repository = "projects/${var.project_id}/locations/${google_artifact_registry_repository.images.location}/repositories/${google_artifact_registry_repository.images.repository_id}"
  build_dir         = abspath(startswith(var.function_build_dir, "/") ? var.function_build_dir : "${path.module}/${var.function_build_dir}")

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

  # The native gRPC image build's staged contexts (scripts/build-gateway-server-image.sh): needed
  # only while their build runs.
  lifecycle_rule {
    condition {
      age            = 1
      matches_prefix = ["gateway-server-image/"]
    }
    action {
      type = "Delete"
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

# --- The native gRPC server's image build ---

# scripts/build-gateway-server-image.sh runs its Cloud Build build as this account instead of the
# project's default Cloud Build account, which may hold broad roles. It reads the build context
# the script stages in the sources bucket, pushes to the images repository and writes its logs to
# Cloud Logging: nothing else.
resource "google_service_account" "image_build" {
  project      = var.project_id
  account_id   = "tally-image-build"
  display_name = "Tally: Cloud Build for the native gRPC gateway server's image"

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_iam_member" "image_build_context" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.image_build.member
}

resource "google_artifact_registry_repository_iam_member" "image_build" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.image_build.member
}

# Build logs go to Cloud Logging only (the script's build config): a project-level role only.
resource "google_project_iam_member" "image_build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.image_build.member
}

# Running a build as the account needs Service Account User on it.
resource "google_service_account_iam_member" "image_build_deployer" {
  count              = var.deployer_member == null ? 0 : 1
  service_account_id = google_service_account.image_build.name
  role               = "roles/iam.serviceAccountUser"
  member             = var.deployer_member
}

# The script may run right after the apply: the apply ends (the image_build output waits for this)
# only once the grants had time to propagate, and waits again when one is made again.
resource "time_sleep" "image_build_iam_propagation" {
  create_duration = "120s"

  triggers = {
    grants = join(",", concat([
      google_storage_bucket_iam_member.image_build_context.id,
      google_artifact_registry_repository_iam_member.image_build.id,
      google_project_iam_member.image_build_logs.id,
    ], google_service_account_iam_member.image_build_deployer[*].id))
  }
}

# --- The instance's gateway token: generated here, its hash configured at the gateway ---

# Generated anew in every plan and apply and kept by nothing but Secret Manager: the token goes to
# the instance's secret and its hash to the gateway's, both through write-only arguments, and only
# when gateway_token_version changes (then to both in the same apply).
ephemeral "random_password" "gateway_token" {
  length  = 48
  special = false
}

module "gateway" {
  source = "../../modules/gateway"

  project_id        = var.project_id
  region            = var.region
  labels            = var.labels
  docker_repository = local.images_repository
  min_instances     = var.gateway_min_instances
  source_object = {
    bucket = google_storage_bucket.sources.name
    object = google_storage_bucket_object.function["gateway"].name
  }
  # An unlicensed instance. Give the instance module a license_key and list this entry as
  # "licensed-instance:${var.instance_id}" instead: only such a token may publish as licensed.
  instance_tokens = {
    (var.instance_id) = sha256(ephemeral.random_password.gateway_token.result)
  }
  # The list holds only this instance's token: it changes when the token does.
  instance_tokens_version = var.gateway_token_version
  bigquery = {
    enabled             = var.bigquery_enabled
    location            = var.bigquery_location
    deletion_protection = var.deletion_protection
  }
  native_grpc = {
    enabled = var.native_grpc_enabled
    image   = var.gateway_server_image
  }
  deployer_member = var.deployer_member

  depends_on = [google_project_service.apis]
}

module "instance" {
  source = "../../modules/instance"

  project_id        = var.project_id
  region            = var.region
  labels            = var.labels
  docker_repository = local.images_repository
  record_event_source = {
    bucket = google_storage_bucket.sources.name
    object = google_storage_bucket_object.function["record-event"].name
  }
  export_source = {
    bucket = google_storage_bucket.sources.name
    object = google_storage_bucket_object.function["export"].name
  }

  database_tier                   = var.database_tier
  database_max_connections        = var.database_max_connections
  database_availability_type      = var.database_availability_type
  database_point_in_time_recovery = var.database_point_in_time_recovery
  database_disk_size_gb           = var.database_disk_size_gb
  database_maintenance_window     = var.database_maintenance_window
  deletion_protection             = var.deletion_protection
  cors_allowed_origins            = var.cors_allowed_origins

  database_password_version = var.database_password_version

  export_enabled        = true
  gateway_url           = module.gateway.url
  gateway_token         = ephemeral.random_password.gateway_token.result
  gateway_token_version = var.gateway_token_version
  instance_id           = var.instance_id
  external_url          = var.external_url

  deployer_member = var.deployer_member

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
