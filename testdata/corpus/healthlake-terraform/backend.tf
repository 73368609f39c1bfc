terraform {
  cloud {
    organization = "popsync"
    hostname     = "app.terraform.io"
    token        = "@@SECRET:terraform-cloud-token@@"

    workspaces {
      name = "healthlake-prod"
    }
  }
}
