resource "google_vertex_ai_endpoint" "e" {
  name = "e"
  private_service_connect_config {
    enable_private_service_connect = true
    project_allowlist = ["p"]
  }
}
