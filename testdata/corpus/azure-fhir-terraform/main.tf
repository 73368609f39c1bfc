provider "azurerm" {
  features {}
  subscription_id = "@@FAKE:uuid@@"
  tenant_id       = "@@FAKE:azure-tenant@@"
  client_id       = "@@FAKE:uuid@@"
  client_secret   = "@@SECRET:azure-entra-client-secret@@"
}

resource "azurerm_healthcare_workspace" "ahds" {
  name                = "stmarysahds"
  resource_group_name = azurerm_resource_group.fhir.name
  location            = "eastus"
}

resource "azurerm_healthcare_fhir_service" "fhir" {
  name                = "fhirprod"
  location            = "eastus"
  resource_group_name = azurerm_resource_group.fhir.name
  workspace_id        = azurerm_healthcare_workspace.ahds.id
  kind                = "fhir-R4"

  authentication {
    authority = "https://login.microsoftonline.com/${var.tenant_id}"
    audience  = "https://stmarysahds-fhirprod.fhir.azurehealthcareapis.com"
  }
}

resource "azurerm_key_vault_secret" "fhir_client_secret" {
  name         = "fhir-client-secret"
  value        = @@BAIT:template-reference@@var.fhir_client_secret
  key_vault_id = azurerm_key_vault.fhir.id
}

output "export_storage_key" {
  value     = @@BAIT:template-reference@@azurerm_storage_account.export.primary_access_key
  sensitive = true
}
