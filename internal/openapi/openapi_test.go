package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/upstream"
)

func TestActionName(t *testing.T) {
	for _, c := range []struct{ id, method, path, want string }{
		{"getPetById", "GET", "/pet/{petId}", "get_pet_by_id"},
		{"listHTTPRoutes", "GET", "/r", "list_http_routes"},
		{"repos/list-for-org", "GET", "/orgs/{org}/repos", "repos_list-for-org"},
		{"", "DELETE", "/pets/{petId}/tags/{tag}", "delete_pets_pet_id_tags_tag"},
		{"Ünïcode Ops!", "GET", "/", "n_code_ops"},
		{"___", "GET", "/", ""},
		{strings.Repeat("a", 80), "GET", "/", strings.Repeat("a", 64)},
	} {
		if got := actionName(c.id, c.method, c.path); got != c.want {
			t.Errorf("actionName(%q, %s %s) = %q, want %q", c.id, c.method, c.path, got, c.want)
		}
	}
}

// doc is a small OpenAPI 3.0 document with one operation.
func doc(op string) json.RawMessage {
	return json.RawMessage(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/items/{id}":` + op + `}}`)
}

func importOne(t *testing.T, in *portico.OpenAPIInput) ([]portico.Action, error) {
	t.Helper()
	return (&Importer{}).Import(context.Background(), in)
}

// Operations Portico cannot express are refused, naming the operation and
// the reason; optional header parameters are left out.
func TestImport_Refusals(t *testing.T) {
	const idParam = `{"name":"id","in":"path","required":true,"schema":{"type":"string"}}`
	for op, want := range map[string]string{
		`{"get":{"operationId":"x","parameters":[` + idParam + `,{"name":"s","in":"cookie","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`:                         `its cookie parameter "s" is required`,
		`{"get":{"operationId":"x","parameters":[` + idParam + `,{"name":"X-Tenant","in":"header","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`:                  `its header parameter "X-Tenant" is required`,
		`{"get":{"operationId":"x","parameters":[` + idParam + `,{"name":"f","in":"query","style":"deepObject","schema":{"type":"object"}}],"responses":{"200":{"description":"ok"}}}}`:                     `has style deepObject`,
		`{"get":{"operationId":"x","parameters":[` + idParam + `,{"name":"f","in":"query","schema":{"type":"array","items":{"type":"string"}},"explode":false}],"responses":{"200":{"description":"ok"}}}}`: `explode false`,
		`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"style":"matrix","schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`:                         `has style matrix`,
		`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"array","items":{"type":"string"}}}],"responses":{"200":{"description":"ok"}}}}`:                 `is an array`,
		`{"post":{"operationId":"x","parameters":[` + idParam + `],"requestBody":{"content":{"multipart/form-data":{"schema":{"type":"object"}}}},"responses":{"200":{"description":"ok"}}}}`:               `its request body is multipart/form-data, not JSON`,
		`{"head":{"operationId":"x","parameters":[` + idParam + `],"responses":{"200":{"description":"ok"}}}}`:                                                                                              `its method HEAD is not one of`,
		`{"get":{"operationId":"x","responses":{"200":{"description":"ok"}}}}`:                                                                                                                              `no path parameter describes`,
		`{"get":{"operationId":"x","parameters":[` + idParam + `,{"name":"other","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`:                       `its path parameter "other" has no {other} in the path`,
		`{"get":{"operationId":"x","parameters":[` + idParam + `,{"name":"q","in":"query","schema":{"$ref":"#/components/parameters/p"}}],"responses":{"200":{"description":"ok"}}}}`:                       `not`,
	} {
		_, err := importOne(t, &portico.OpenAPIInput{Document: doc(op), Operations: []string{"x"}})
		e := portico.AsError(err)
		if err == nil || e.Code != portico.CodeValidation || !strings.Contains(e.Message, want) {
			t.Errorf("%s: %v; want a refusal saying %q", op, err, want)
			continue
		}
		if !strings.HasPrefix(e.Message, "Operation \"x\"") && !strings.Contains(e.Message, "not an OpenAPI") {
			t.Errorf("%s: %q does not name the operation", op, e.Message)
		}
	}
	acts, err := importOne(t, &portico.OpenAPIInput{Document: doc(`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},{"name":"X-Trace","in":"header","schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`), Operations: []string{"x"}})
	if err != nil || strings.Contains(string(acts[0].InputSchema), "Trace") {
		t.Errorf("an optional header parameter: %v %s", err, acts[0].InputSchema)
	}
}

// OpenAPI 3.0's dialect becomes draft 2020-12; names that clash or are no
// identifiers are renamed, and mapped back.
func TestImport_Schema(t *testing.T) {
	d := json.RawMessage(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/items/{item-id}":{
	  "parameters":[{"name":"item-id","in":"path","required":true,"schema":{"type":"integer","minimum":0,"exclusiveMinimum":true}}],
	  "patch":{"operationId":"patchItem","summary":"Patch an item.",
	    "parameters":[{"name":"item-id","in":"query","schema":{"type":"string","nullable":true}},{"name":"page[size]","in":"query","schema":{"type":"integer"}}],
	    "requestBody":{"required":true,"content":{"application/merge-patch+json":{"schema":{"$ref":"#/components/schemas/Item"}}}},
	    "responses":{"200":{"description":"ok"}}}}},
	  "components":{"schemas":{"Item":{"type":"object","required":["item_id"],"properties":{"item_id":{"type":"string","x-internal":true},"next":{"$ref":"#/components/schemas/Item"}}}}}}`)
	acts, err := importOne(t, &portico.OpenAPIInput{Document: d, Operations: []string{"PATCH /items/{item-id}"}})
	if err != nil {
		t.Fatal(err)
	}
	a := acts[0]
	if a.Name != "patch_item" || a.Description != "Patch an item." || a.Method != "PATCH" || a.Path != "/items/{item_id}" {
		t.Errorf("action %+v", a)
	}
	if a.Query["query_item_id"] != "item-id" || a.Query["page_size"] != "page[size]" || a.Body["body_item_id"] != "item_id" || a.Body["next"] != "next" {
		t.Errorf("mapping query %v body %v", a.Query, a.Body)
	}
	var s map[string]any
	json.Unmarshal(a.InputSchema, &s)
	props := s["properties"].(map[string]any)
	if id := props["item_id"].(map[string]any); id["exclusiveMinimum"] != 0.0 || id["minimum"] != nil {
		t.Errorf("3.0 exclusiveMinimum: %v", id)
	}
	if q := props["query_item_id"].(map[string]any); len(q["type"].([]any)) != 2 || q["nullable"] != nil {
		t.Errorf("3.0 nullable: %v", q)
	}
	if _, ok := s["$defs"].(map[string]any)["Item"]; !ok || strings.Contains(string(a.InputSchema), "x-internal") {
		t.Errorf("$defs: %s", a.InputSchema)
	}
	if req := s["required"].([]any); len(req) != 2 {
		t.Errorf("required %v, want item_id and body_item_id", req)
	}
	if _, err := portico.ValidateInput(a.InputSchema, json.RawMessage(`{"item_id":1,"body_item_id":"a","next":{"item_id":"b","next":{"item_id":3}}}`)); portico.AsError(err).Field != "input.next.next.item_id" {
		t.Errorf("a recursive $def is checked: %v", err)
	}
}

// A document is fetched through the guard: loopback is refused unless
// private upstreams are allowed; a document past 10 MiB or an answer other
// than 200 is refused.
func TestImport_Fetch(t *testing.T) {
	big := strings.Repeat(" ", portico.MaxOpenAPIDocument)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big.json":
			w.Write([]byte(big + "{}"))
		case "/gone.json":
			http.NotFound(w, r)
		default:
			w.Header().Set("Content-Type", "application/yaml")
			w.Write([]byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /ping:\n    get:\n      operationId: ping\n      responses: {'200': {description: ok}}\n"))
		}
	}))
	defer srv.Close()
	guarded := &Importer{Client: upstream.NewClient(&upstream.Guard{}, 0), FetchFailure: upstream.FetchFailure}
	_, err := guarded.Import(context.Background(), &portico.OpenAPIInput{URL: srv.URL + "/o.yaml", Operations: []string{"ping"}})
	if e := portico.AsError(err); e.Field != "openapi.url" || !strings.Contains(e.Message, "could not be fetched") {
		t.Errorf("loopback through the default guard: %v", err)
	}
	open := &Importer{Client: upstream.NewClient(&upstream.Guard{AllowPrivate: true}, 0), FetchFailure: upstream.FetchFailure}
	acts, err := open.Import(context.Background(), &portico.OpenAPIInput{URL: srv.URL + "/o.yaml", Operations: []string{"ping"}})
	if err != nil || len(acts) != 1 || acts[0].Name != "ping" || acts[0].Path != "/ping" {
		t.Errorf("a YAML document by URL: %v %+v", err, acts)
	}
	for path, want := range map[string]string{"/big.json": "larger than", "/gone.json": "404"} {
		_, err := open.Import(context.Background(), &portico.OpenAPIInput{URL: srv.URL + path, Operations: []string{"ping"}})
		if e := portico.AsError(err); e.Field != "openapi.url" || !strings.Contains(e.Message, want) {
			t.Errorf("%s: %v; want %q", path, err, want)
		}
	}
	// A failed fetch names the host, never an address it resolved to
	// (docs/perform.md, "The address guard").
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, err = open.Import(context.Background(), &portico.OpenAPIInput{URL: fmt.Sprintf("http://localhost:%d/doc.json", closed), Operations: []string{"ping"}})
	if e := portico.AsError(err); e.Field != "openapi.url" || e.Message != "openapi.url could not be fetched: it could not be reached." {
		t.Errorf("a closed port: %v", err)
	}
}

// A document nested deeper than maxDepth is refused before it is resolved
// (resolving costs more than linear time in the depth), as JSON and as
// YAML; one within it is read.
func TestImport_DeepDocumentRefused(t *testing.T) {
	const op = `{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`
	nested := func(levels int) string {
		return strings.Repeat(`{"properties":{"x":`, levels/2) + `{}` + strings.Repeat(`}}`, levels/2)
	}
	withComponent := func(schema string) json.RawMessage {
		return json.RawMessage(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"components":{"schemas":{"Deep":` + schema + `}},"paths":{"/items/{id}":` + op + `}}`)
	}
	yamlNested := func(levels int) string {
		var b strings.Builder
		b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /items/{id}:\n    get:\n      operationId: x\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n      responses: {'200': {description: ok}}\ncomponents:\n  schemas:\n    Deep:\n")
		for i := range levels / 2 {
			ind := strings.Repeat("  ", 3+2*i)
			b.WriteString(ind + "properties:\n" + ind + "  x:\n")
		}
		b.WriteString(strings.Repeat("  ", 3+levels) + "type: string\n")
		return b.String()
	}
	yamlDoc := func(text string) json.RawMessage {
		b, _ := json.Marshal(text)
		return b
	}
	for name, in := range map[string]json.RawMessage{
		"JSON, 200 levels":  withComponent(nested(200)),
		"JSON, 9960 levels": withComponent(nested(9960)),
		"YAML, 200 levels":  yamlDoc(yamlNested(200)),
	} {
		_, err := importOne(t, &portico.OpenAPIInput{Document: in, Operations: []string{"x"}})
		if e := portico.AsError(err); err == nil || e.Code != portico.CodeValidation || !strings.Contains(e.Message, "nests deeper than 128 levels") {
			t.Errorf("%s: %v, want a refusal for its depth", name, err)
		}
	}
	for name, in := range map[string]json.RawMessage{
		"JSON, 100 levels": withComponent(nested(100)),
		"YAML, 100 levels": yamlDoc(yamlNested(100)),
	} {
		if _, err := importOne(t, &portico.OpenAPIInput{Document: in, Operations: []string{"x"}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A document that begins with { is read as JSON, not YAML; and one
// document is read at a time: an import waits for the one being read,
// until its context ends.
func TestImport_JSONAndOneAtATime(t *testing.T) {
	_, err := importOne(t, &portico.OpenAPIInput{Document: json.RawMessage(`"{openapi: 3.0.3, info: {title: t, version: '1'}, paths: {}}"`), Operations: []string{"x"}})
	if e := portico.AsError(err); err == nil || e.Field != "openapi.document" || !strings.Contains(e.Message, "invalid character") {
		t.Errorf("a YAML flow mapping: %v, want it refused as JSON", err)
	}
	reading <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = (&Importer{}).Import(ctx, &portico.OpenAPIInput{Document: doc(`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`), Operations: []string{"x"}})
	<-reading
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an import while another reads: %v, want it to wait until its context ends", err)
	}
	if _, err := importOne(t, &portico.OpenAPIInput{Document: doc(`{"get":{"operationId":"x","parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}],"responses":{"200":{"description":"ok"}}}}`), Operations: []string{"x"}}); err != nil {
		t.Fatalf("an import once the other is done: %v", err)
	}
}

// A parameter or request body whose $ref never reaches a definition (a
// cycle of references) is refused, naming the operation and the $ref, as
// JSON and as YAML; it is never left out of the action.
func TestImport_ReferenceCycles(t *testing.T) {
	const head = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},`
	for name, c := range map[string]struct{ doc, want string }{
		"request body": {head + `"paths":{"/a":{"post":{"operationId":"x","requestBody":{"$ref":"#/components/requestBodies/R"},"responses":{"200":{"description":"ok"}}}}},
			"components":{"requestBodies":{"R":{"$ref":"#/components/requestBodies/S"},"S":{"$ref":"#/components/requestBodies/R"}}}}`, "#/components/requestBodies/R"},
		"query parameter": {head + `"paths":{"/a":{"get":{"operationId":"x","parameters":[{"$ref":"#/components/parameters/P"}],"responses":{"200":{"description":"ok"}}}}},
			"components":{"parameters":{"P":{"$ref":"#/components/parameters/Q"},"Q":{"$ref":"#/components/parameters/P"}}}}`, "#/components/parameters/P"},
		"path parameter": {head + `"paths":{"/a/{id}":{"get":{"operationId":"x","parameters":[{"$ref":"#/components/parameters/P"}],"responses":{"200":{"description":"ok"}}}}},
			"components":{"parameters":{"P":{"$ref":"#/components/parameters/Q"},"Q":{"$ref":"#/components/parameters/P"}}}}`, "#/components/parameters/P"},
	} {
		if !json.Valid([]byte(c.doc)) {
			t.Fatalf("%s: the test's document is not JSON", name)
		}
		yamlText, _ := json.Marshal(string(c.doc)) // a JSON string: read as text (JSON is YAML)
		for form, d := range map[string]json.RawMessage{"JSON": json.RawMessage(c.doc), "text": yamlText} {
			acts, err := importOne(t, &portico.OpenAPIInput{Document: d, Operations: []string{"x"}})
			e := portico.AsError(err)
			if err == nil || e.Field != "openapi.operations[0]" || !strings.Contains(e.Message, c.want) || !strings.Contains(e.Message, "cannot be resolved") {
				t.Errorf("%s, %s: %v %+v", name, form, err, acts)
			}
		}
	}
}

// A $ref is a JSON pointer in a URI fragment: percent-encoded characters
// are decoded (RFC 6901 §6), as ~1 and ~0 are.
func TestImport_PercentEncodedReference(t *testing.T) {
	d := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"operationId":"x",
		"parameters":[{"name":"q","in":"query","schema":{"$ref":"#/components/schemas/A%20B"}}],"responses":{"200":{"description":"ok"}}}}},
		"components":{"schemas":{"A B":{"type":"string","maxLength":5}}}}`
	acts, err := importOne(t, &portico.OpenAPIInput{Document: json.RawMessage(d), Operations: []string{"x"}})
	if err != nil || !strings.Contains(string(acts[0].InputSchema), `"maxLength":5`) {
		t.Fatalf("%v %+v", err, acts)
	}
	// And the document is cut down to what the operation needs, not read
	// whole.
	if cut, pruned, err := cutDown([]byte(d), []string{"x"}); err != nil || !pruned || !strings.Contains(string(cut), "A B") {
		t.Fatalf("cut down: %v %v %s", pruned, err, cut)
	}
}
