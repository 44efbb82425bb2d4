param location string = resourceGroup().location
resource oai 'Microsoft.CognitiveServices/accounts@2023-05-01' = {
  name: 'oai'
  location: location
  kind: 'OpenAI'
  sku: { name: 'S0' }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    publicNetworkAccess: 'Disabled'
    disableLocalAuth: true
    customSubDomainName: 'oai'
    restrictOutboundNetworkAccess: true
    allowedFqdnList: [
      'contoso.com'
    ]
    networkAcls: {
      defaultAction: 'Deny'
    }
    encryption: {
      keySource: 'Microsoft.KeyVault'
    }
  }
}
resource pe 'Microsoft.Network/privateEndpoints@2023-05-01' = {
  name: 'pe'
  location: location
  properties: {
    privateLinkServiceConnections: [
      {
        name: 'c'
        properties: {
          privateLinkServiceId: oai.id
          groupIds: [ 'account' ]
        }
      }
    ]
  }
}
