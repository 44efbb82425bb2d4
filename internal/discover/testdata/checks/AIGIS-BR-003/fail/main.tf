resource "aws_bedrock_guardrail" "g" {
  name = "g"
  content_policy_config {
    filters_config {
      type = "HATE"
      input_strength = "HIGH"
      output_strength = "HIGH"
    }
  }
}
