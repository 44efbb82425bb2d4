resource "google_vertex_ai_endpoint" "x" {
  name = "x"
  encryption_spec {
    kms_key_name = google_kms_crypto_key.k.id
  }
}
