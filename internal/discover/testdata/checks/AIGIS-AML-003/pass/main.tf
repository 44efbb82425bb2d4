resource "azurerm_machine_learning_compute_cluster" "c" {
  name = "c"
  scale_settings {
    min_node_count = 0
    max_node_count = 4
  }
}
