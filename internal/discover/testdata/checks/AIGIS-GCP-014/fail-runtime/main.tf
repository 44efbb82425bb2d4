resource "google_notebooks_runtime" "r" {
  name = "r"
  location = "us-central1"
  virtual_machine {
    virtual_machine_config {
      machine_type = "n1-standard-4"
    }
  }
}
