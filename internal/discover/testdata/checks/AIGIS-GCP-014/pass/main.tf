resource "google_colab_runtime_template" "x" {
  name = "x"
  encryption_spec {
    kms_key_name = google_kms_crypto_key.k.id
  }
}
