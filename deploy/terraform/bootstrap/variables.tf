variable "region" {
  description = "AWS region for the state bucket, the lock table and everything in the main stack."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "cloudradar"
}

variable "state_bucket_name" {
  description = "Globally unique name of the S3 bucket holding Terraform state (e.g. cloudradar-tfstate-<account id>)."
  type        = string
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table used for Terraform state locking."
  type        = string
  default     = "cloudradar-tfstate-lock"
}

variable "budget_limit_usd" {
  description = "Monthly cost budget for the whole account, in USD."
  type        = number
  default     = 30
}

variable "budget_email" {
  description = "Address that receives the budget alerts (80% actual, 100% forecast)."
  type        = string
}
