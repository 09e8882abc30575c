variable "region" {
  description = "AWS region (the same as the bootstrap stack's)."
  type        = string
  default     = "eu-west-1"
}

variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "cloudradar"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "public_subnet_cidr" {
  description = "CIDR block of the public subnet holding the k3s node."
  type        = string
  default     = "10.42.1.0/24"
}

variable "availability_zone" {
  description = "Availability zone of the subnet and the instance; empty lets AWS choose."
  type        = string
  default     = ""
}

variable "admin_cidr" {
  description = "The one CIDR allowed to SSH to the node (e.g. your address with /32). The Kubernetes API is reached through an SSH tunnel."
  type        = string

  validation {
    condition     = can(cidrhost(var.admin_cidr, 0)) && var.admin_cidr != "0.0.0.0/0"
    error_message = "admin_cidr must be a CIDR block and not 0.0.0.0/0."
  }
}

variable "mqtt_cidrs" {
  description = "CIDR blocks of the receivers allowed to reach MQTT over TLS (8883)."
  type        = list(string)
}

variable "https_cidrs" {
  description = "CIDR blocks allowed to reach the HTTPS API and dashboard (443). Let's Encrypt's TLS-ALPN challenge also arrives on 443, so restricting it breaks certificate issuance."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "instance_type" {
  description = "EC2 instance type of the single k3s node."
  type        = string
  default     = "t3.medium"
}

variable "root_volume_gb" {
  description = "Size of the node's encrypted root volume (holds the k3s local-path volumes), GiB."
  type        = number
  default     = 60
}

variable "ssh_public_key" {
  description = "OpenSSH public key installed for the `ubuntu` user."
  type        = string
}

variable "k3s_version" {
  description = "k3s release installed by cloud-init (INSTALL_K3S_VERSION)."
  type        = string
  default     = "v1.31.6+k3s1"
}

variable "backup_bucket_name" {
  description = "Globally unique name of the S3 bucket for collector backups (collector `backup_bucket`)."
  type        = string
}

variable "backup_retention_days" {
  description = "Days after which backup objects (and their old versions) expire; the collector's own keep_daily/keep_weekly pruning works inside this window."
  type        = number
  default     = 120
}

variable "log_retention_days" {
  description = "Retention of the VPC flow logs in CloudWatch, days."
  type        = number
  default     = 365
}
