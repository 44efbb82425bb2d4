resource "azurerm_machine_learning_workspace" "ws" {
  name = "ws"
  public_network_access_enabled = false
  high_business_impact = true
  storage_account_id = azurerm_storage_account.sa.id
  identity {
    type = "SystemAssigned"
  }
}
resource "azurerm_storage_account" "sa" {
  name = "sa"
  public_network_access_enabled = false
}
