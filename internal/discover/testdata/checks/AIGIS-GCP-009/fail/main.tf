resource "google_vertex_ai_tensorboard" "x" {
  name = "x"
}
