resource "aws_bedrock_guardrail" "g" {
  name = "g"
  content_policy_config {
    filters_config {
      type = "PROMPT_ATTACK"
      input_strength = "HIGH"
      output_strength = "NONE"
    }
  }
}
