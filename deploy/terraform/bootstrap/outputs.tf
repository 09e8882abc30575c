output "state_bucket" {
  description = "S3 bucket for the main stack's state (backend `bucket`)."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "DynamoDB table for state locking (backend `dynamodb_table`)."
  value       = aws_dynamodb_table.lock.name
}

output "state_kms_key_arn" {
  description = "KMS key encrypting the state (backend `kms_key_id`)."
  value       = aws_kms_key.state.arn
}

output "region" {
  description = "Region of the state bucket (backend `region`)."
  value       = var.region
}
