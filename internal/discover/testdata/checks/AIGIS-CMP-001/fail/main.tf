resource "aws_comprehend_entity_recognizer" "e" {
  name = "e"
  language_code = "en"
}
