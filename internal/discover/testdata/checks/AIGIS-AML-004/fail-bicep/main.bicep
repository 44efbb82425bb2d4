resource ws 'Microsoft.MachineLearningServices/workspaces@2023-04-01' = {
  name: 'ws'
  properties: {
    friendlyName: 'ws'
  }
}
