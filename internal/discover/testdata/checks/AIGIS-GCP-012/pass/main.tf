resource "google_vertex_ai_endpoint" "e" {
  name = "e"
  display_name = "e"
  network = "projects/1/global/networks/n"
}
