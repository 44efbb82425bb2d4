resource "google_notebooks_instance" "n" {
  name = "n"
  machine_type = "e2-medium"
  no_public_ip = true
  disk_encryption = "CMEK"
  kms_key = google_kms_crypto_key.k.id
  shielded_instance_config {
    enable_vtpm = true
    enable_integrity_monitoring = true
  }
}
