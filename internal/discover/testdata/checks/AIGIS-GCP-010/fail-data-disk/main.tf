resource "google_workbench_instance" "w" {
  name = "w"
  gce_setup {
    machine_type = "e2-standard-4"
    boot_disk {
      disk_encryption = "CMEK"
      kms_key = google_kms_crypto_key.k.id
    }
    data_disks {
      disk_encryption = "GMEK"
    }
  }
}
