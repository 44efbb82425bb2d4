resource "aws_sagemaker_endpoint_configuration" "e" {
  name = "e"
}
