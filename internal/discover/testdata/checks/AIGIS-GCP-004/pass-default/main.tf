resource "google_notebooks_instance" "n" {
  name = "n"
}
