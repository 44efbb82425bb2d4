package upstream

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestConfigFromYAML(t *testing.T) {
	src := `
name: azure-east
kind: azure
base_url: https://east.openai.azure.com
api_version: "2024-10-21"
oauth2:
  token_url: https://login.microsoftonline.com/tenant/oauth2/v2.0/token
  client_id: cid
  client_secret: s3cret
  scope: https://cognitiveservices.azure.com/.default
timeout: 90s
response_header_timeout: 1m
max_retries: 2
headers:
  X-Team: platform
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Timeout) != 90*time.Second || time.Duration(c.ResponseHeaderTimeout) != time.Minute || c.OAuth2.ClientSecret != "s3cret" || c.MaxRetries != 2 || c.Headers["X-Team"] != "platform" {
		t.Fatalf("decoded %+v", c)
	}
	var bad Config
	if err := yaml.Unmarshal([]byte("timeout: soon\n"), &bad); err == nil {
		t.Fatal("bad duration accepted")
	}
}
