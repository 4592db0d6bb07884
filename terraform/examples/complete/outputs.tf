output "record_event_url" {
  description = "Where clients record events: POST GraphQL to <url>/.api/graphql."
  value       = module.instance.record_event_url
}

output "gateway_url" {
  description = "The gateway's address (the instance's TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR)."
  value       = module.gateway.url
}

output "native_grpc_address" {
  description = "The gateway's native gRPC address (grpcs://...), for instances that export over native gRPC; null unless native_grpc_enabled."
  value       = module.gateway.native_grpc_address
}

output "images_repository" {
  description = "Artifact Registry repository for the native gRPC server's image: pass it to terraform/scripts/build-gateway-server-image.sh."
  value       = "${google_artifact_registry_repository.images.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

output "events_topic_id" {
  description = "Pub/Sub topic the gateway publishes events to."
  value       = module.gateway.topic_id
}

output "bigquery_table" {
  description = "BigQuery table the events land in, or null."
  value       = module.gateway.bigquery_table
}

output "database_url" {
  description = "DATABASE_URL for TallyAdmin (see terraform/README.md: run migrations)."
  value       = module.instance.database_url
}

output "database_user" {
  description = "DATABASE_USER for TallyAdmin."
  value       = module.instance.database_user
}

output "database_password_secret_id" {
  description = "Secret Manager secret holding DATABASE_PASSWORD."
  value       = module.instance.database_password_secret_id
}

output "connection_budget" {
  description = "How the functions' connection pools fit the database's max_connections."
  value       = module.instance.connection_budget
}

output "alert_policy_ids" {
  description = "The monitoring alert policies."
  value       = module.monitoring.alert_policy_ids
}

output "alert_policies" {
  description = "The monitoring alert policies by title, with their severities."
  value       = module.monitoring.alert_policies
}

output "dashboard_url" {
  description = "The operations dashboard: open it first."
  value       = module.monitoring.dashboard_url
}

output "console_url" {
  description = "The administrators' console: sign in with a site-admin access token."
  value       = module.instance.console_url
}

output "image_build_service_account" {
  description = "The account scripts/build-gateway-server-image.sh runs its build as (--service-account); available once its grants had time to propagate."
  value       = google_service_account.image_build.email

  depends_on = [time_sleep.image_build_iam_propagation]
}

output "image_build_staging_dir" {
  description = "Where scripts/build-gateway-server-image.sh stages the build context (--staging-dir), which the build account may read."
  value       = "gs://${google_storage_bucket.sources.name}/gateway-server-image"

  depends_on = [time_sleep.image_build_iam_propagation]
}
