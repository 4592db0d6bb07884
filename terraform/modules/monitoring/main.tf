# Log-based metrics from the structured lines the functions write, and alerts on them.
#
# export (one line per run): {"message": "export run", "exported", "failed", "backlog",
#   "oldestUnexportedSeconds", "setAside", "setAsideThisRun", "pruned", "durationMs", ...,
#   "error" when the run failed} at severity WARNING when it failed, INFO otherwise.
# gateway (one line per batch): {"message": "gateway batch", "source", "received", "published",
#   "rejected", "failed", "result": success | partial_failure | complete_failure}
#
# Cloud Functions gen2 runs on Cloud Run: the lines are jsonPayload of resource cloud_run_revision,
# service_name = the function's name.

locals {
  watch_export  = length(var.export_function_names) > 0
  watch_gateway = length(var.gateway_function_names) > 0

  export_logs  = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for n in var.export_function_names : "\"${n}\""])})"
  gateway_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for n in var.gateway_function_names : "\"${n}\""])})"

  export_run    = "${local.export_logs} AND jsonPayload.message=\"export run\""
  set_aside_run = "${local.export_run} AND jsonPayload.setAside > 0"
  gateway_batch = "${local.gateway_logs} AND jsonPayload.message=\"gateway batch\""

  # A run that reports an error, or anything the export function logs at ERROR (a database that
  # is unavailable, a crash, a timed-out request).
  export_errors = "${local.export_logs} AND ((jsonPayload.message=\"export run\" AND jsonPayload.error:*) OR severity>=ERROR)"

  export_values = {
    exported              = { field = "exported", unit = "1", description = "Events the gateway acknowledged in one export run." }
    failed                = { field = "failed", unit = "1", description = "Events sent in one export run that the gateway did not acknowledge (retried later)." }
    backlog               = { field = "backlog", unit = "1", description = "Events still queued for export after a run." }
    oldest_unexported_age = { field = "oldestUnexportedSeconds", unit = "s", description = "Age of the oldest queued event after a run." }
    set_aside             = { field = "setAside", unit = "1", description = "Events set aside after a run: refused by the gateway too often, or undecodable; they wait for an admin (TallyAdmin set-aside)." }
  }

  gateway_values = {
    published = { field = "published", description = "Events of one gateway batch that Pub/Sub accepted." }
    rejected  = { field = "rejected", description = "Events of one gateway batch rejected for good (dead-lettered)." }
    failed    = { field = "failed", description = "Events of one gateway batch whose publish failed or timed out (the instance resends them)." }
  }

  metric_type = "logging.googleapis.com/user"
}

# --- export metrics ---

resource "google_logging_metric" "export_runs" {
  count       = local.watch_export ? 1 : 0
  project     = var.project_id
  name        = "${var.name_prefix}_export_runs"
  description = "Export runs that reported (one \"export run\" line each)."
  filter      = local.export_run

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Tally export runs"
  }
}

resource "google_logging_metric" "export" {
  for_each    = local.watch_export ? local.export_values : {}
  project     = var.project_id
  name        = "${var.name_prefix}_export_${each.key}"
  description = each.value.description
  filter      = local.export_run

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = each.value.unit
    display_name = "Tally export ${replace(each.key, "_", " ")}"
  }

  value_extractor = "EXTRACT(jsonPayload.${each.value.field})"

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 64
      growth_factor      = 1.5
      scale              = 1
    }
  }
}

resource "google_logging_metric" "export_errors" {
  count       = local.watch_export ? 1 : 0
  project     = var.project_id
  name        = "${var.name_prefix}_export_errors"
  description = "Export runs that reported an error, and ERROR lines of the export function."
  filter      = local.export_errors

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Tally export errors"
  }
}

# Runs that report set-aside events waiting for an admin: the alert below counts these.
resource "google_logging_metric" "export_set_aside_runs" {
  count       = local.watch_export ? 1 : 0
  project     = var.project_id
  name        = "${var.name_prefix}_export_set_aside_runs"
  description = "Export runs that report set-aside events (setAside > 0) waiting for an admin."
  filter      = local.set_aside_run

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Tally export runs with set-aside events"
  }
}

# --- gateway metrics ---

resource "google_logging_metric" "gateway_batches" {
  count       = local.watch_gateway ? 1 : 0
  project     = var.project_id
  name        = "${var.name_prefix}_gateway_batches"
  description = "Gateway batches by result (success, partial_failure, complete_failure)."
  filter      = local.gateway_batch

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Tally gateway batches"

    labels {
      key         = "result"
      value_type  = "STRING"
      description = "success, partial_failure or complete_failure"
    }
  }

  label_extractors = {
    result = "EXTRACT(jsonPayload.result)"
  }
}

# The batch line's source (one value per sending instance) is left out of the labels on purpose:
# its cardinality grows with the number of instances.
resource "google_logging_metric" "gateway" {
  for_each    = local.watch_gateway ? local.gateway_values : {}
  project     = var.project_id
  name        = "${var.name_prefix}_gateway_${each.key}"
  description = each.value.description
  filter      = local.gateway_batch

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "DISTRIBUTION"
    unit         = "1"
    display_name = "Tally gateway ${each.key}"
  }

  value_extractor = "EXTRACT(jsonPayload.${each.value.field})"

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 64
      growth_factor      = 1.5
      scale              = 1
    }
  }
}

# --- alerts ---

# A new log-based metric takes minutes to reach Cloud Monitoring, which refuses an alert policy on
# it until then (404; hashicorp/terraform-provider-google#11102). The policies wait. The metrics
# need only the functions' names, which come from variables, so on a first apply this wait runs
# alongside the database and the builds. It waits again only for a metric created later.
resource "time_sleep" "metric_propagation" {
  count           = var.alerts_enabled && local.watch_export ? 1 : 0
  create_duration = var.metric_propagation_wait

  triggers = {
    metrics = join(",", sort(concat(
      [for m in google_logging_metric.export : m.id],
      google_logging_metric.export_runs[*].id,
      google_logging_metric.export_errors[*].id,
      google_logging_metric.export_set_aside_runs[*].id,
    )))
  }
}

# "The backlog keeps growing": while export works, the oldest queued event is younger than a few
# schedule intervals. It only keeps getting older when runs fail, the gateway refuses events, or
# runs stop altogether (then no run reports, which the second condition catches).
resource "google_monitoring_alert_policy" "export_backlog" {
  count                 = local.watch_export && var.alerts_enabled ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name_prefix}: export backlog not draining"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  depends_on            = [time_sleep.metric_propagation]

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Queued telemetry events of a Tally instance are not leaving it: the oldest one is older than
      ${var.backlog_age_threshold_seconds}s, or the export function has not reported a run.

      Check the export function's "export run" log lines (fields `error`, `failed`, `backlog`),
      the Cloud Scheduler job's last attempts, and whether the gateway answers. Events are kept,
      not lost: they are sent once the export works again.
    EOT
  }

  conditions {
    display_name = "Oldest unexported event older than ${var.backlog_age_threshold_seconds}s"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.export["oldest_unexported_age"].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.backlog_age_threshold_seconds
      duration        = "${var.backlog_alert_duration_seconds}s"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "No export run reported for ${var.backlog_alert_duration_seconds}s"

    condition_absent {
      filter   = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.export_runs[0].name}\""
      duration = "${var.backlog_alert_duration_seconds}s"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }
}

resource "google_monitoring_alert_policy" "export_errors" {
  count                 = local.watch_export && var.alerts_enabled ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name_prefix}: export errors"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  depends_on            = [time_sleep.metric_propagation]

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      More than ${var.export_error_threshold} export errors within ${var.export_error_window_seconds}s:
      runs that reported an `error` (the gateway failed or refused the token) or ERROR lines of the
      export function (for example the database was unavailable). Read the export function's logs.
    EOT
  }

  conditions {
    display_name = "Export errors over ${var.export_error_window_seconds}s above ${var.export_error_threshold}"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.export_errors[0].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.export_error_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "${var.export_error_window_seconds}s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }
}

# Set-aside events are never exported nor deleted by themselves: someone has to look at them.
resource "google_monitoring_alert_policy" "export_set_aside" {
  count                 = local.watch_export && var.alerts_enabled ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name_prefix}: export events set aside"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  depends_on            = [time_sleep.metric_propagation]

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Export runs report events set aside (`setAside` > 0 in the "export run" line): the gateway
      refused each of them, sent alone, several times (`setAsideThisRun` counts new ones), or its
      stored payload cannot be decoded. They are kept, not exported, until an admin acts:

          TallyAdmin set-aside list           # each event with its reason and last error
          TallyAdmin set-aside retry ID...    # export again (after fixing the gateway), or --all
          TallyAdmin set-aside discard ID...  # delete for good

      The alert closes once runs stop reporting set-aside events.
    EOT
  }

  conditions {
    display_name = "Export runs report set-aside events"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.export_set_aside_runs[0].name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  # Runs without set-aside events write no point: close the incident when none came for a while.
  alert_strategy {
    auto_close = "1800s"
  }
}
