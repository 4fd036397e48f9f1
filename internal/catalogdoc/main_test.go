package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// docs/integrations.md is what this command makes of the catalogue: run
// go generate ./internal/portico after changing a template.
func TestIntegrationsDocIsCurrent(t *testing.T) {
	got, err := os.ReadFile("../../docs/integrations.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := render(portico.CatalogTemplates("")); !bytes.Equal(got, want) {
		t.Fatal("docs/integrations.md differs from the catalogue: run go generate ./internal/portico")
	}
}

// Every template and every category it uses appear in the page.
func TestIntegrationsDocNamesEveryTemplate(t *testing.T) {
	doc := string(render(portico.CatalogTemplates("")))
	known := map[string]bool{}
	for _, c := range portico.CatalogCategories {
		known[c.Slug] = true
	}
	for _, tpl := range portico.CatalogTemplates("") {
		if !known[tpl.Category] {
			t.Errorf("%s: category %s has no name in words", tpl.Slug, tpl.Category)
		}
		if !bytes.Contains([]byte(doc), []byte(`<a id="`+tpl.Slug+`"></a>`)) {
			t.Errorf("%s is not on the page", tpl.Slug)
		}
	}
}
