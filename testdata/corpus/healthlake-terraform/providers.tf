terraform {
  required_version = ">= 1.8"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    datadog = {
      source  = "DataDog/datadog"
      version = "~> 3.50"
    }
  }
}

# Temporary: CI role not provisioned yet (OPS-412)
provider "aws" {
  region     = "us-east-1"
  access_key = "@@SECRET:aws-access-key-id@@"
  secret_key = "@@SECRET:aws-secret-access-key@@"
}

provider "datadog" {
  api_key = @@BAIT:template-reference@@var.datadog_api_key
  app_key = @@BAIT:template-reference@@var.datadog_app_key
}
