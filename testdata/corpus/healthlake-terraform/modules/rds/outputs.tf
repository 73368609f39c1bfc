output "db_password" {
  value     = @@BAIT:template-reference@@random_password.master.result
  sensitive = true
}

output "secret_arn" {
  value = "arn:aws:secretsmanager:us-east-1:@@FAKE:aws-account-id@@:secret:popsync/db-@@BAIT:identifier@@Xy12Ab"
}
