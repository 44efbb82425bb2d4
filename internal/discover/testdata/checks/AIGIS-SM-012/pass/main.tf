resource "aws_sagemaker_endpoint_configuration" "e" {
  name = "e"
  kms_key_arn = aws_kms_key.k.arn
}
