# Required

variable "project_id" {
  description = "REQUIRED. Google Cloud project everything is deployed to (one instance, one gateway, monitoring)."
  type        = string
}

variable "instance_id" {
  description = "REQUIRED. ID of the instance at the gateway (TELEMETRY_GATEWAY_EXPORTER_INSTANCE_ID); its gateway token is generated here and bound to it."
  type        = string

  validation {
    condition     = length(var.instance_id) > 0 && !can(regex("[,=\\s]", var.instance_id))
    error_message = "instance_id must be non-empty, without commas, equals signs or spaces."
  }
}

# Optional

variable "region" {
  description = "Region of the database, functions and scheduler job."
  type        = string
  default     = "us-central1"
}

variable "function_build_dir" {
  description = "Directory holding record-event/, export/ and gateway/ as prepared by terraform/scripts/build-function-sources.sh. Relative paths are relative to this example."
  type        = string
  default     = "../../build/functions"
}

variable "enable_apis" {
  description = "Enable the Google Cloud APIs the deployment needs (never disabled on destroy)."
  type        = bool
  default     = true
}

variable "database_tier" {
  description = "Cloud SQL tier: db-f1-micro (max_connections 25) or db-g1-small (50) for a small instance."
  type        = string
  default     = "db-f1-micro"
}

variable "database_max_connections" {
  description = "max_connections of the database; the functions' instance counts are derived from it."
  type        = number
  default     = 25
}

variable "database_availability_type" {
  description = "ZONAL, or REGIONAL: a standby in a second zone takes over within about a minute if the zone fails; about twice Cloud SQL's cost (modules/instance)."
  type        = string
  default     = "ZONAL"
}

variable "database_point_in_time_recovery" {
  description = "Restore to any second of the last 7 days rather than to the last daily backup (modules/instance)."
  type        = bool
  default     = true
}

variable "database_disk_size_gb" {
  description = "The database's initial SSD size in GB; it grows on its own up to the module's limit (modules/instance)."
  type        = number
  default     = 10
}

variable "database_maintenance_window" {
  description = "When Cloud SQL may restart the database for its updates: { day = 1..7 (Monday..Sunday), hour = 0..23 UTC, update_track = canary, stable or week5 }; omitted fields keep the module's default, Sunday 04:00 UTC, stable (modules/instance)."
  type        = any
  default     = {}
}

variable "database_password_version" {
  description = "Raise it (2, 3, ...) to rotate the database password: the apply generates a new one and writes it to the database user and to a new version of its secret; the functions move to that version."
  type        = number
  default     = 1
}

variable "gateway_token_version" {
  description = "Raise it (2, 3, ...) to rotate the instance's gateway token: the apply generates a new one and writes it to the instance's secret and its hash to the gateway's instance_tokens secret."
  type        = number
  default     = 1
}

variable "deletion_protection" {
  description = "Protect the Cloud SQL instance and the BigQuery table from terraform destroy."
  type        = bool
  default     = true
}

variable "external_url" {
  description = "The instance's public URL, sent to the gateway in its identifier (TELEMETRY_GATEWAY_EXPORTER_EXTERNAL_URL)."
  type        = string
  default     = ""
}

variable "cors_allowed_origins" {
  description = "Origins browsers may record events from (TELEMETRY_CORS_ALLOWED_ORIGINS)."
  type        = list(string)
  default     = []
}

variable "bigquery_enabled" {
  description = "Land every published event in BigQuery (<project>.tally_telemetry.events) through a BigQuery subscription."
  type        = bool
  default     = true
}

variable "bigquery_location" {
  description = "Location of the BigQuery dataset (US, EU or a region)."
  type        = string
  default     = "US"
}

variable "alerts_enabled" {
  description = "Create the monitoring alert policies. They need notification_channels; false deploys without alerts (the metrics and the dashboard stay)."
  type        = bool
  default     = true
}

variable "notification_channels" {
  description = "Monitoring notification channel IDs every alert notifies (projects/<p>/notificationChannels/<id>): at least one while alerts_enabled is true (terraform/README.md, \"Route the alerts\")."
  type        = list(string)
  default     = []

  validation {
    condition     = !var.alerts_enabled || length(var.notification_channels) > 0
    error_message = "notification_channels is empty while alerts_enabled is true: the alerts would notify nobody. Set notification_channels in terraform.tfvars to at least one channel ID (projects/<project>/notificationChannels/<id>; terraform/README.md, \"Route the alerts\"), or set alerts_enabled = false to deploy without alert policies."
  }
}

variable "gateway_min_instances" {
  description = "Gateway instances kept warm (modules/gateway min_instances): 1, the recommended default, takes the gateway's cold start off the export calls for about 13 USD a month; 0 for a test deployment."
  type        = number
  default     = 1
}

variable "native_grpc_enabled" {
  description = "Also run the gateway as a native gRPC server on Cloud Run (output native_grpc_address), for instances that export with grpcs://. Needs gateway_server_image: build the image with terraform/scripts/build-gateway-server-image.sh (terraform/README.md)."
  type        = bool
  default     = false

  validation {
    condition     = !var.native_grpc_enabled || var.gateway_server_image != null
    error_message = "native_grpc_enabled needs gateway_server_image, the line terraform/scripts/build-gateway-server-image.sh prints. (Turning native_grpc_enabled off instead would destroy a running native server.)"
  }
}

variable "gateway_server_image" {
  description = "The native gRPC server's image by digest (REGION-docker.pkg.dev/PROJECT/REPOSITORY/tally-gateway-server@sha256:...), as terraform/scripts/build-gateway-server-image.sh prints it. Keep it in your configuration with the other variables: a plan from another checkout or from CI needs it."
  type        = string
  default     = null

  validation {
    condition     = var.gateway_server_image == null || can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[^/]+/[^/]+/[^@:]+@sha256:[0-9a-f]{64}$", var.gateway_server_image))
    error_message = "gateway_server_image must be an Artifact Registry image by digest, REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE@sha256:<64 hex digits>, as build-gateway-server-image.sh prints it."
  }
}

variable "labels" {
  description = "Labels added to every resource that takes labels (app = \"tally\" is always set)."
  type        = map(string)
  default     = {}
}

variable "images_kept" {
  description = "Image versions kept of each image in the Artifact Registry repository (the functions' and the native server's); older versions are deleted once 30 days old."
  type        = number
  default     = 5

  validation {
    condition     = var.images_kept >= 1 && floor(var.images_kept) == var.images_kept
    error_message = "images_kept must be a whole number of at least 1: the deployed image is the newest."
  }
}

variable "deployer_member" {
  description = "Who runs terraform apply and the image build, as an IAM member (user:..., serviceAccount:... or group:...): given Service Account User on the deployment's own service accounts only. null: the deployer must hold that role already, on the project (terraform/README.md, Prerequisites)."
  type        = string
  default     = null

  validation {
    condition     = var.deployer_member == null || can(regex("^(user|serviceAccount|group):[^@\\s]+@[^@\\s]+$", var.deployer_member))
    error_message = "deployer_member must be user:EMAIL, serviceAccount:EMAIL or group:EMAIL."
  }
}
