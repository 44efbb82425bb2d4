resource "azurerm_cognitive_account" "oai" {
  name     = "oai"
  kind     = "OpenAI"
  sku_name = "S0"
  public_network_access_enabled = true
  local_auth_enabled = true
  network_acls {
    default_action = "Allow"
  }
}
