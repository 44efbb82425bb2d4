resource "google_notebooks_instance" "n" {
  name = "n"
  machine_type = "e2-medium"
  no_public_ip = false
  shielded_instance_config {
    enable_vtpm = false
    enable_integrity_monitoring = false
  }
}
