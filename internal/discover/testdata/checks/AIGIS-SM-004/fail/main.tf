resource "aws_sagemaker_notebook_instance" "nb" {
  name = "nb"
  role_arn = aws_iam_role.r.arn
  instance_type = "ml.t2.medium"
  root_access = "Enabled"
  direct_internet_access = "Enabled"
}
resource "aws_iam_role" "r" {
  name = "r"
}
resource "aws_iam_role_policy_attachment" "admin" {
  role = aws_iam_role.r.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
resource "aws_sagemaker_domain" "d" {
  domain_name = "d"
}
