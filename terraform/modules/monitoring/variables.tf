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
  description = "Names of the gateway functions to watch (the gateway module's function_name). Empty: no gateway metrics."
  type        = list(string)
  default     = []
}

variable "alerts_enabled" {
  description = "Create the alert policies (the metrics are created either way)."
  type        = bool
  default     = true
}

variable "notification_channels" {
  description = "Monitoring notification channel IDs (projects/<p>/notificationChannels/<id>) the alerts notify. Empty: incidents only show in the console."
  type        = list(string)
  default     = []
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
