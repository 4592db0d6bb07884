variable "project_id" {
  description = "Project whose logs the metrics read: the project of the functions named below (log-based metrics see one project's logs)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the log-based metric names and alert policy titles."
  type        = string
  default     = "tally"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,29}$", var.name_prefix))
    error_message = "name_prefix must be up to 30 lowercase letters, digits or underscores, starting with a letter."
  }
}

variable "export_function_names" {
  description = "Names of the export functions to watch (the instance module's export_function_name). Empty: no export metrics or alerts."
  type        = list(string)
  default     = []
}

variable "gateway_function_names" {
  description = "Names of the gateway functions to watch (the gateway module's function_name). Empty: no gateway metrics or alerts."
  type        = list(string)
  default     = []
}

variable "record_event_function_names" {
  description = "Names of the record-event functions (the instance module's record_event_function_name) whose HTTP 5xx answers are alerted on and charted. Empty: none."
  type        = list(string)
  default     = []
}

variable "event_topic_names" {
  description = "Short names of the gateway's events topics (the gateway module's topic_name), for the dashboard's publish chart. Empty: no such chart."
  type        = list(string)
  default     = []
}

variable "gateway_dead_letter_subscription_names" {
  description = "The gateway's dead-letter inspect subscriptions (the gateway module's dead_letter_subscription_name): alerted on while they hold messages. Empty: no such alert."
  type        = list(string)
  default     = []
}

variable "bigquery_subscription_names" {
  description = "BigQuery subscriptions (the gateway module's bigquery_subscription_name): alerted on when they stop writing. Empty (no BigQuery subscription): no such alert."
  type        = list(string)
  default     = []
}

variable "bigquery_dead_letter_subscription_names" {
  description = "The BigQuery dead-letter inspect subscriptions (the gateway module's bigquery_dead_letter_subscription_name): alerted on while they hold messages. Empty: no such alert."
  type        = list(string)
  default     = []
}

variable "database_instances" {
  description = "Cloud SQL instances to watch (disk, CPU, connections), keyed by a name known before apply (such as \"main\"): instance_name is the instance module's database_instance_name, max_connections its database_max_connections. Empty: no database alerts or charts."
  type = map(object({
    instance_name   = string
    max_connections = number
  }))
  default = {}

  validation {
    condition     = alltrue([for k, db in var.database_instances : can(regex("^[a-z0-9_-]{1,30}$", k)) && db.max_connections >= 1])
    error_message = "database_instances: each key must be up to 30 lowercase letters, digits, - or _ (it names the alert policies), and each max_connections at least 1."
  }
}

variable "alerts_enabled" {
  description = "Create the alert policies (the metrics and the dashboard are created either way). With alerts, notification_channels must name at least one channel; false deploys without alert policies (a test or a short-lived project)."
  type        = bool
  default     = true
}

variable "notification_channels" {
  description = "Monitoring notification channel IDs (projects/<p>/notificationChannels/<id>) every alert policy notifies: at least one when alerts_enabled is true. Create channels in the console (Monitoring > Alerting > Edit notification channels), with `gcloud beta monitoring channels create`, or with google_monitoring_notification_channel (terraform/README.md)."
  type        = list(string)
  default     = []

  # Refers to another variable: Terraform 1.9 or later.
  validation {
    condition     = !var.alerts_enabled || length(var.notification_channels) > 0
    error_message = "notification_channels is empty while alerts_enabled is true: the alerts would notify nobody. Set notification_channels to at least one channel ID (projects/<project>/notificationChannels/<id>; terraform/README.md, \"Route the alerts\"), or set alerts_enabled = false to deploy without alert policies."
  }

  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "notification_channels: each entry must be a channel ID of the form projects/<project>/notificationChannels/<id> (gcloud beta monitoring channels list --format='value(name)')."
  }
}

variable "dashboard_enabled" {
  description = "Create the Cloud Monitoring dashboard (its URL is the dashboard_url output)."
  type        = bool
  default     = true
}

variable "backlog_age_threshold_seconds" {
  description = "Alert when the oldest unexported event is older than this (the export run's oldestUnexportedSeconds). While export works it stays below the schedule interval plus the retry backoff."
  type        = number
  default     = 3600

  validation {
    condition     = var.backlog_age_threshold_seconds >= 300
    error_message = "backlog_age_threshold_seconds must be at least 300 (one default schedule interval)."
  }
}

variable "backlog_alert_duration_seconds" {
  description = "How long the backlog must stay over the threshold, or export runs stay absent, before the backlog alert opens."
  type        = number
  default     = 1800

  validation {
    condition     = var.backlog_alert_duration_seconds >= 120 && var.backlog_alert_duration_seconds <= 86400
    error_message = "backlog_alert_duration_seconds must be between 120 and 86400."
  }
}

variable "export_error_threshold" {
  description = "Alert when more than this many export errors (a run that reports an error, or an ERROR log line of the export function) happen within export_error_window_seconds. The default 2 fires when all three runs of a 15-minute window failed."
  type        = number
  default     = 2

  validation {
    condition     = var.export_error_threshold >= 0 && floor(var.export_error_threshold) == var.export_error_threshold
    error_message = "export_error_threshold must be a whole number of at least 0."
  }
}

variable "export_error_window_seconds" {
  description = "Window over which export errors are counted."
  type        = number
  default     = 900

  validation {
    condition     = var.export_error_window_seconds >= 60 && var.export_error_window_seconds <= 86400
    error_message = "export_error_window_seconds must be between 60 and 86400."
  }
}

variable "labels" {
  description = "User labels added to the alert policies."
  type        = map(string)
  default     = {}
}

variable "metric_propagation_wait" {
  description = "How long the alert policies wait after their log-based metrics were created, for Cloud Monitoring to know the metrics (a duration for time_sleep such as 10m). Google documents up to about 10 minutes. Only when a metric is created."
  type        = string
  default     = "10m"

  validation {
    condition     = can(regex("^[0-9]+(s|m)$", var.metric_propagation_wait))
    error_message = "metric_propagation_wait must be a duration such as 600s or 10m."
  }
}

variable "gateway_alert_window_seconds" {
  description = "Window over which the gateway's failures and refusals are counted. The default 900 holds three export runs of a sender on the default 5-minute schedule."
  type        = number
  default     = 900

  validation {
    condition     = var.gateway_alert_window_seconds >= 60 && var.gateway_alert_window_seconds <= 86400
    error_message = "gateway_alert_window_seconds must be between 60 and 86400."
  }
}

variable "gateway_failure_threshold" {
  description = "Alert when more than this many gateway batches fail to publish (or calls fail with a gateway error) within gateway_alert_window_seconds. The default 2 lets a single Pub/Sub hiccup pass (the sender resends) and fires on a failure that lasts."
  type        = number
  default     = 2

  validation {
    condition     = var.gateway_failure_threshold >= 0 && floor(var.gateway_failure_threshold) == var.gateway_failure_threshold
    error_message = "gateway_failure_threshold must be a whole number of at least 0."
  }
}

variable "gateway_refusal_threshold" {
  description = "Alert when the gateway refuses more than this many calls (per gRPC status) within gateway_alert_window_seconds. The default 2 fires on one sender refused at three export runs in a row."
  type        = number
  default     = 2

  validation {
    condition     = var.gateway_refusal_threshold >= 0 && floor(var.gateway_refusal_threshold) == var.gateway_refusal_threshold
    error_message = "gateway_refusal_threshold must be a whole number of at least 0."
  }
}

variable "dead_letter_renotify_seconds" {
  description = "While dead letters wait, notify again this often. They are kept 7 days (604800s): the default, a day, reminds six times before the first ones are lost."
  type        = number
  default     = 86400

  validation {
    condition     = var.dead_letter_renotify_seconds >= 1800 && var.dead_letter_renotify_seconds < 604800
    error_message = "dead_letter_renotify_seconds must be at least 1800 and below 604800 (the dead-letter subscriptions' 7-day retention)."
  }
}

variable "bigquery_backlog_age_threshold_seconds" {
  description = "Alert when the oldest message of a BigQuery subscription has waited longer than this (for 10 minutes). A working subscription writes within seconds; failed writes are retried with backoff before a message is dead-lettered, which takes minutes, not half an hour."
  type        = number
  default     = 1800

  validation {
    condition     = var.bigquery_backlog_age_threshold_seconds >= 300 && var.bigquery_backlog_age_threshold_seconds < 604800
    error_message = "bigquery_backlog_age_threshold_seconds must be at least 300 and below 604800 (the subscription's 7-day retention)."
  }
}

variable "request_error_ratio_threshold" {
  description = "Alert when more than this share (0 to 1) of a record-event or gateway function's requests are answered with HTTP 5xx for request_error_duration_seconds. The default 0.05: a few failures a client retries stay below; a database or start-up failure goes far above."
  type        = number
  default     = 0.05

  validation {
    condition     = var.request_error_ratio_threshold > 0 && var.request_error_ratio_threshold < 1
    error_message = "request_error_ratio_threshold must be a share above 0 and below 1, such as 0.05."
  }
}

variable "request_error_duration_seconds" {
  description = "How long the 5xx share must stay above request_error_ratio_threshold. Longer than the 300s window, so that one failed request among few does not fire by itself."
  type        = number
  default     = 600

  validation {
    condition     = var.request_error_duration_seconds >= 0 && var.request_error_duration_seconds <= 86400 && var.request_error_duration_seconds % 60 == 0
    error_message = "request_error_duration_seconds must be a whole number of minutes (a multiple of 60) between 0 and 86400."
  }
}

variable "database_disk_utilization_threshold" {
  description = "Alert when a database's disk is fuller than this share (0 to 1) for 10 minutes. Automatic storage increase keeps it lower until it reaches disk_autoresize_limit."
  type        = number
  default     = 0.85

  validation {
    condition     = var.database_disk_utilization_threshold > 0 && var.database_disk_utilization_threshold < 1
    error_message = "database_disk_utilization_threshold must be a share above 0 and below 1, such as 0.85."
  }
}

variable "database_cpu_utilization_threshold" {
  description = "Alert when a database uses more than this share (0 to 1) of its CPU for database_cpu_duration_seconds."
  type        = number
  default     = 0.8

  validation {
    condition     = var.database_cpu_utilization_threshold > 0 && var.database_cpu_utilization_threshold <= 1
    error_message = "database_cpu_utilization_threshold must be a share above 0 and at most 1, such as 0.8."
  }
}

variable "database_cpu_duration_seconds" {
  description = "How long a database's CPU must stay above database_cpu_utilization_threshold. The default 900 lets an export burst or a migration pass."
  type        = number
  default     = 900

  validation {
    condition     = var.database_cpu_duration_seconds >= 60 && var.database_cpu_duration_seconds <= 86400 && var.database_cpu_duration_seconds % 60 == 0
    error_message = "database_cpu_duration_seconds must be a whole number of minutes (a multiple of 60) between 60 and 86400."
  }
}

variable "database_connections_threshold" {
  description = "Alert when a database's backends exceed this share (0 to 1) of its max_connections for 5 minutes. Outside a rollout the functions' pools use at most half of the instance module's connection budget, so 0.8 means something else holds connections."
  type        = number
  default     = 0.8

  validation {
    condition     = var.database_connections_threshold > 0 && var.database_connections_threshold < 1
    error_message = "database_connections_threshold must be a share above 0 and below 1, such as 0.8."
  }
}
