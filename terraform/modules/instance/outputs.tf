output "record_event_url" {
  description = "URL of the record-event function; clients post GraphQL to <url>/.api/graphql."
  value       = google_cloudfunctions2_function.record_event.url
}

output "record_event_function_name" {
  description = "Name of the record-event function (and of its Cloud Run service). Known from the variables alone, so that what filters logs by it need not wait for the function."
  value       = local.record_event_function_name
}

output "export_url" {
  description = "URL of the export function (invokable only by the scheduler's service account)."
  value       = google_cloudfunctions2_function.export.service_config[0].uri
}

output "export_function_name" {
  description = "Name of the export function (and of its Cloud Run service); the monitoring module filters its logs by it. Known from the variables alone, so that the log-based metrics (and the wait for them to propagate) need not wait for the function."
  value       = local.export_function_name
}

output "scheduler_job_name" {
  description = "Name of the Cloud Scheduler job that runs the export."
  value       = google_cloud_scheduler_job.export.name
}

output "database_instance_name" {
  description = "Name of the Cloud SQL instance."
  value       = google_sql_database_instance.tally.name
}

output "database_connection_name" {
  description = "Cloud SQL connection name, PROJECT:REGION:INSTANCE (for the Cloud SQL Auth Proxy)."
  value       = google_sql_database_instance.tally.connection_name
}

output "database_url" {
  description = "DATABASE_URL for TallyAdmin (migrate, create-token, set-flag) from a machine with Application Default Credentials that hold roles/cloudsql.client. Carries no password."
  value       = local.database_url
}

output "database_user" {
  description = "DATABASE_USER."
  value       = google_sql_user.tally.name
}

output "database_password_secret_id" {
  description = "Secret Manager secret holding DATABASE_PASSWORD: gcloud secrets versions access latest --project <project> --secret=<id>."
  value       = google_secret_manager_secret.database_password.secret_id
}

output "service_account_emails" {
  description = "The service accounts this module created, by role."
  value = {
    record_event = google_service_account.record_event.email
    export       = google_service_account.export.email
    scheduler    = google_service_account.scheduler.email
    build        = google_service_account.build.email
  }
}

output "connection_budget" {
  description = "How the functions' connection pools fit into the database's max_connections, with room for a rollout (old and new revision at once): rollout_overlap x (record_event_max_instances x record_event_pool_size + export_max_instances x export_pool_size) = used_at_most <= max_connections - reserved = available."
  value = {
    max_connections             = var.database_max_connections
    reserved                    = var.database_reserved_connections
    available                   = local.available_connections
    rollout_overlap             = local.rollout_overlap
    record_event_max_instances  = local.record_event_max_instances
    record_event_pool_size      = var.record_event_database_pool_size
    record_event_concurrency    = var.record_event_concurrency
    record_event_cpu            = var.record_event_cpu
    export_max_instances        = var.export_max_instances
    export_pool_size            = var.export_database_pool_size
    used_at_most                = local.connections_used
    concurrent_requests_at_most = local.record_event_max_instances * var.record_event_concurrency
    arithmetic                  = "${local.rollout_overlap} x (${local.record_event_max_instances} x ${var.record_event_database_pool_size} + ${var.export_max_instances} x ${var.export_database_pool_size}) = ${local.connections_used} <= ${var.database_max_connections} - ${var.database_reserved_connections} = ${local.available_connections}"
  }
}

output "console_url" {
  description = "The administrators' console (record-event's /console): sign in with an access token that has the site-admin scope (TallyAdmin create-token USER_ID site-admin)."
  value       = "${google_cloudfunctions2_function.record_event.url}/console"
}
