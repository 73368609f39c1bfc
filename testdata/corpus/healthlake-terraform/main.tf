resource "aws_healthlake_fhir_datastore" "prod" {
  datastore_name         = "popsync-prod"
  datastore_type_version = "R4"

  sse_configuration {
    kms_encryption_config {
      cmk_type   = "CUSTOMER_MANAGED_KMS_KEY"
      kms_key_id = "arn:aws:kms:us-east-1:@@FAKE:aws-account-id@@:key/@@FAKE:uuid@@"
    }
  }
}

resource "random_password" "db" {
  length  = 32
  special = true
}

resource "aws_db_instance" "warehouse" {
  identifier        = "popsync-warehouse"
  engine            = "postgres"
  instance_class    = "db.r6g.large"
  username          = "popsync"
  password          = @@BAIT:template-reference@@random_password.db.result
  storage_encrypted = true
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({ username = "popsync", password = @@BAIT:template-reference@@random_password.db.result })
}

resource "aws_db_instance" "reporting" {
  identifier     = "popsync-reporting"
  engine         = "mysql"
  instance_class = "db.t4g.medium"
  username       = "reporting"
  password       = @@BAIT:template-reference@@var.db_password
}

data "aws_caller_identity" "current" {}

output "healthlake_endpoint" {
  value = aws_healthlake_fhir_datastore.prod.datastore_endpoint
}
