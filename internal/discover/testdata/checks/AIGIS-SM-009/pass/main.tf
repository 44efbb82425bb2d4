resource "aws_sagemaker_notebook_instance" "nb" {
  name = "nb"
  role_arn = aws_iam_role.r.arn
  instance_type = "ml.t2.medium"
  root_access = "Disabled"
  direct_internet_access = "Disabled"
  subnet_id = aws_subnet.s.id
  kms_key_id = aws_kms_key.k.id
  instance_metadata_service_configuration {
    minimum_instance_metadata_service_version = "2"
  }
}
resource "aws_iam_role" "r" {
  name = "r"
}
resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.r.id
  policy = jsonencode({ Statement = [{ Action = ["s3:GetObject"], Effect = "Allow", Resource = "arn:aws:s3:::b/*" }] })
}
resource "aws_sagemaker_domain" "d" {
  domain_name = "d"
  kms_key_id = aws_kms_key.k.arn
}
