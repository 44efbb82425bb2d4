resource "azurerm_machine_learning_compute_cluster" "c" {
  name = "c"
  local_auth_enabled = false
  node_public_ip_enabled = false
  scale_settings {
    min_node_count = 0
    max_node_count = 1
  }
}
