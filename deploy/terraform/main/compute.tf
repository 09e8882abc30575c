# The single k3s node: Ubuntu 24.04 LTS, encrypted root volume, IMDSv2 only,
# cloud-init installs k3s; a stable Elastic IP for DNS records.

data "aws_ssm_parameter" "ubuntu_ami" {
  name = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
}

resource "aws_key_pair" "admin" {
  key_name   = "${var.project}-admin"
  public_key = var.ssh_public_key
}

resource "aws_instance" "node" {
  ami                         = data.aws_ssm_parameter.ubuntu_ami.value
  instance_type               = var.instance_type
  subnet_id                   = aws_subnet.public.id
  vpc_security_group_ids      = [aws_security_group.node.id]
  iam_instance_profile        = aws_iam_instance_profile.node.name
  key_name                    = aws_key_pair.admin.key_name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true

  user_data = templatefile("${path.module}/cloud-init.yaml", {
    k3s_version = var.k3s_version
  })
  user_data_replace_on_change = false

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # 2 hops: pods (one network hop further) can use the instance role.
    http_put_response_hop_limit = 2
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_gb
    encrypted             = true
    kms_key_id            = aws_kms_key.main.arn
    delete_on_termination = true
  }

  lifecycle {
    # A newer AMI must not replace the node (and its volumes) by surprise.
    ignore_changes = [ami, user_data]
  }

  tags = {
    Name = "${var.project}-k3s"
  }
}

resource "aws_eip" "node" {
  domain   = "vpc"
  instance = aws_instance.node.id

  tags = {
    Name = "${var.project}-k3s"
  }

  depends_on = [aws_internet_gateway.main]
}
