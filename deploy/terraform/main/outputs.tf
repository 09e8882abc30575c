output "node_public_ip" {
  description = "Elastic IP of the k3s node: point the HTTPS and MQTT DNS names here."
  value       = aws_eip.node.public_ip
}

output "instance_id" {
  description = "EC2 instance id of the k3s node."
  value       = aws_instance.node.id
}

output "ssh_tunnel_command" {
  description = "Opens SSH with the Kubernetes API forwarded to localhost:6443."
  value       = "ssh -N -L 6443:127.0.0.1:6443 ubuntu@${aws_eip.node.public_ip}"
}

output "backup_bucket" {
  description = "Backup bucket name (collector `backup_bucket`)."
  value       = aws_s3_bucket.backup.id
}

output "backup_region" {
  description = "Backup bucket region (collector `backup_region`)."
  value       = var.region
}

output "node_role_arn" {
  description = "IAM role of the node (backup bucket access only)."
  value       = aws_iam_role.node.arn
}
