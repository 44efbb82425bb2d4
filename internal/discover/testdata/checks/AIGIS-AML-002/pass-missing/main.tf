resource "azurerm_machine_learning_workspace" "ws" {
  name = "ws"
}
