output "record_event_url" {
  description = "Where clients record events: POST GraphQL to <url>/.api/graphql."
  value       = module.instance.record_event_url
}

output "gateway_url" {
  description = "The gateway's address (the instance's TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR)."
  value       = module.gateway.url
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

output "console_url" {
  description = "The administrators' console: sign in with a site-admin access token."
  value       = module.instance.console_url
}
