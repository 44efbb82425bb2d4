resource "aws_sagemaker_model" "m" {
  name = "m"
  execution_role_arn = aws_iam_role.r.arn
  enable_network_isolation = true
}
