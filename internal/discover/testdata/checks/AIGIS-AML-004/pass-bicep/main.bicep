resource ws 'Microsoft.MachineLearningServices/workspaces@2023-04-01' = {
  name: 'ws'
  properties: {
    managedNetwork: {
      isolationMode: 'AllowOnlyApprovedOutbound'
      outboundRules: {
        st: {
          type: 'PrivateEndpoint'
        }
      }
    }
  }
}
