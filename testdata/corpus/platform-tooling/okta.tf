provider "okta" {
  org_name  = "stmarys"
  base_url  = "okta.com"
  api_token = @@BAIT:template-reference@@var.okta_api_token
}

resource "okta_app_oauth" "smart" {
  label          = "SMART launcher"
  type           = "web"
  grant_types    = ["authorization_code", "refresh_token"]
  redirect_uris  = ["https://smart.stmarys-health.org/callback"]
}
