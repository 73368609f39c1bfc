provider "google" {
  project     = "stmarys-fhir-analytics"
  credentials = @@BAIT:template-reference@@file("../credentials/fhir-etl-sa.json")
}

resource "google_service_account_key" "etl" {
  service_account_id = google_service_account.etl.name
}

output "etl_key" {
  value     = @@BAIT:template-reference@@base64decode(google_service_account_key.etl.private_key)
  sensitive = true
}
