resource "aws_bedrockagent_agent" "a" {
  agent_name = "a"
  foundation_model = "anthropic.claude-v2"
}
