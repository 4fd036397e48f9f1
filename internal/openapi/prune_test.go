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
	cut, ok := prune(data, sels)
	if !ok {
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

// Every operation of the JSON documents the tests use, alone and all
// together, makes the same action from the pruned document.
func TestPrune_SameActions(t *testing.T) {
	for _, name := range []string{"museum-3.1.json", "github-3.0.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
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
		cut, ok := prune(data, all[:1])
		if !ok || len(cut) >= len(data)/2 {
			t.Errorf("%s: one operation pruned to %d of %d bytes (ok %v)", name, len(cut), len(data), ok)
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
	cut, ok := prune([]byte(d), []string{" a "})
	if !ok {
		t.Fatal("not pruned")
	}
	var got map[string]any
	if err := json.Unmarshal(cut, &got); err != nil {
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
	samePruned(t, []byte(d), []string{"a"})
	samePruned(t, []byte(d), []string{"GET /b"})

	for name, doc := range map[string]string{
		"YAML":                       "openapi: 3.0.3\npaths: {}\n",
		"a path item $ref":           `{"openapi":"3.1.0","paths":{"/a":{"$ref":"#/components/pathItems/A"}},"components":{"pathItems":{"A":{"get":{"operationId":"a"}}}}}`,
		"a ref to another doc":       `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":"a","parameters":[{"$ref":"p.json#/P"}]}}}}`,
		"an encoded pointer":         `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":"a","parameters":[{"$ref":"#/components/parameters/A%20B"}]}}}}`,
		"a dangling pointer":         `{"openapi":"3.0.3","paths":{"/a":{"get":{"operationId":"a","parameters":[{"$ref":"#/components/parameters/P"}]}}}}`,
		"paths not an object":        `{"openapi":"3.0.3","paths":[]}`,
		"an operation not an object": `{"openapi":"3.0.3","paths":{"/a":{"get":[]}}}`,
	} {
		if _, ok := prune([]byte(doc), []string{"a"}); ok {
			t.Errorf("%s: pruned; want it read whole", name)
		}
	}
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
// operations chosen: the import allocates a few times the document's
// size, where reading it whole allocated over a hundred
// (docs/openapi-import.md, "Limits").
func TestImport_LargeDocument(t *testing.T) {
	data := openapitest.FlatUpTo(portico.MaxOpenAPIDocument)
	text, _ := json.Marshal(string(data))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	acts, err := (&Importer{}).Import(context.Background(), &portico.OpenAPIInput{Document: text, Operations: []string{"createItem7000", "POST /items12/{id}"}})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err != nil || len(acts) != 2 || acts[0].Name != "create_item7000" || acts[1].Name != "create_item12" || acts[0].Path != "/items7000/{id}" {
		t.Fatalf("%v %+v", err, acts)
	}
	if !strings.Contains(string(acts[0].InputSchema), `"maxLength":100`) {
		t.Errorf("the body's schema: %s", acts[0].InputSchema)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("the import allocated %d MiB for a %d MiB document", alloc>>20, len(data)>>20)
	if alloc > 8*uint64(len(data)) {
		t.Errorf("the import allocated %d MiB for a %d MiB document", alloc>>20, len(data)>>20)
	}
}
