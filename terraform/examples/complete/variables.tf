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

variable "native_grpc_enabled" {
  description = "Also run the gateway as a native gRPC server on Cloud Run (output native_grpc_address), for instances that export with grpcs://. Build its image first: terraform/scripts/build-gateway-server-image.sh (terraform/README.md)."
  type        = bool
  default     = false
}
