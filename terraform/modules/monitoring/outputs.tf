output "metric_types" {
  description = "Metric types of the log-based metrics, by name, for dashboards (logging.googleapis.com/user/<name>)."
  value = merge(
    { for m in concat(google_logging_metric.export_runs, google_logging_metric.export_errors, google_logging_metric.export_set_aside_runs, google_logging_metric.gateway_batches) : m.name => "${local.metric_type}/${m.name}" },
    { for m in values(google_logging_metric.export) : m.name => "${local.metric_type}/${m.name}" },
    { for m in values(google_logging_metric.gateway) : m.name => "${local.metric_type}/${m.name}" },
  )
}

output "alert_policy_ids" {
  description = "IDs of the alert policies (empty when alerts are off or no export function is watched)."
  value       = concat(google_monitoring_alert_policy.export_backlog[*].name, google_monitoring_alert_policy.export_errors[*].name, google_monitoring_alert_policy.export_set_aside[*].name)
}
