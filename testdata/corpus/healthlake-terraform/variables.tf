variable "environment" {
  type = string
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = @@BAIT:empty-value@@""
}

variable "datadog_api_key" {
  type      = string
  sensitive = true
}

variable "datadog_app_key" {
  type      = string
  sensitive = true
}

variable "epic_client_id" {
  type        = string
  description = "Epic backend client id (not a secret)"
}
