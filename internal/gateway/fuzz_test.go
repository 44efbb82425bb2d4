package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzGatewayRequest drives arbitrary bodies through the whole pipeline
// (in process, real mock upstream behind it): the gateway must never
// panic, always answer with a request id, and answer errors as JSON.
func FuzzGatewayRequest(f *testing.F) {
	h := newHarness(f, harnessOpts{})
	f.Add("/v1/chat/completions", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
	f.Add("/v1/chat/completions", []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	f.Add("/v1/messages", []byte(`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`))
	f.Add("/v1/responses", []byte(`{"model":"gpt-4o","input":[{"role":"user","content":"x"}]}`))
	f.Add("/v1/embeddings", []byte(`{"model":"text-embedding-3-small","input":["a",[1,2]]}`))
	f.Add("/openai/deployments/azure-gpt/chat/completions?api-version=1", []byte(`{"messages":[]}`))
	f.Add("/v1/chat/completions", []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"\u0000"}]}]`))
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		if len(path) == 0 || path[0] != '/' {
			path = "/" + path
		}
		req, err := http.NewRequest("POST", "http://gw"+path, bytes.NewReader(body))
		if err != nil {
			return // not a URL a client could send
		}
		req.Header.Set("Authorization", "Bearer "+h.keyAll)
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "127.0.0.1:1"
		rec := httptest.NewRecorder()
		h.rt.Gateway.ServeHTTP(rec, req)
		if rec.Header().Get(headerRequestID) == "" && path != "/healthz" && path != "/readyz" && path != "/metrics" {
			if rec.Code != 404 || len(path) < 6 || path[:6] != "/admin" {
				t.Fatalf("no request id on %s -> %d", path, rec.Code)
			}
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") == "application/json" && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("error body is not JSON: %q", rec.Body.Bytes())
		}
	})
}
