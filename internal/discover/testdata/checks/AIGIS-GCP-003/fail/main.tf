resource "google_vertex_ai_metadata_store" "x" {
  name = "x"
}
