resource "google_vertex_ai_index_endpoint" "e" {
  display_name = "e"
}
