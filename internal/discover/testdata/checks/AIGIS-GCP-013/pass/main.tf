resource "google_vertex_ai_index_endpoint" "e" {
  display_name = "e"
  network = "projects/1/global/networks/n"
}
