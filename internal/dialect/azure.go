package dialect

import (
	"github.com/aigis-dev/aigis/internal/exchange"
)

// azureCodec is the OpenAI codec bound to one Azure deployment: bodies are
// OpenAI's, the deployment (from the path) is the model.
type azureCodec struct {
	openaiCodec
	deployment string
}

func (c *azureCodec) Name() string { return "azure" }

func (c *azureCodec) DecodeRequest(op exchange.Operation, body []byte) (*Request, error) {
	if op == exchange.OpResponses && c.deployment == "" {
		// /openai/responses: an OpenAI Responses body whose model is the
		// deployment; it is rewritten to the upstream model like OpenAI's.
		req, err := decodeOpenAIRequest(c.lim, kindOpenAI, "", op, body)
		if err != nil {
			return nil, err
		}
		req.Exchange.Dialect = "azure"
		return req, nil
	}
	if op != exchange.OpChat && op != exchange.OpEmbeddings {
		return nil, badField("operation " + string(op) + " is not supported on Azure deployment paths")
	}
	return decodeOpenAIRequest(c.lim, kindAzure, c.deployment, op, body)
}
