resource "google_colab_runtime_template" "x" {
  name = "x"
}
