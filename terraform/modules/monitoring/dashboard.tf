# The dashboard an operator opens first: is the backlog draining, are events exported and
# published, is anything waiting for an admin, does the gateway refuse senders, which function
# answers errors, how loaded is the database. Only the charts of what the deployment has.
#
# Built from variables and locals only (the log-based metrics' names come from
# local.log_metric_names, not from the resources), so that an offline test can evaluate it and
# check that every chart names a metric that exists (terraform/README.md).

locals {
  # One chart: a title, its data sets (a filter that names one metric type, and how to aggregate
  # it), optionally threshold lines.
  chart = {
    for k, c in {
      export_backlog_age = local.watch_export ? {
        title      = "Export backlog: age of the oldest queued event (s)"
        thresholds = [{ value = var.backlog_age_threshold_seconds, label = "alert" }]
        sets = [{
          filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_oldest_unexported_age"]}\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_PERCENTILE_99", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.service_name"] }
        }]
      } : null
      export_backlog_size = local.watch_export ? {
        title      = "Export backlog: events queued after a run"
        thresholds = []
        sets = [{
          filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_backlog"]}\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_PERCENTILE_99", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.service_name"] }
        }]
      } : null
      export_rate = local.watch_export ? {
        title      = "Export: events acknowledged and failed per run (mean)"
        thresholds = []
        sets = [
          {
            filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_exported"]}\""
            agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MEAN", crossSeriesReducer = "REDUCE_MEAN", groupByFields = ["resource.label.service_name"] }
          },
          {
            filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_failed"]}\""
            agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MEAN", crossSeriesReducer = "REDUCE_MEAN", groupByFields = ["resource.label.service_name"] }
          },
        ]
      } : null
      export_runs = local.watch_export ? {
        title      = "Export: runs and errors per 5 minutes"
        thresholds = []
        sets = [
          {
            filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_runs"]}\""
            agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.service_name"] }
          },
          {
            filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_errors"]}\""
            agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.service_name"] }
          },
        ]
      } : null
      set_aside = local.watch_export ? {
        title      = "Set aside: events waiting for an admin (TallyAdmin set-aside)"
        thresholds = []
        sets = [{
          filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["export_set_aside"]}\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_PERCENTILE_99", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.service_name"] }
        }]
      } : null
      publish_rate = length(var.event_topic_names) > 0 ? {
        title      = "Pub/Sub: publish requests per second to the events topic, by result"
        thresholds = []
        sets = [{
          filter = "resource.type=\"pubsub_topic\" AND resource.label.topic_id=${local.one_of.topics} AND metric.type=\"pubsub.googleapis.com/topic/send_request_count\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.response_class"] }
        }]
      } : null
      gateway_batches = local.watch_gateway ? {
        title      = "Gateway: batches per 5 minutes, by result"
        thresholds = []
        sets = [{
          filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["gateway_batches"]}\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.result"] }
        }]
      } : null
      gateway_refusals = local.watch_gateway ? {
        title      = "Gateway: calls refused or failed per 5 minutes, by gRPC status"
        thresholds = []
        sets = [{
          filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"${local.log_metric_types["gateway_requests"]}\" AND metric.label.grpc_status=${local.one_of.grpc_not_ok}"
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_DELTA", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.grpc_status"] }
        }]
      } : null
      dead_letters = length(concat(var.gateway_dead_letter_subscription_names, var.bigquery_dead_letter_subscription_names)) > 0 ? {
        title      = "Dead letters: messages waiting in the inspect subscriptions"
        thresholds = []
        sets = [{
          filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=${local.one_of.dead_letters} AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.subscription_id"] }
        }]
      } : null
      bigquery_backlog = length(var.bigquery_subscription_names) > 0 ? {
        title      = "BigQuery subscription: age of the oldest unwritten message (s)"
        thresholds = [{ value = var.bigquery_backlog_age_threshold_seconds, label = "alert" }]
        sets = [{
          filter = "resource.type=\"pubsub_subscription\" AND resource.label.subscription_id=${local.one_of.bigquery_subscriptions} AND metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.subscription_id"] }
        }]
      } : null
      function_errors = length(concat(var.record_event_function_names, var.export_function_names, var.gateway_function_names)) > 0 ? {
        title      = "Errors per function: HTTP 5xx responses per second"
        thresholds = []
        sets = [{
          filter = "resource.type=\"cloud_run_revision\" AND resource.label.service_name=${local.one_of.all_functions} AND metric.type=\"run.googleapis.com/request_count\" AND metric.label.response_code_class=\"5xx\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.service_name"] }
        }]
      } : null
      database_cpu = length(var.database_instances) > 0 ? {
        title      = "Database: CPU utilization"
        thresholds = [{ value = var.database_cpu_utilization_threshold, label = "alert" }]
        sets = [{
          filter = "resource.type=\"cloudsql_database\" AND resource.label.database_id=one_of(${join(", ", [for id in values(local.database_ids) : "\"${id}\""])}) AND metric.type=\"cloudsql.googleapis.com/database/cpu/utilization\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MEAN", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.database_id"] }
        }]
      } : null
      database_connections = length(var.database_instances) > 0 ? {
        title      = "Database: connections (backends)"
        thresholds = [for k, db in var.database_instances : { value = db.max_connections, label = "${k}: max_connections" }]
        sets = [{
          filter = "resource.type=\"cloudsql_database\" AND resource.label.database_id=one_of(${join(", ", [for id in values(local.database_ids) : "\"${id}\""])}) AND metric.type=\"cloudsql.googleapis.com/database/postgresql/num_backends\""
          agg    = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["resource.label.database_id"] }
        }]
      } : null
      database_disk = length(var.database_instances) > 0 ? {
        title      = "Database: disk utilization"
        thresholds = [{ value = var.database_disk_utilization_threshold, label = "alert" }]
        sets = [{
          filter = "resource.type=\"cloudsql_database\" AND resource.label.database_id=one_of(${join(", ", [for id in values(local.database_ids) : "\"${id}\""])}) AND metric.type=\"cloudsql.googleapis.com/database/disk/utilization\""
          agg    = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_MEAN", crossSeriesReducer = "REDUCE_MAX", groupByFields = ["resource.label.database_id"] }
        }]
      } : null
    } : k => c if c != null
  }

  # In reading order; two charts a row.
  chart_order = [
    "export_backlog_age", "export_backlog_size", "export_rate", "export_runs", "set_aside",
    "publish_rate", "gateway_batches", "gateway_refusals", "dead_letters", "bigquery_backlog",
    "function_errors", "database_cpu", "database_connections", "database_disk",
  ]
  charts = [for k in local.chart_order : local.chart[k] if contains(keys(local.chart), k)]

  dashboard_widgets = concat(
    [{
      title = "Where to start"
      text = {
        format  = "MARKDOWN"
        content = "Backlog age and set-aside events first: they say whether events leave the instances. Then the gateway's refusals, the dead letters and each function's errors. Each alert policy's documentation (Monitoring > Alerting) says what to do."
      }
    }],
    [for c in local.charts : {
      title = c.title
      # Empty lists are left out, as the API leaves them out of what it returns.
      xyChart = merge(
        {
          dataSets = [for s in c.sets : {
            plotType   = "LINE"
            targetAxis = "Y1"
            timeSeriesQuery = {
              timeSeriesFilter = { filter = s.filter, aggregation = s.agg }
            }
          }]
          yAxis = { scale = "LINEAR" }
        },
        length(c.thresholds) == 0 ? {} : {
          thresholds = [for t in c.thresholds : { value = t.value, label = t.label, targetAxis = "Y1" }]
        },
      )
    }],
  )

  # Mosaic layout, 48 columns: two tiles of 24 a row. Zero positions are left out, as the API
  # leaves them out of what it returns.
  dashboard = {
    displayName = "Tally (${var.name_prefix}): operations"
    mosaicLayout = {
      columns = 48
      tiles = [for i, w in local.dashboard_widgets : merge(
        { width = 24, height = 16, widget = w },
        i % 2 == 0 ? {} : { xPos = 24 },
        floor(i / 2) == 0 ? {} : { yPos = floor(i / 2) * 16 },
      )]
    }
  }
}

resource "google_monitoring_dashboard" "operations" {
  count          = var.dashboard_enabled ? 1 : 0
  project        = var.project_id
  dashboard_json = jsonencode(local.dashboard)
}
