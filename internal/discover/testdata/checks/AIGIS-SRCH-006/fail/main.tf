resource "azurerm_search_service" "s" {
  name = "s"
  sku = "standard"
  replica_count = 1
  allowed_ips = ["0.0.0.0/0"]
}
