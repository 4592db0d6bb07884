output "url" {
  description = "URL of the gateway function: an instance's gateway_url (TELEMETRY_GATEWAY_EXPORTER_EXPORT_ADDR)."
  value       = google_cloudfunctions2_function.gateway.url
}

output "native_grpc_address" {
  description = "grpcs:// address of the native gRPC server (an instance's gateway_url when it exports over native gRPC), or null when native_grpc is off."
  value       = var.native_grpc.enabled ? "grpcs://${trimprefix(google_cloud_run_v2_service.native_grpc[0].uri, "https://")}" : null
}

output "function_name" {
  description = "Name of the gateway function (and of its Cloud Run service); the monitoring module filters its logs by it."
  value       = google_cloudfunctions2_function.gateway.name
}

output "topic_id" {
  description = "Full ID of the events topic (projects/<p>/topics/<name>): subscribe to it to consume events."
  value       = google_pubsub_topic.events.id
}

output "topic_name" {
  description = "Short name of the events topic; the monitoring module charts its publish requests."
  value       = google_pubsub_topic.events.name
}

output "dead_letter_topic_id" {
  description = "Full ID of the dead-letter topic."
  value       = google_pubsub_topic.dead_letter.id
}

output "dead_letter_subscription_name" {
  description = "Pull subscription that keeps dead-lettered events for inspection."
  value       = google_pubsub_subscription.dead_letter.name
}

output "bigquery_dead_letter_subscription_name" {
  description = "Pull subscription that keeps the messages BigQuery refused, or null when the BigQuery subscription is off."
  value       = var.bigquery.enabled ? google_pubsub_subscription.bigquery_dead_letter[0].name : null
}

output "bigquery_subscription_name" {
  description = "The BigQuery subscription (the monitoring module alerts when it stops writing), or null when it is off."
  value       = var.bigquery.enabled ? google_pubsub_subscription.bigquery[0].name : null
}

output "bigquery_table" {
  description = "PROJECT.DATASET.TABLE the BigQuery subscription writes to, or null when disabled."
  value       = local.bigquery_table
}

output "instance_tokens_secret_id" {
  description = "Secret Manager secret holding TELEMETRY_GATEWAY_INSTANCE_TOKENS."
  value       = google_secret_manager_secret.instance_tokens.secret_id
}

output "service_account_emails" {
  description = "The service accounts this module created, by role."
  value = {
    gateway = google_service_account.gateway.email
    build   = google_service_account.build.email
  }
}
