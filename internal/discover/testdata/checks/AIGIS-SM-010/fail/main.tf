resource "aws_sagemaker_flow_definition" "f" {
  flow_definition_name = "f"
  output_config {
    s3_output_path = "s3://b/"
  }
}
