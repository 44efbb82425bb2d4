import Anthropic from "@anthropic-ai/sdk";
const client = new Anthropic();
export const model = "claude-3-5-sonnet-latest";
