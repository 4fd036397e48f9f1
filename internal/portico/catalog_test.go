package portico

import (
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
)

// Every file of catalog/ loads as a valid integration: the program would
// not start otherwise.
func TestCatalog_EveryTemplateLoads(t *testing.T) {
	got, err := loadCatalog(catalogFiles)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(catalogFiles, "catalog/*")
	if len(got) != len(files) || len(got) < 60 {
		t.Fatalf("%d templates of %d files; the catalogue promises at least 60", len(got), len(files))
	}
}

// The template checks of docs/catalog-data.md: https URLs, input schemas
// that are objects, settings placeholders that name declared fields, and
// tool names valid for MCP and the function-calling APIs without
// collisions across the whole catalogue.
func TestCatalog_Templates(t *testing.T) {
	tools := map[string]string{}
	https := func(slug, what, s string) {
		u, err := url.Parse(standIn(s))
		if err != nil || u.Scheme != "https" || u.Host == "" {
			t.Errorf("%s: %s %q is not https", slug, what, s)
		}
	}
	for _, slug := range TemplateSlugs() {
		in, _ := Template(slug)
		in.Slug = slug
		https(slug, "base_url", in.BaseURL)
		for what, s := range map[string]string{"logo_url": in.LogoURL, "source_url": in.SourceURL} {
			if s != "" {
				https(slug, what, s)
			}
		}
		if in.Guide != nil {
			https(slug, "guide.url", in.Guide.URL)
		}
		if o := in.Auth.OAuth2; o != nil {
			https(slug, "authorize_url", o.AuthorizeURL)
			https(slug, "token_url", o.TokenURL)
			if o.ClientID != "" {
				t.Errorf("%s: a template carries no OAuth2 client", slug)
			}
			o.ClientID = "app"
		}
		// What a PUT of the template alone (with a client) would accept.
		if err := in.Validate(false); err != nil {
			t.Errorf("%s: %v", slug, err)
		}
		declared := map[string]bool{}
		for _, f := range in.SettingsFields {
			declared[f.Name] = true
		}
		refs := []string{in.BaseURL}
		if in.Verify != nil {
			refs = append(refs, in.Verify.Path)
		}
		for _, r := range refs {
			for _, m := range placeholderRe.FindAllStringSubmatch(r, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: %q uses {%s}, not a settings field", slug, r, m[1])
				}
			}
		}
		for _, a := range in.Actions {
			if _, err := compileSchema(a.InputSchema, true); err != nil || !strings.HasPrefix(string(a.InputSchema), "{") {
				t.Errorf("%s: action %s: the input schema is not a valid object schema: %v", slug, a.Name, err)
			}
			name := ToolName(slug, a.Name)
			if !toolNameRe.MatchString(name) {
				t.Errorf("%s: action %s makes the MCP tool name %q, not %s", slug, a.Name, name, toolNameRe)
			}
			if other, dup := tools[name]; dup {
				t.Errorf("%s: tool %s collides with %s", slug, name, other)
			}
			tools[name] = slug + "/" + a.Name
		}
	}
}

// A file that does not load is named with the reason: the program refuses
// to start with it.
func TestCatalog_RefusesBrokenFiles(t *testing.T) {
	good, err := fs.ReadFile(catalogFiles, "catalog/stripe.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ file, body, want string }{
		"unknown field": {"stripe.json", strings.Replace(string(good), `"name"`, `"colour": "#000000", "name"`, 1), "unknown field"},
		"slug":          {"stripe2.json", string(good), "file name"},
		"invalid":       {"stripe.json", strings.Replace(string(good), `"base_url": "https://`, `"base_url": "http://`, 1), "base_url"},
		"client":        {"github.json", strings.Replace(mustRead(t, "catalog/github.json"), `"token_url"`, `"client_id": "x", "token_url"`, 1), "OAuth2 client"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadCatalog(fstest.MapFS{"catalog/" + c.file: {Data: []byte(c.body)}})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
				t.Errorf("got %v, want an error naming %s and %q", err, c.file, c.want)
			}
		})
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(catalogFiles, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
