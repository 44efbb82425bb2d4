resource "aws_comprehend_entity_recognizer" "e" {
  name = "e"
  language_code = "en"
  model_kms_key_id = aws_kms_key.k.key_id
  volume_kms_key_id = aws_kms_key.k.key_id
}
