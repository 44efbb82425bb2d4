resource "google_vertex_ai_featurestore" "x" {
  name = "x"
}
