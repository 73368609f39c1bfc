# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/datadog/datadog" {
  version     = "3.50.0"
  constraints = "~> 3.50"
  hashes = [
    "@@FAKE:go-sum-hash@@",
    "@@FAKE:tf-lock-zh@@",
    "@@FAKE:tf-lock-zh@@",
  ]
}

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.82.2"
  constraints = "~> 5.80"
  hashes = [
    "@@FAKE:go-sum-hash@@",
    "@@FAKE:tf-lock-zh@@",
    "@@FAKE:tf-lock-zh@@",
    "@@FAKE:tf-lock-zh@@",
  ]
}
