resource "aws_sagemaker_notebook_instance" "nb" {
  name          = "nb"
  role_arn      = aws_iam_role.r.arn
  instance_type = "ml.t2.medium"
}
resource "aws_iam_role" "r" {
  name = "r"
  inline_policy {
    name   = "all"
    policy = <<POLICY
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "arn:aws:s3:::b"}]}
POLICY
  }
}
