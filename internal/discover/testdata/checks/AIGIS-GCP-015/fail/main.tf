resource "google_colab_runtime_template" "r" {
  name = "r"
  network_spec {
    enable_internet_access = true
  }
}
