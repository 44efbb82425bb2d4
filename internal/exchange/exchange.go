// Package exchange is the one model every gateway dialect decodes into.
// Policy, guard, quota and audit see only an Exchange, so no route can skip
// them. It depends on nothing but the standard library.
package exchange

// Role says where a piece of text came from.
type Role string

// Roles of text parts.
const (
	RoleSystem     Role = "system"
	RoleUser       Role = "user"
	RoleAssistant  Role = "assistant"
	RoleTool       Role = "tool"     // a tool result fed back to the model
	RoleDocument   Role = "document" // retrieved or attached content
	RoleToolCall   Role = "tool_call"
	RoleEmbedInput Role = "embedding_input"
)

// Operation is the kind of call.
type Operation string

// Operations the gateway understands. Anything else is refused.
const (
	OpChat       Operation = "chat"       // OpenAI chat completions
	OpResponses  Operation = "responses"  // OpenAI Responses
	OpEmbeddings Operation = "embeddings" // OpenAI embeddings
	OpMessages   Operation = "messages"   // Anthropic messages
	OpModels     Operation = "models"     // model listing
	OpMCP        Operation = "mcp"        // MCP JSON-RPC
)

// Part is one text-bearing element of a request or response, in order.
// Index identifies where the text lives in the dialect's body so that a
// changed Text can be written back (redaction, pseudonymization).
type Part struct {
	Role  Role   `json:"role"`
	Text  string `json:"-"`              // never serialized: bodies are audited separately, encrypted
	Name  string `json:"name,omitempty"` // tool name for tool calls/results
	Index int    `json:"index"`          // dialect-private locator
}

// Tool is a tool (function) offered to the model.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Usage is token accounting, from the upstream when it reports it.
type Usage struct {
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
}

// Exchange is one call through the gateway.
type Exchange struct {
	Dialect   string    `json:"dialect"`   // "openai", "anthropic", "azure"
	Operation Operation `json:"operation"` // chat, responses, ...
	Model     string    `json:"model"`     // the public model name the caller asked for
	Stream    bool      `json:"stream"`
	MaxTokens int64     `json:"max_tokens,omitempty"` // 0 = not given
	Input     []Part    `json:"-"`
	Output    []Part    `json:"-"`
	Tools     []Tool    `json:"tools,omitempty"`
	Usage     Usage     `json:"usage"`
}

// InputText returns the concatenated input texts (for estimates and scans).
func (e *Exchange) InputText() string {
	n := 0
	for _, p := range e.Input {
		n += len(p.Text) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range e.Input {
		b = append(b, p.Text...)
		b = append(b, '\n')
	}
	return string(b)
}
