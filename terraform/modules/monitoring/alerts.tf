# Alert policies. Each has a severity (CRITICAL: events are being lost or soon will be; ERROR: a
# part of the pipeline stopped, events are kept; WARNING: someone should look within the working
# day) and documentation that says what to check and do. Every policy notifies
# var.notification_channels, which the variable's validation requires when alerts_enabled is true.
# A policy exists only when the deployment has what it watches: no BigQuery subscription, no
# BigQuery alert.

# A new log-based metric takes minutes to reach Cloud Monitoring, which refuses an alert policy on
# it until then (404; hashicorp/terraform-provider-google#11102). The policies wait. The metrics
# need only the functions' names, which come from variables, so on a first apply this wait runs
# alongside the database and the builds. It waits again only for a metric created later.
resource "time_sleep" "metric_propagation" {
  count           = var.alerts_enabled && (local.watch_export || local.watch_gateway) ? 1 : 0
  create_duration = var.metric_propagation_wait

  triggers = {
    metrics = join(",", sort(concat(
      [for m in google_logging_metric.export : m.id],
      google_logging_metric.export_runs[*].id,
      google_logging_metric.export_errors[*].id,
      google_logging_metric.export_set_aside_runs[*].id,
    )))
    gateway_metrics = join(",", sort(concat(
      google_logging_metric.gateway_batches[*].id,
      google_logging_metric.gateway_requests[*].id,
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
  severity              = "ERROR"
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
  severity              = "ERROR"
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
  severity              = "WARNING"
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

# --- gateway ---

# Publishing to Pub/Sub failed or timed out for some events of a batch (the instance resends them),
# or calls ended with an error of the gateway's own before any response. A lone failure is a
# Pub/Sub hiccup the resend absorbs; several within the window mean the gateway cannot publish.
resource "google_monitoring_alert_policy" "gateway_failures" {
  count                 = local.watch_gateway && var.alerts_enabled ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name_prefix}: gateway failing to publish"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  depends_on            = [time_sleep.metric_propagation]

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The gateway reports failures: more than ${var.gateway_failure_threshold} batches within
      ${var.gateway_alert_window_seconds}s whose publish to Pub/Sub failed or timed out, or more than
      ${var.gateway_failure_threshold} calls that ended with a gateway error (gRPC UNKNOWN, DEADLINE_EXCEEDED,
      INTERNAL or UNAVAILABLE) before any response.

      Senders keep these events and send them again, so nothing is lost yet, but their backlogs grow.
      Read the gateway's "gateway batch" lines with `failed` > 0 and its ERROR lines ("gRPC-web call
      failed"): a Pub/Sub outage (status.cloud.google.com), the gateway account's publisher role on
      the topics, or a publish_timeout too short for the load (module "gateway").
    EOT
  }

  conditions {
    display_name = "Gateway batches with failed publishes over ${var.gateway_alert_window_seconds}s above ${var.gateway_failure_threshold}"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.gateway_batches[0].name}\" AND metric.label.result=one_of(\"partial_failure\", \"complete_failure\")"
      comparison      = "COMPARISON_GT"
      threshold_value = var.gateway_failure_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "${var.gateway_alert_window_seconds}s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Gateway calls failed by the gateway over ${var.gateway_alert_window_seconds}s above ${var.gateway_failure_threshold}"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.gateway_requests[0].name}\" AND metric.label.grpc_status=${local.one_of.grpc_failed}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.gateway_failure_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "${var.gateway_alert_window_seconds}s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }
}

# Calls the gateway refused: a sender whose token it does not know (UNAUTHENTICATED: a token not
# yet, or no longer, in instance_tokens), a token used for another sender (PERMISSION_DENIED), a
# malformed or oversized call. A sender with a bad token is refused at every export run (every 5
# minutes by default): three refusals within 15 minutes are one sender that cannot deliver.
resource "google_monitoring_alert_policy" "gateway_refusals" {
  count                 = local.watch_gateway && var.alerts_enabled ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name_prefix}: gateway refusing senders"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  depends_on            = [time_sleep.metric_propagation]

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The gateway refused more than ${var.gateway_refusal_threshold} calls within
      ${var.gateway_alert_window_seconds}s (the incident names the gRPC status). Refused senders keep
      their events (the export reports `error`, or sets events aside) until this is fixed.

      - 16 UNAUTHENTICATED: the token is not in the gateway's instance_tokens. After adding a sender,
        check that the apply finished; after rotating a token, that the instance has the new one.
      - 7 PERMISSION_DENIED: the token belongs to another instance ID, or an unlicensed token claims
        a licensed instance (list it as `licensed-instance:<id>`).
      - 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 12 UNIMPLEMENTED: a sender sends malformed or
        oversized calls; its version or its batch size is wrong.

      Logs Explorer: `jsonPayload.message="gateway request" AND jsonPayload.grpcStatus!="in trailers"`
      on the gateway's service.
    EOT
  }

  conditions {
    display_name = "Gateway calls refused over ${var.gateway_alert_window_seconds}s above ${var.gateway_refusal_threshold}"

    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.metric_type}/${google_logging_metric.gateway_requests[0].name}\" AND metric.label.grpc_status=${local.one_of.grpc_refused}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.gateway_refusal_threshold
      duration        = "0s"

      aggregations {
        alignment_period     = "${var.gateway_alert_window_seconds}s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name", "metric.label.grpc_status"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "3600s"
  }
}

# --- dead letters ---

locals {
  dead_letters = merge(
    length(var.gateway_dead_letter_subscription_names) == 0 ? {} : {
      gateway = {
        subscriptions = var.gateway_dead_letter_subscription_names
        title         = "gateway dead letters"
        # A sender's events the gateway can never accept: the sender's fault, kept for a week.
        severity = "WARNING"
        what     = "events the gateway rejected for good (no id, an invalid feature or action name, an invalid timestamp): the reason is the message's `deadLetter.reason` attribute"
        then     = "Fix the sender that produced them (the message's attributes name it). The events cannot be published again as they are."
      }
    },
    length(var.bigquery_dead_letter_subscription_names) == 0 ? {} : {
      bigquery = {
        subscriptions = var.bigquery_dead_letter_subscription_names
        title         = "BigQuery dead letters"
        # Valid events missing from the analysis table: the pipeline's fault.
        severity = "ERROR"
        what     = "events the BigQuery subscription could not write after its delivery attempts (the table was deleted or changed, the Pub/Sub agent lost its role on it)"
        then     = "Fix the table or the grant (module \"gateway\": google_bigquery_table_iam_member.pubsub_writer), then load the messages' `data` into the table, or republish them to the events topic."
      }
    },
  )
}

# The inspect subscriptions keep dead letters for seven days for an operator; nothing else reads
# them, so any message there waits for someone: the incident stays open, and reminds, until the
# subscription is empty.
resource "google_monitoring_alert_policy" "dead_letters" {
  for_each              = var.alerts_enabled ? local.dead_letters : {}
  project               = var.project_id
  display_name          = "${var.name_prefix}: ${each.value.title} waiting"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Messages wait in ${join(", ", each.value.subscriptions)}: ${each.value.what}.
      They are kept seven days from publication, then lost; this reminds every
      ${var.dead_letter_renotify_seconds}s while any wait.

      Read them: `gcloud pubsub subscriptions pull SUBSCRIPTION --project ${var.project_id} --limit=10`
      (without --auto-ack they stay). ${each.value.then}

      The incident closes when the subscription is empty: acknowledge what was handled
      (`pull --auto-ack`), or drop everything with
      `gcloud pubsub subscriptions seek SUBSCRIPTION --time=$(date -u +%FT%TZ)`.
    EOT
  }

  conditions {
    display_name = "Undelivered messages in ${each.value.title}"

    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=one_of(${join(", ", [for n in each.value.subscriptions : "\"${n}\""])}) AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.subscription_id"]
      }

      trigger {
        count = 1
      }
    }
  }

  # While messages wait, remind every day (a reminder costs nothing; a second condition would).
  alert_strategy {
    notification_channel_strategy {
      notification_channel_names = var.notification_channels
      renotify_interval          = "${var.dead_letter_renotify_seconds}s"
    }
  }
}

# --- BigQuery subscription ---

# A BigQuery subscription writes a message within seconds. When it stops (the table was deleted,
# the Pub/Sub agent lost its role, the subscription's state is no longer ACTIVE) messages stay
# unacknowledged: the oldest one's age grows. Messages the table refuses one by one go to the
# BigQuery dead letters instead (the alert above).
resource "google_monitoring_alert_policy" "bigquery_subscription" {
  count                 = length(var.bigquery_subscription_names) > 0 && var.alerts_enabled ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name_prefix}: BigQuery subscription not writing"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The oldest message of ${join(", ", var.bigquery_subscription_names)} has waited more than
      ${var.bigquery_backlog_age_threshold_seconds}s: the subscription is not writing to BigQuery. Messages
      are kept seven days, then lost.

      `gcloud pubsub subscriptions describe SUBSCRIPTION --project ${var.project_id} --format='value(state)'`
      says why when it is not ACTIVE (PERMISSION_DENIED, NOT_FOUND, SCHEMA_MISMATCH...). Check that
      the table exists and that the Pub/Sub service agent holds roles/bigquery.dataEditor on it
      (module "gateway" creates both; `terraform plan` shows what drifted). Once fixed, the
      subscription writes the backlog by itself.
    EOT
  }

  conditions {
    display_name = "Oldest unwritten message older than ${var.bigquery_backlog_age_threshold_seconds}s"

    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=${local.one_of.bigquery_subscriptions} AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.bigquery_backlog_age_threshold_seconds
      duration        = "600s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.subscription_id"]
      }

      trigger {
        count = 1
      }
    }
  }
}

# --- HTTP errors of the functions clients call ---

locals {
  request_errors = merge(
    local.watch_record_event ? {
      record_event = {
        title    = "record-event"
        services = var.record_event_function_names
        # A client whose request failed may not send the event again: events are being lost.
        severity = "CRITICAL"
        causes   = "Read its ERROR lines. The usual causes are the database (unavailable, out of connections: see the database alerts and the dashboard's connections chart) and instances that cannot start (a secret version they pin is gone, a bad configuration: the revision's logs say which)."
      }
    } : {},
    local.watch_gateway ? {
      gateway = {
        title    = "gateway"
        services = var.gateway_function_names
        # Senders keep what the gateway did not acknowledge and send it again.
        severity = "ERROR"
        causes   = "The gateway answers its own refusals with HTTP 200 and a gRPC status, so 500, 503 and 504 come from Cloud Run: a crash, a request over timeout_seconds, no instance available at max_instances. Senders keep the events and send them again."
      }
    } : {},
  )
}

# 5xx answers of record-event (clients' events not recorded) and of the gateway (Cloud Run could
# not serve a sender). A share rather than a count, so that the threshold holds at any traffic;
# sustained for the duration, so that one failed request among a few does not fire by itself.
resource "google_monitoring_alert_policy" "request_errors" {
  for_each              = var.alerts_enabled ? local.request_errors : {}
  project               = var.project_id
  display_name          = "${var.name_prefix}: ${each.value.title} answering 5xx"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      More than ${var.request_error_ratio_threshold * 100}% of the requests to ${each.value.title} (the incident names the
      service) were answered with HTTP 5xx for ${var.request_error_duration_seconds}s.

      ${each.value.causes}

      `gcloud run services describe SERVICE --region REGION --project ${var.project_id}` shows the
      serving revision; if a new revision is the cause, send the traffic back to the previous one:
      `gcloud run services update-traffic SERVICE --region REGION --project ${var.project_id} --to-revisions=REVISION=100`.
    EOT
  }

  conditions {
    display_name = "Share of 5xx responses above ${var.request_error_ratio_threshold}"

    condition_threshold {
      filter             = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=one_of(${join(", ", [for n in each.value.services : "\"${n}\""])}) AND metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\""
      denominator_filter = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=one_of(${join(", ", [for n in each.value.services : "\"${n}\""])}) AND metric.type=\"run.googleapis.com/request_count\""
      comparison         = "COMPARISON_GT"
      threshold_value    = var.request_error_ratio_threshold
      duration           = "${var.request_error_duration_seconds}s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      denominator_aggregations {
        alignment_period     = "300s"
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

# --- Cloud SQL ---

locals {
  # Cloud SQL's metrics name an instance PROJECT:INSTANCE.
  database_ids = { for k, db in var.database_instances : k => "${var.project_id}:${db.instance_name}" }
}

# A full disk stops the database. Automatic storage increase adds space before that unless it has
# reached its limit (disk_autoresize_limit) or cannot keep up with a burst: either way someone must
# act before the writes stop.
resource "google_monitoring_alert_policy" "database_disk" {
  for_each              = var.alerts_enabled ? var.database_instances : {}
  project               = var.project_id
  display_name          = "${var.name_prefix}: database ${each.key} disk filling up"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The disk of Cloud SQL instance ${each.value.instance_name} is more than
      ${var.database_disk_utilization_threshold * 100}% full. When it is full, the database stops accepting writes:
      record-event fails and exports stop.

      Check the storage limit (`gcloud sql instances describe ${each.value.instance_name} --project ${var.project_id}
      --format='value(settings.dataDiskSizeGb,settings.storageAutoResizeLimit)'`) and raise it or the
      disk size; look for what grew (the `event_logs` retention, a backlog that cannot export:
      see the export alerts). Disk size can only grow.
    EOT
  }

  conditions {
    display_name = "Disk utilization above ${var.database_disk_utilization_threshold}"

    condition_threshold {
      filter          = "resource.type=\"cloudsql_database\" AND resource.label.database_id=\"${local.database_ids[each.key]}\" AND metric.type=\"cloudsql.googleapis.com/database/disk/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.database_disk_utilization_threshold
      duration        = "600s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }

      trigger {
        count = 1
      }
    }
  }
}

# Sustained, not a spike: the export's bursts and a migration may use the whole CPU for minutes.
resource "google_monitoring_alert_policy" "database_cpu" {
  for_each              = var.alerts_enabled ? var.database_instances : {}
  project               = var.project_id
  display_name          = "${var.name_prefix}: database ${each.key} CPU saturated"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Cloud SQL instance ${each.value.instance_name} used more than ${var.database_cpu_utilization_threshold * 100}% of its
      CPU for ${var.database_cpu_duration_seconds}s. Requests slow down, then time out (record-event 5xx, export
      runs that do not finish).

      Query Insights (Cloud SQL > the instance > Query insights) shows which queries; a larger
      database_tier gives more CPU (a shared-core tier such as db-f1-micro has only a fraction of one).
    EOT
  }

  conditions {
    display_name = "CPU utilization above ${var.database_cpu_utilization_threshold} for ${var.database_cpu_duration_seconds}s"

    condition_threshold {
      filter          = "resource.type=\"cloudsql_database\" AND resource.label.database_id=\"${local.database_ids[each.key]}\" AND metric.type=\"cloudsql.googleapis.com/database/cpu/utilization\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.database_cpu_utilization_threshold
      duration        = "${var.database_cpu_duration_seconds}s"

      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MEAN"
      }

      trigger {
        count = 1
      }
    }
  }
}

# The instance module's connection budget keeps the functions' pools, even during a rollout, within
# max_connections minus a reserve; outside a rollout they use at most half of that. Backends above
# the threshold share of max_connections mean something outside the budget holds connections (admin
# sessions, a leak, a changed pool size): at max_connections, new connections are refused.
resource "google_monitoring_alert_policy" "database_connections" {
  for_each              = var.alerts_enabled ? var.database_instances : {}
  project               = var.project_id
  display_name          = "${var.name_prefix}: database ${each.key} connections near max_connections"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.notification_channels
  user_labels           = var.labels

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Cloud SQL instance ${each.value.instance_name} has more than ${floor(var.database_connections_threshold * each.value.max_connections)}
      connections (max_connections ${each.value.max_connections}). At ${each.value.max_connections}, new ones are refused:
      record-event answers 5xx, exports fail.

      See who holds them: `SELECT usename, application_name, state, count(*) FROM pg_stat_activity
      GROUP BY 1, 2, 3;` (TallyAdmin's DATABASE_URL, terraform/README.md). Close stray sessions; the
      instance module's connection_budget output shows what the functions may use.
    EOT
  }

  conditions {
    display_name = "Backends above ${floor(var.database_connections_threshold * each.value.max_connections)} of ${each.value.max_connections}"

    condition_threshold {
      filter          = "resource.type=\"cloudsql_database\" AND resource.label.database_id=\"${local.database_ids[each.key]}\" AND metric.type=\"cloudsql.googleapis.com/database/postgresql/num_backends\""
      comparison      = "COMPARISON_GT"
      threshold_value = floor(var.database_connections_threshold * each.value.max_connections)
      duration        = "300s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.database_id"]
      }

      trigger {
        count = 1
      }
    }
  }
}
