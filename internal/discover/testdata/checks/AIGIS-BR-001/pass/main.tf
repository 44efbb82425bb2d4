resource "aws_bedrockagent_agent" "a" {
  agent_name = "a"
  foundation_model = "anthropic.claude-v2"
  customer_encryption_key_arn = aws_kms_key.k.arn
  guardrail_configuration {
    guardrail_identifier = aws_bedrock_guardrail.g.guardrail_id
    guardrail_version = "1"
  }
}
