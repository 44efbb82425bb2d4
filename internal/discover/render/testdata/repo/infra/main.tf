resource "azurerm_cognitive_account" "openai" {
  name                          = "contoso-openai"
  kind                          = "OpenAI"
  sku_name                      = "S0"
  custom_subdomain_name         = "contoso-openai"
  public_network_access_enabled = false
  local_auth_enabled            = false
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_cognitive_deployment" "gpt4o" {
  name                 = "gpt-4o"
  cognitive_account_id = azurerm_cognitive_account.openai.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-08-06"
  }
}
