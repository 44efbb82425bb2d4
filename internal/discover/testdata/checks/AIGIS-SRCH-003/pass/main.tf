resource "azurerm_search_service" "s" {
  name = "s"
  sku = "standard"
  replica_count = 3
  public_network_access_enabled = false
  local_authentication_enabled = false
  allowed_ips = ["10.0.0.0/24"]
  identity {
    type = "SystemAssigned"
  }
}
