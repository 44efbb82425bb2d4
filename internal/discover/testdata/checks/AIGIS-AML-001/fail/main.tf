resource "azurerm_machine_learning_compute_cluster" "c" {
  name = "c"
  vm_size = "STANDARD_DS2_V2"
  scale_settings {
    min_node_count = 0
    max_node_count = 1
    scale_down_nodes_after_idle_duration = "PT30S"
  }
}
