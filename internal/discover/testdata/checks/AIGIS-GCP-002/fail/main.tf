resource "google_vertex_ai_dataset" "x" {
  name = "x"
}
