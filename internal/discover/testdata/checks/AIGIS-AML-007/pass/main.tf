resource "azurerm_machine_learning_compute_instance" "i" {
  name = "i"
  node_public_ip_enabled = false
}
