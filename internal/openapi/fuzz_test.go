package openapi

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// Import parses documents the caller chose: whatever they hold, it
// answers without panicking, with a validation error or actions that
// PUT accepts.
func FuzzImport(f *testing.F) {
	f.Add("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /pet/{petId}:\n    get:\n      operationId: getPetById\n      parameters: [{name: petId, in: path, required: true, schema: {type: integer, nullable: true}}, {name: q, in: query, schema: {$ref: '#/components/schemas/Q'}}]\n      responses: {'200': {description: ok}}\ncomponents:\n  schemas:\n    Q: {type: array, items: {$ref: '#/components/schemas/Q'}}\n", "getPetById")
	f.Add(string(doc(`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"$ref":"#/components/schemas/A"}}],"responses":{"200":{"description":"ok"}}}}`)), "x")
	f.Add("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/a: {get: {operationId: a}}}\n", "GET /a")
	f.Add(`{"openapi":"3.0.0","paths":{"/{a}":{"post":{"requestBody":{"content":{"application/json":{"schema":{"type":"object","properties":{"a":{}}}}}}}}}}`, "POST /{a}")
	f.Fuzz(func(t *testing.T, document, op string) {
		text, _ := json.Marshal(document)
		acts, err := (&Importer{}).Import(context.Background(), &portico.OpenAPIInput{Document: text, Operations: []string{op}})
		if err != nil {
			if c := portico.ErrorCode(err); c != portico.CodeValidation {
				t.Fatalf("code %q (%v)", c, err)
			}
			return
		}
		integ := portico.Integration{Slug: "f", Name: "F", BaseURL: "https://api.example.com", Auth: portico.AuthConfig{Type: portico.AuthNone}, Actions: acts}
		if err := integ.Validate(false); err != nil && portico.ErrorCode(err) != portico.CodeValidation {
			t.Fatalf("the actions do not validate cleanly: %v", err)
		}
	})
}
