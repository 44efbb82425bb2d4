package aibom

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigis-dev/aigis/internal/discover"
	"github.com/aigis-dev/aigis/internal/shareddata"
)

func scanGolden(t *testing.T) *discover.Result {
	t.Helper()
	res, err := discover.New(discover.Options{Workers: 2}).Scan(context.Background(), filepath.Join("..", "discover", "render", "testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func encode(t *testing.T, res *discover.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	err := Encode(&b, res, Meta{ToolVersion: "test", Subject: "repo", Timestamp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), SerialNumber: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestValidatesAgainstCycloneDX16Schema validates the AI-BOM with the
// pragmatic validator in schema_test.go against the official 1.6 schema.
func TestValidatesAgainstCycloneDX16Schema(t *testing.T) {
	schemaPath := shareddata.Require(t, "reference/cyclonedx/bom-1.6.schema.json")
	schema, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := newSchemaValidator(schema)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(encode(t, scanGolden(t)), &doc); err != nil {
		t.Fatal(err)
	}
	if errs := v.validate(doc); len(errs) > 0 {
		t.Fatalf("%d schema violations:\n%s", len(errs), strings.Join(errs[:min(20, len(errs))], "\n"))
	}
	// the validator must reject what the schema forbids
	bad := map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []any{map[string]any{"type": "spaceship", "name": "x"}}}
	if errs := v.validate(bad); len(errs) == 0 {
		t.Fatal("validator accepted an invalid component type")
	}
}

func TestAIBOMContents(t *testing.T) {
	var bom struct {
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			ModelCard *struct {
				ModelParameters struct {
					Task               string `json:"task"`
					ArchitectureFamily string `json:"architectureFamily"`
				} `json:"modelParameters"`
			} `json:"modelCard"`
			Data []struct {
				Classification string `json:"classification"`
			} `json:"data"`
			Hashes []struct{ Alg, Content string } `json:"hashes"`
		} `json:"components"`
		Services []struct {
			Name string   `json:"name"`
			Tags []string `json:"tags"`
		} `json:"services"`
	}
	if err := json.Unmarshal(encode(t, scanGolden(t)), &bom); err != nil {
		t.Fatal(err)
	}
	if bom.SpecVersion != "1.6" {
		t.Fatalf("specVersion %q", bom.SpecVersion)
	}
	var card, data, hashed bool
	for _, c := range bom.Components {
		if c.Type == "machine-learning-model" && c.ModelCard != nil && c.ModelCard.ModelParameters.Task == "text-classification" && c.ModelCard.ModelParameters.ArchitectureFamily == "bert" {
			card = true
		}
		if c.Type == "data" && len(c.Data) == 1 && c.Data[0].Classification != "" {
			data = true
		}
		if c.Type == "machine-learning-model" && len(c.Hashes) == 1 && len(c.Hashes[0].Content) == 64 {
			hashed = true
		}
	}
	var llmAPI, mcp bool
	for _, s := range bom.Services {
		llmAPI = llmAPI || s.Name == "contoso.openai.azure.com"
		mcp = mcp || len(s.Tags) == 1 && s.Tags[0] == "mcp"
	}
	if !card || !data || !hashed || !llmAPI || !mcp {
		t.Fatalf("model card %v, data classification %v, model hash %v, LLM API service %v, MCP service %v", card, data, hashed, llmAPI, mcp)
	}
}
