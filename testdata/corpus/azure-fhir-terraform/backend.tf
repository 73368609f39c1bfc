terraform {
  backend "azurerm" {
    storage_account_name = "stmarystfstate"
    container_name       = "tfstate"
    key                  = "fhir.terraform.tfstate"
    access_key           = "@@SECRET:azure-storage-account-key@@"
  }
}
