resource "azurerm_cognitive_account" "oai" {
  name                               = "oai"
  kind                               = "OpenAI"
  sku_name                           = "S0"
  custom_subdomain_name              = "oai"
  public_network_access_enabled      = false
  local_auth_enabled                 = false
  outbound_network_access_restricted = true
  fqdns                              = ["contoso.com"]
  identity {
    type = "SystemAssigned"
  }
  network_acls {
    default_action = "Deny"
  }
  customer_managed_key {
    key_vault_key_id = azurerm_key_vault_key.k.id
  }
}
resource "azurerm_private_endpoint" "pe" {
  name = "pe"
  private_service_connection {
    name                           = "c"
    private_connection_resource_id = azurerm_cognitive_account.oai.id
    is_manual_connection           = false
  }
}
