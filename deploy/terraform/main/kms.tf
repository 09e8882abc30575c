# One customer-managed key for the backup bucket and the flow-log group.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "main_key" {
  #checkov:skip=CKV_AWS_109:A KMS key policy's Resource "*" means this key only; the account root statement is the AWS default that delegates to IAM.
  #checkov:skip=CKV_AWS_111:A KMS key policy's Resource "*" means this key only; the account root statement is the AWS default that delegates to IAM.
  #checkov:skip=CKV_AWS_356:A KMS key policy's Resource "*" means this key only; the account root statement is the AWS default that delegates to IAM.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the flow-log group with this key.
  statement {
    sid = "CloudWatchLogsUse"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/${var.project}/*"]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${var.project} backups and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.main_key.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.project}-main"
  target_key_id = aws_kms_key.main.key_id
}
