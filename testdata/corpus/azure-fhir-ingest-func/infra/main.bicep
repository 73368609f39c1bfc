@secure()
param fhirClientSecret string

param location string = resourceGroup().location

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'ahdsingest${uniqueString(resourceGroup().id)}'
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
}

resource func 'Microsoft.Web/sites@2023-12-01' = {
  name: 'fhir-ingest'
  location: location
  properties: {
    siteConfig: {
      appSettings: [
        { name: 'AzureWebJobsStorage', value: @@BAIT:template-reference@@'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value}' }
        { name: 'AZURE_CLIENT_SECRET', value: @@BAIT:secret-manager-reference@@'@Microsoft.KeyVault(VaultName=ahds-kv;SecretName=fhir-client-secret)' }
      ]
    }
  }
}
