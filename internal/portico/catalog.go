package portico

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The built-in catalogue: integration templates an app selects with
// "template", so that naming its own OAuth2 client (or nothing, for API-key
// providers) is enough. A PUT's own fields replace the template's. The
// templates are the files of catalog/, one per provider, each fact taken
// from the provider's documentation (docs/catalog-data.md); every file is
// loaded and validated when the program starts.

//go:generate go run ../catalogdoc -o ../../docs/integrations.md

//go:embed catalog/*.json
var catalogFiles embed.FS

// CatalogSource is a documentation page a template's facts were taken from.
type CatalogSource struct {
	URL   string `json:"url"`
	Facts string `json:"facts"`
}

// CatalogTemplate is one template of the catalogue: an integration
// definition without an OAuth2 client, and the pages its facts come from.
type CatalogTemplate struct {
	Integration
	Sources []CatalogSource
}

// templateFile is the file form of a template: the storage form of an
// integration with its slug and sources.
type templateFile struct {
	Slug    string          `json:"slug"`
	Sources []CatalogSource `json:"sources"`
	Integration
}

// catalogClientID stands for the app's own OAuth2 client while a template
// is validated.
const catalogClientID = "catalogue"

var catalog = mustLoadCatalog()

func mustLoadCatalog() map[string]CatalogTemplate {
	c, err := loadCatalog(catalogFiles)
	if err != nil {
		panic("catalog: " + err.Error())
	}
	return c
}

// loadCatalog reads and validates every template of fsys's catalog/; the
// error names every file that does not load.
func loadCatalog(fsys fs.FS) (map[string]CatalogTemplate, error) {
	entries, err := fs.ReadDir(fsys, "catalog")
	if err != nil {
		return nil, err
	}
	out := map[string]CatalogTemplate{}
	var errs []error
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, path.Join("catalog", e.Name()))
		if err != nil {
			return nil, err
		}
		t, err := parseTemplate(strings.TrimSuffix(e.Name(), ".json"), b)
		if err != nil {
			errs = append(errs, fmt.Errorf("catalog/%s: %w", e.Name(), err))
			continue
		}
		out[t.Slug] = t
	}
	return out, errors.Join(errs...)
}

// parseTemplate decodes one file strictly (a field the format does not know
// is an error) and validates it as an integration would be at PUT.
func parseTemplate(slug string, b []byte) (CatalogTemplate, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f templateFile
	if err := dec.Decode(&f); err != nil {
		return CatalogTemplate{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return CatalogTemplate{}, errors.New("data after the object")
	}
	if f.Slug != slug {
		return CatalogTemplate{}, fmt.Errorf("slug %q, want the file name %q", f.Slug, slug)
	}
	in := f.Integration
	switch {
	case in.Template != "" || in.AccountIDs != nil:
		return CatalogTemplate{}, errors.New("a template names no template and no account_ids")
	case in.Auth.OAuth2 != nil && in.Auth.OAuth2.ClientID != "":
		return CatalogTemplate{}, errors.New("a template names no OAuth2 client: each app brings its own")
	}
	in.Slug = slug
	if o := in.Auth.OAuth2; o != nil {
		o.ClientID = catalogClientID
	}
	if err := in.Validate(false); err != nil {
		e := AsError(err)
		return CatalogTemplate{}, fmt.Errorf("%s: %s", e.Field, e.Message)
	}
	if o := in.Auth.OAuth2; o != nil {
		o.ClientID = ""
	}
	in.Template = slug
	return CatalogTemplate{Integration: in, Sources: f.Sources}, nil
}

// Template returns a fresh copy of the catalogue template slug, with
// Template set to slug and no OAuth2 client.
func Template(slug string) (Integration, bool) {
	t, ok := catalog[slug]
	if !ok {
		return Integration{}, false
	}
	return copyIntegration(t.Integration), true
}

// copyIntegration is a deep copy through the storage form: validation
// normalises a definition in place, and the catalogue is shared by every
// request.
func copyIntegration(in Integration) Integration {
	b, err := json.Marshal(in)
	if err != nil {
		panic("catalog: " + err.Error())
	}
	var out Integration
	if err := json.Unmarshal(b, &out); err != nil {
		panic("catalog: " + err.Error())
	}
	out.Slug = in.Slug
	return out
}

// TemplateSlugs lists the catalogue, sorted.
func TemplateSlugs() []string {
	out := make([]string, 0, len(catalog))
	for s := range catalog {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// CatalogTemplates returns copies of every template, sorted by slug; with
// a category, only that category's.
func CatalogTemplates(category string) []CatalogTemplate {
	out := []CatalogTemplate{}
	for _, s := range TemplateSlugs() {
		t := catalog[s]
		if category != "" && t.Category != category {
			continue
		}
		out = append(out, CatalogTemplate{Integration: copyIntegration(t.Integration), Sources: slices.Clone(t.Sources)})
	}
	return out
}

// ListCatalog returns a page of the catalogue's templates in slug order,
// optionally of one category (an unknown one lists none).
func (s *Service) ListCatalog(category string, r PageRequest) (Page[CatalogTemplate], error) {
	return paginate(s.Pages, "catalog\x00"+category, r, func(t CatalogTemplate) Cursor { return Cursor{ID: t.Slug} },
		func(q ListQuery) ([]CatalogTemplate, error) {
			all := CatalogTemplates(category)
			if q.After != nil {
				i, _ := slices.BinarySearchFunc(all, q.After.ID, func(t CatalogTemplate, slug string) int { return strings.Compare(t.Slug, slug) })
				for i < len(all) && all[i].Slug <= q.After.ID {
					i++
				}
				all = all[i:]
			}
			return all[:min(len(all), q.Limit)], nil
		})
}

// Category is an integration category: its slug and its name in words.
type Category struct{ Slug, Name string }

// CatalogCategories are the catalogue's categories in the order its
// documentation shows them.
var CatalogCategories = []Category{
	{"crm", "CRM"}, {"ticketing", "Ticketing and projects"}, {"code", "Code"}, {"communication", "Chat and meetings"},
	{"knowledge-base", "Docs, notes and spreadsheets"}, {"file-storage", "File storage"}, {"calendar", "Calendar"},
	{"email", "Email"}, {"accounting", "Accounting"}, {"payments", "Payments"}, {"marketing", "Marketing"},
	{"analytics", "Analytics"}, {"ai", "AI"}, {"identity", "Sign-in"},
}

// CategoryName is a category in words: the catalogue's name for it, else
// its slug with spaces, capitalised ("field-service" → "Field service").
func CategoryName(slug string) string {
	for _, c := range CatalogCategories {
		if c.Slug == slug {
			return c.Name
		}
	}
	w := strings.NewReplacer("-", " ", "_", " ").Replace(slug)
	if w == "" {
		return ""
	}
	return strings.ToUpper(w[:1]) + w[1:]
}
