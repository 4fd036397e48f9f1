package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/porticohq/portico/internal/openapi/openapitest"
	"github.com/porticohq/portico/internal/portico"
)

// The perform and mcp_call scenarios call the same action, a GET of a
// small JSON document from an upstream in this process, for a user
// connected to it: natively with the API key, and as an MCP tool with the
// user's session token (the stateless 2026-07-28 era, one request per
// call).
const (
	performBody = `{"user":{"external_id":"bench-agent"},"integration":"bench-api","action":"get-item","input":{"id":"42"}}`
	mcpCallBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bench_api_get_item","arguments":{"id":"42"},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
)

var (
	upstreamOnce sync.Once
	upstreamURL  string
	upstreamErr  error
)

// benchUpstream starts the upstream once per run.
func benchUpstream() (string, error) {
	upstreamOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			upstreamErr = err
			return
		}
		doc := []byte(`{"id":"42","name":"A bench item","tags":["a","b","c"],"price":{"amount":1200,"currency":"EUR"}}`)
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, d := range openAPIDocuments {
				if r.URL.Path == d.path {
					w.Header().Set("Content-Type", d.ctype)
					w.Write(d.text())
					return
				}
			}
			if r.Header.Get("Authorization") != "Bearer bench-upstream-key" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(doc)
		}))
		upstreamURL = "http://" + ln.Addr().String()
	})
	return upstreamURL, upstreamErr
}

// setupAgent defines the integration, connects the user and returns a
// session token of the user.
func setupAgent(ctx context.Context, c *http.Client, base string, e *engine) (string, error) {
	up, err := benchUpstream()
	if err != nil {
		return "", err
	}
	integ := `{"name":"Bench API","base_url":"` + up + `","auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],` +
		`"inject":{"header":"Authorization","format":"Bearer {api_key}"}},"actions":[{"name":"get-item","method":"GET","path":"/items/{id}",` +
		`"input_schema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}]}`
	var ignored map[string]any
	if err := call(ctx, c, "PUT", base+"/v1/integrations/bench-api", e.apiKey, integ, 201, &ignored); err != nil {
		return "", fmt.Errorf("PUT /v1/integrations/bench-api: %w", err)
	}
	var created struct {
		Token   string `json:"token"`
		Session struct {
			UserID string `json:"user_id"`
		} `json:"session"`
	}
	if err := call(ctx, c, "POST", base+"/v1/sessions", e.apiKey, `{"user":{"external_id":"bench-agent"}}`, 201, &created); err != nil {
		return "", fmt.Errorf("POST /v1/sessions: %w", err)
	}
	if err := call(ctx, c, "PUT", base+"/v1/users/"+created.Session.UserID+"/connections/bench-api", e.apiKey,
		`{"credentials":{"api_key":"bench-upstream-key"}}`, 201, &ignored); err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	return created.Token, nil
}

// checkCall makes sure a scenario's request reaches the upstream and
// answers its document.
func checkCall(ctx context.Context, c *http.Client, method, u string, headers map[string]string, body string) error {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`A bench item`)) || bytes.Contains(b, []byte(`"isError":true`)) {
		return fmt.Errorf("%d %.300s", res.StatusCode, b)
	}
	return nil
}

// The openapi_import scenarios import two operations of the largest
// document an import takes (portico.MaxOpenAPIDocument), JSON or YAML,
// fetched by url from the upstream at path, into the integration slug.
type openAPIDocument struct {
	path, slug, ctype string
	text              func() []byte
}

var openAPIDocuments = map[string]openAPIDocument{
	"openapi_import": {"/openapi.json", "bench-openapi", "application/json",
		sync.OnceValue(func() []byte { return openapitest.FlatUpTo(portico.MaxOpenAPIDocument) })},
	"openapi_import_yaml": {"/openapi.yaml", "bench-openapi-yaml", "application/yaml",
		sync.OnceValue(func() []byte { return openapitest.FlatYAMLUpTo(portico.MaxOpenAPIDocument) })},
}

// importBody is the PUT of the integration that imports d's operations.
func (d openAPIDocument) importBody(upstream string) string {
	return `{"name":"Bench OpenAPI","base_url":"` + upstream + `","auth":{"type":"none"},` +
		`"openapi":{"url":"` + upstream + d.path + `","operations":["createItem7000","POST /items12/{id}"]}}`
}
