# Log-based metrics from the structured lines the functions write; alert policies on them and on
# Google's own metrics of the resources the deployment has (alerts.tf); a dashboard an operator
# opens first (dashboard.tf).
#
# export (one line per run): {"message": "export run", "exported", "failed", "backlog",
#   "oldestUnexportedSeconds", "setAside", "setAsideThisRun", "pruned", "durationMs", ...,
#   "error" when the run failed} at severity WARNING when it failed, INFO otherwise.
# gateway (one line per batch): {"message": "gateway batch", "source", "received", "published",
#   "rejected", "failed", "result": success | partial_failure | complete_failure}
# gateway (one line per HTTP request): {"message": "gateway request", "path", "grpcStatus": the
#   numeric gRPC status of a call refused or failed before any response ("16" UNAUTHENTICATED,
#   "7" PERMISSION_DENIED, ...), "in trailers" otherwise, ...}
#
# Cloud Functions gen2 runs on Cloud Run: the lines are jsonPayload of resource cloud_run_revision,
# service_name = the function's name.

locals {
  watch_export       = length(var.export_function_names) > 0
  watch_gateway      = length(var.gateway_function_names) > 0
  watch_record_event = length(var.record_event_function_names) > 0

  export_logs  = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for n in var.export_function_names : "\"${n}\""])})"
  gateway_logs = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=(${join(" OR ", [for n in var.gateway_function_names : "\"${n}\""])})"

  export_run      = "${local.export_logs} AND jsonPayload.message=\"export run\""
  set_aside_run   = "${local.export_run} AND jsonPayload.setAside > 0"
  gateway_batch   = "${local.gateway_logs} AND jsonPayload.message=\"gateway batch\""
  gateway_request = "${local.gateway_logs} AND jsonPayload.message=\"gateway request\""

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

  # The log-based metrics' names, from the variables alone: the resources below take their names
  # from here, and so do the dashboard's charts (which an offline test evaluates without the
  # provider, terraform/README.md).
  log_metric_names = merge(
    {
      export_runs           = "${var.name_prefix}_export_runs"
      export_errors         = "${var.name_prefix}_export_errors"
      export_set_aside_runs = "${var.name_prefix}_export_set_aside_runs"
      gateway_batches       = "${var.name_prefix}_gateway_batches"
      gateway_requests      = "${var.name_prefix}_gateway_requests"
    },
    { for k, v in local.export_values : "export_${k}" => "${var.name_prefix}_export_${k}" },
    { for k, v in local.gateway_values : "gateway_${k}" => "${var.name_prefix}_gateway_${k}" },
  )
  log_metric_types = { for k, name in local.log_metric_names : k => "${local.metric_type}/${name}" }

  # gRPC statuses of the "gateway request" line. Refused: the caller's doing (a token the gateway
  # does not know, a token used for another sender, a malformed or oversized call). Failed: the
  # gateway's (an unexpected error, a call over its deadline, Pub/Sub unavailable).
  grpc_refused = ["3", "7", "8", "12", "16"]
  grpc_failed  = ["2", "4", "13", "14"]
}

# A Cloud Monitoring filter's value list: one_of("a", "b").
locals {
  one_of = {
    all_functions          = "one_of(${join(", ", [for n in distinct(concat(var.record_event_function_names, var.export_function_names, var.gateway_function_names)) : "\"${n}\""])})"
    grpc_refused           = "one_of(${join(", ", [for c in local.grpc_refused : "\"${c}\""])})"
    grpc_failed            = "one_of(${join(", ", [for c in local.grpc_failed : "\"${c}\""])})"
    grpc_not_ok            = "one_of(${join(", ", [for c in concat(local.grpc_refused, local.grpc_failed) : "\"${c}\""])})"
    topics                 = "one_of(${join(", ", [for n in var.event_topic_names : "\"${n}\""])})"
    bigquery_subscriptions = "one_of(${join(", ", [for n in var.bigquery_subscription_names : "\"${n}\""])})"
    dead_letters           = "one_of(${join(", ", [for n in concat(var.gateway_dead_letter_subscription_names, var.bigquery_dead_letter_subscription_names) : "\"${n}\""])})"
  }
}

# --- export metrics ---

resource "google_logging_metric" "export_runs" {
  count       = local.watch_export ? 1 : 0
  project     = var.project_id
  name        = local.log_metric_names["export_runs"]
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
  name        = local.log_metric_names["export_${each.key}"]
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
  name        = local.log_metric_names["export_errors"]
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
  name        = local.log_metric_names["export_set_aside_runs"]
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
  name        = local.log_metric_names["gateway_batches"]
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
  name        = local.log_metric_names["gateway_${each.key}"]
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

# One count per "gateway request" line, by gRPC status: the refusals and failures of calls that
# ended before any response (an unknown token, an oversized request, a call over its deadline).
resource "google_logging_metric" "gateway_requests" {
  count       = local.watch_gateway ? 1 : 0
  project     = var.project_id
  name        = local.log_metric_names["gateway_requests"]
  description = "Gateway HTTP requests by gRPC status (grpc_status: the numeric status of a call that ended before any response, \"in trailers\" otherwise)."
  filter      = local.gateway_request

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "Tally gateway requests"

    labels {
      key         = "grpc_status"
      value_type  = "STRING"
      description = "Numeric gRPC status of a call that ended before any response, or \"in trailers\"."
    }
  }

  label_extractors = {
    grpc_status = "EXTRACT(jsonPayload.grpcStatus)"
  }
}
