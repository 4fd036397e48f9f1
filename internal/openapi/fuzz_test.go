package openapi

import (
	"bytes"
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

// A document pruned for an operation makes the same action, or the same
// refusal, as the whole document (samePruned).
func FuzzPrune(f *testing.F) {
	f.Add(string(doc(`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"$ref":"#/components/schemas/A"}}],"responses":{"200":{"description":"ok"}}}}`)), "x")
	f.Add(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a/{id}":{"parameters":[{"$ref":"#/components/parameters/Id"}],"post":{"operationId":"a","requestBody":{"$ref":"#/components/requestBodies/B"},"responses":{}},"get":{"operationId":"b","responses":{}}}},`+
		`"components":{"parameters":{"Id":{"name":"id","in":"path","required":true,"schema":{"$ref":"#/components/schemas/S~1T"}}},"requestBodies":{"B":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/B"}}}}},`+
		`"schemas":{"S/T":{"type":"string"},"B":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/B"},"n":{"$ref":"#/paths/~1a~1{id}/parameters/0/schema"}}}}}}`, "POST /a/{id}")
	f.Add(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/a":{"additionalOperations":{"COPY":{"operationId":"c"}},"get":{"operationId":"c","responses":{}}}}}`, "c")
	f.Add("openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    get:\n      operationId: a\n      parameters:\n        - $ref: '#/components/parameters/P'\n      responses:\n        200: {description: ok}\n"+
		"components:\n  parameters:\n    P: {name: q, in: query, schema: {$ref: '#/components/schemas/S'}}\n  schemas:\n    S: {type: string, default: 2020-01-01}\n    T: {type: integer}\n", "a")
	f.Fuzz(func(t *testing.T, document, op string) {
		samePruned(t, []byte(document), []string{op})
	})
}

// members splits any JSON object as encoding/json does.
func FuzzMembers(f *testing.F) {
	f.Add(`{"a":1,"b":[{"c":"}"}],"\u0061":true, "d" : null ,"e":"\"","f":-1.5e3,"g":{}}`)
	f.Add(`{"é":"x","a\\b":[],"":0}`)
	f.Fuzz(func(t *testing.T, raw string) {
		// encoding/json reads null into a map as no map at all; members
		// answers for objects only, and prune then reads the document
		// whole, as for any value that is not an object.
		var want map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &want) != nil || !json.Valid([]byte(raw)) || want == nil {
			return
		}
		got, ok := members([]byte(raw))
		if !ok || len(got) != len(want) {
			t.Fatalf("members(%q) = %q, %v; want %q", raw, got, ok, want)
		}
		for k, v := range want {
			var a, b bytes.Buffer
			if json.Compact(&a, v) != nil || json.Compact(&b, got[k]) != nil || a.String() != b.String() {
				t.Fatalf("members(%q)[%q] = %q, want %q", raw, k, got[k], v)
			}
		}
	})
}
