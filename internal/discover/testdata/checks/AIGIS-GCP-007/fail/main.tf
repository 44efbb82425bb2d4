resource "google_vertex_ai_endpoint" "x" {
  name = "x"
}
