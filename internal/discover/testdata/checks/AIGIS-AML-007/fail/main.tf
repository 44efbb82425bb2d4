resource "azurerm_machine_learning_compute_instance" "i" {
  name = "i"
}
