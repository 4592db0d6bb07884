output "metric_types" {
  description = "Metric types of the log-based metrics, by name, for dashboards (logging.googleapis.com/user/<name>)."
  value = merge(
    { for m in concat(google_logging_metric.export_runs, google_logging_metric.export_errors, google_logging_metric.export_set_aside_runs, google_logging_metric.gateway_batches, google_logging_metric.gateway_requests) : m.name => "${local.metric_type}/${m.name}" },
    { for m in values(google_logging_metric.export) : m.name => "${local.metric_type}/${m.name}" },
    { for m in values(google_logging_metric.gateway) : m.name => "${local.metric_type}/${m.name}" },
  )
}

output "alert_policy_ids" {
  description = "IDs of the alert policies (empty when alerts are off)."
  value = concat(
    google_monitoring_alert_policy.export_backlog[*].name,
    google_monitoring_alert_policy.export_errors[*].name,
    google_monitoring_alert_policy.export_set_aside[*].name,
    google_monitoring_alert_policy.gateway_failures[*].name,
    google_monitoring_alert_policy.gateway_refusals[*].name,
    [for p in values(google_monitoring_alert_policy.dead_letters) : p.name],
    google_monitoring_alert_policy.bigquery_subscription[*].name,
    [for p in values(google_monitoring_alert_policy.request_errors) : p.name],
    [for p in values(google_monitoring_alert_policy.database_disk) : p.name],
    [for p in values(google_monitoring_alert_policy.database_cpu) : p.name],
    [for p in values(google_monitoring_alert_policy.database_connections) : p.name],
  )
}

output "alert_policies" {
  description = "The alert policies by title, each with its severity and ID: what an operator may be notified of."
  value = {
    for p in concat(
      google_monitoring_alert_policy.export_backlog,
      google_monitoring_alert_policy.export_errors,
      google_monitoring_alert_policy.export_set_aside,
      google_monitoring_alert_policy.gateway_failures,
      google_monitoring_alert_policy.gateway_refusals,
      values(google_monitoring_alert_policy.dead_letters),
      google_monitoring_alert_policy.bigquery_subscription,
      values(google_monitoring_alert_policy.request_errors),
      values(google_monitoring_alert_policy.database_disk),
      values(google_monitoring_alert_policy.database_cpu),
      values(google_monitoring_alert_policy.database_connections),
    ) : p.display_name => { severity = p.severity, id = p.name }
  }
}

output "dashboard_id" {
  description = "ID of the operations dashboard (projects/<number>/dashboards/<id>), or null when dashboard_enabled is false."
  value       = one(google_monitoring_dashboard.operations[*].id)
}

output "dashboard_url" {
  description = "Console URL of the operations dashboard, or null when dashboard_enabled is false."
  value       = var.dashboard_enabled ? "https://console.cloud.google.com/monitoring/dashboards/builder/${element(split("/", google_monitoring_dashboard.operations[0].id), 3)}?project=${var.project_id}" : null
}
