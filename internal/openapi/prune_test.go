package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/porticohq/portico/internal/openapi/openapitest"
	"github.com/porticohq/portico/internal/portico"
)

// samePruned checks that the operations sels choose make the same actions,
// or the same refusal, from the pruned document as from the whole one.
// A document that cannot be read whole may be read pruned: only what the
// operations need must be readable.
func samePruned(t *testing.T, data []byte, sels []string) {
	t.Helper()
	whole, err := parse(data)
	if err != nil {
		return
	}
	want, wantErr := actionsOf(whole, sels)
	cut, ok, err := cutDown(data, sels)
	if err != nil || !ok {
		return
	}
	pruned, err := parse(cut)
	if err != nil {
		t.Fatalf("%q: the whole document reads, the pruned one does not: %v\n%s", sels, err, cut)
	}
	got, gotErr := actionsOf(pruned, sels)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%q: pruned %v, whole %v", sels, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: pruned %+v\nwhole %+v", sels, got, want)
	}
}

// asYAML is a JSON document written again in YAML's block style. It is
// decoded and encoded as JSON first, which leaves no escaped character
// YAML cannot read (a surrogate pair).
func asYAML(t testing.TB, data []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	data, _ = json.Marshal(v)
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	var block func(n *yaml.Node)
	block = func(n *yaml.Node) {
		n.Style &^= yaml.FlowStyle
		for _, c := range n.Content {
			block(c)
		}
	}
	block(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every operation of the documents the tests use, JSON and YAML, alone and
// all together, makes the same action from the pruned document.
func TestPrune_SameActions(t *testing.T) {
	docs := map[string][]byte{}
	for _, name := range []string{"museum-3.1.json", "github-3.0.json", "petstore-3.0.yaml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		docs[name] = data
		if strings.HasSuffix(name, ".json") {
			docs[name+" as YAML"] = asYAML(t, data)
		}
	}
	for name, data := range docs {
		doc, err := parse(data)
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, op := range operations(doc) {
			sel := op.method + " " + op.path
			all = append(all, sel)
			samePruned(t, data, []string{sel})
			if op.op.OperationID != "" {
				samePruned(t, data, []string{op.op.OperationID})
			}
		}
		samePruned(t, data, all)
		samePruned(t, data, []string{"no-such-operation"})
		if name == "petstore-3.0.yaml" {
			// Small, and all of it in use: nothing much to cut.
			continue
		}
		cut, pruned, err := cutDown(data, all[:1])
		if err != nil || !pruned || len(cut) >= len(data)/2 {
			t.Errorf("%s: one operation pruned to %d of %d bytes (pruned %v, %v)", name, len(cut), len(data), pruned, err)
		}
	}
}

// What the pruned document keeps: the chosen path item, the values its
// $refs reach through others (escaped names, a pointer into a list), and
// nothing else; documents prune cannot cut are read whole.
func TestPrune_Keeps(t *testing.T) {
	const d = `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":[{"url":"https://x"}],
	  "paths":{
	    "/a":{"get":{"operationId":"a","parameters":[{"$ref":"#/components/parameters/P"}],"responses":{"200":{"$ref":"#/components/responses/R"}}}},
	    "/b":{"get":{"operationId":"b","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Unused"}}}}}}}},
	  "components":{
	    "parameters":{"P":{"name":"q","in":"query","schema":{"$ref":"#/components/schemas/a~1b"}}},
	    "responses":{"R":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/List/items/0"}}}}},
	    "schemas":{"a/b":{"type":"string","x-\u0024ref":"#/nowhere","example":{"\u0024ref":"#/components/schemas/Self"}},
	      "Self":{"type":"object","properties":{"self":{"$ref":"#/components/schemas/Self"},"$ref":{"type":"string"}}},
	      "List":{"items":[{"type":"integer"}]},
	      "Unused":{"type":"object"}}}}`
	for _, data := range [][]byte{[]byte(d), asYAML(t, []byte(d))} {
		keepsOnly(t, data)
	}

	for name, doc := range map[string]string{
		"a path item $ref":             `{"openapi":"3.1.0","paths":{"/a":{"$ref":"#/components/pathItems/A"}},"components":{"pathItems":{"A":{"get":{"operationId":"a"}}}}}`,
		"a ref to another doc":         `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":"a","parameters":[{"$ref":"p.json#/P"}]}}}}`,
		"an encoded pointer":           `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":"a","parameters":[{"$ref":"#/components/parameters/A%20B"}]}}}}`,
		"a dangling pointer":           `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":"a","parameters":[{"$ref":"#/components/parameters/P"}]}}}}`,
		"paths not an object":          `{"openapi":"3.0.3","paths":[]}`,
		"an operation not an object":   `{"openapi":"3.0.3","paths":{"/a":{"get":[]}}}`,
		"an operationId not a string":  `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":1}}}}`,
		"YAML with an anchor":          "openapi: 3.0.3\npaths:\n  /a:\n    get: &op {operationId: a}\n  /b:\n    get: *op\n",
		"YAML with a merge key":        "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      <<: {operationId: a}\n",
		"YAML with a key given twice":  "openapi: 3.0.3\npaths:\n  /a:\n    get: {operationId: a}\n  /a:\n    get: {operationId: b}\n",
		"YAML with a key not a string": "openapi: 3.0.3\npaths:\n  [/a]:\n    get: {operationId: a}\n",
		"YAML not a mapping":           "- openapi\n",
	} {
		if _, pruned, _ := cutDown([]byte(doc), []string{"a"}); pruned {
			t.Errorf("%s: pruned; want it read whole", name)
		}
		samePruned(t, []byte(doc), []string{"a"})
	}
}

// keepsOnly checks what the pruned document of TestPrune_Keeps keeps.
func keepsOnly(t *testing.T, data []byte) {
	t.Helper()
	cut, pruned, err := cutDown(data, []string{" a "})
	if err != nil || !pruned {
		t.Fatalf("not pruned: %v", err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(cut, &got); err != nil {
		t.Fatalf("%v: %s", err, cut)
	}
	var keys []string
	var walk func(prefix string, v any, depth int)
	walk = func(prefix string, v any, depth int) {
		m, ok := v.(map[string]any)
		if !ok || depth == 3 {
			keys = append(keys, prefix)
			return
		}
		for k, x := range m {
			walk(prefix+"/"+k, x, depth+1)
		}
	}
	walk("", got, 0)
	want := []string{"/components/parameters/P", "/components/responses/R", "/components/schemas/List", "/components/schemas/Self", "/components/schemas/a/b",
		"/info/title", "/info/version", "/openapi", "/paths//a/get"}
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Errorf("kept %q\nwant %q", keys, want)
	}
	samePruned(t, data, []string{"a"})
	samePruned(t, data, []string{"GET /b"})
}

// refs finds every "$ref" member with a string value, however the name is
// escaped, and nothing else.
func TestRefs(t *testing.T) {
	got := refs([]byte(`{"$ref":"#/a","b":["$ref",{"\u0024ref" : "#/c\"d"}],"e":{"$ref":{"$ref":"#/f"}},"g":"\"$ref\":\"#/no\"","$refs":"#/no"}`))
	want := []string{"#/a", `#/c"d`, "#/f"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("refs = %q, want %q", got, want)
	}
}

// A 10 MiB document, the most an import takes, is read for the
// operations chosen: the import of a JSON document allocates a few times
// the document's size, where reading it whole allocated over a hundred; a
// YAML document costs its parse to nodes, about 25 times its size for a
// document of short values, where reading it whole took 6 s and a peak
// over 350 MiB (docs/openapi-import.md, "Limits").
func TestImport_LargeDocument(t *testing.T) {
	for _, c := range []struct {
		form   string
		data   []byte
		factor uint64
	}{
		{"JSON", openapitest.FlatUpTo(portico.MaxOpenAPIDocument), 8},
		{"YAML", openapitest.FlatYAMLUpTo(portico.MaxOpenAPIDocument), 32},
	} {
		text, _ := json.Marshal(string(c.data))
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		acts, err := (&Importer{}).Import(context.Background(), &portico.OpenAPIInput{Document: text, Operations: []string{"createItem7000", "POST /items12/{id}"}})
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if err != nil || len(acts) != 2 || acts[0].Name != "create_item7000" || acts[1].Name != "create_item12" || acts[0].Path != "/items7000/{id}" {
			t.Fatalf("%s: %v %+v", c.form, err, acts)
		}
		if !strings.Contains(string(acts[0].InputSchema), `"maxLength":100`) {
			t.Errorf("%s: the body's schema: %s", c.form, acts[0].InputSchema)
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: the import allocated %d MiB for a %d MiB document", c.form, alloc>>20, len(c.data)>>20)
		if alloc > c.factor*uint64(len(c.data)) {
			t.Errorf("%s: the import allocated %d MiB for a %d MiB document", c.form, alloc>>20, len(c.data)>>20)
		}
	}
}
