resource "aws_sagemaker_data_quality_job_definition" "j" {
  name = "j"
  role_arn = aws_iam_role.r.arn
  data_quality_job_output_config {
    kms_key_id = aws_kms_key.k.arn
    monitoring_outputs {
      s3_output {
        s3_uri = "s3://b/out"
      }
    }
  }
  job_resources {
    cluster_config {
      instance_count = 1
      instance_type = "ml.m5.large"
      volume_size_in_gb = 20
      volume_kms_key_id = aws_kms_key.k.arn
    }
  }
  network_config {
    enable_inter_container_traffic_encryption = true
  }
}
