package portico_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/porticohq/portico/"

// The import rule of the tree: the domain imports no net/http, no
// database/sql and no package of this project; no adapter imports another
// (the compatible surfaces and the MCP server may use their toolkit
// internal/compat and internal/jsonbody, the one reader of request bodies;
// the native API those two, for the one JSON writer and error renderer of
// every surface, and the api wire types); the CLI wires everything.
func TestImportRule(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		imports[strings.TrimPrefix(p.ImportPath, module)] = p.Imports
	}
	domain, ok := imports["internal/portico"]
	if !ok {
		t.Fatal("go list did not list internal/portico")
	}
	for _, imp := range domain {
		if imp == "net/http" || imp == "database/sql" || strings.HasPrefix(imp, module) {
			t.Errorf("internal/portico imports %s", imp)
		}
	}
	adapters := []string{"internal/httpapi", "internal/web", "internal/upstream", "internal/webhook", "internal/store", "internal/openapi", "internal/compat/", "internal/mcp", "internal/apiwire"}
	isAdapter := func(p string) bool {
		return slices.ContainsFunc(adapters, func(a string) bool { return p == a || strings.HasSuffix(a, "/") && strings.HasPrefix(p, a) })
	}
	// What each adapter may import of the project besides the domain.
	allowed := func(from, to string) bool {
		switch {
		case to == "internal/portico":
			return true
		case strings.HasPrefix(from, "internal/compat/"):
			return to == "internal/compat" || to == "internal/jsonbody"
		case from == "internal/mcp":
			return to == "internal/compat" || to == "internal/jsonbody"
		case from == "internal/web":
			// The request checks every adapter shares (CheckURL).
			return to == "internal/compat"
		case from == "internal/httpapi":
			return to == "internal/jsonbody" || to == "internal/compat" || to == "internal/apiwire" || to == "api"
		case from == "internal/store":
			// Webhook events are written with the change they report, as
			// the API shows the object.
			return to == "internal/apiwire"
		case from == "internal/apiwire":
			return to == "api"
		}
		return false
	}
	for from, imps := range imports {
		if !isAdapter(from) || strings.HasSuffix(from, "test") {
			continue
		}
		for _, imp := range imps {
			to, ok := strings.CutPrefix(imp, module)
			if ok && !allowed(from, to) {
				t.Errorf("%s imports %s", from, to)
			}
		}
	}
}
