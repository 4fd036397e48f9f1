package httpapi_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// GET /v1/catalog pages through the whole catalogue in slug order, keeps
// one category with ?category=, and shows a template without an OAuth2
// client.
func TestCatalog_List(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		e := newEnv(t, eng)
		_, key := e.newApp("acme")
		k := auth(key)
		list := func(query string, size int) ([]map[string]any, []string) {
			var all []map[string]any
			var slugs []string
			token := ""
			for {
				r := e.do("GET", "/v1/catalog?"+query+"&page_size="+strconv.Itoa(size)+"&page_token="+url.QueryEscape(token), k, nil)
				if r.Status != 200 {
					t.Fatalf("list: %d %s", r.Status, r.Raw)
				}
				for _, x := range r.Body["data"].([]any) {
					all = append(all, x.(map[string]any))
					slugs = append(slugs, x.(map[string]any)["slug"].(string))
				}
				next, _ := r.Body["next_page_token"].(string)
				if next == "" {
					return all, slugs
				}
				token = next
			}
		}
		all, slugs := list("", 7)
		if !slices.Equal(slugs, portico.TemplateSlugs()) || len(slugs) < 60 {
			t.Fatalf("paged catalogue %v, want %v", slugs, portico.TemplateSlugs())
		}
		for _, tpl := range all {
			if tpl["slug"] == "github" {
				o := tpl["auth"].(map[string]any)["oauth2"].(map[string]any)
				if o["client_id"] != "" || o["client_secret"] != nil || tpl["verify"].(map[string]any)["label_pointer"] != "/login" ||
					len(tpl["sources"].([]any)) == 0 || tpl["source_url"] == nil {
					t.Errorf("github: %v", tpl)
				}
			}
		}
		crm, crmSlugs := list("category=crm", 2)
		if len(crm) == 0 {
			t.Fatal("no crm templates")
		}
		for _, tpl := range crm {
			if tpl["category"] != "crm" {
				t.Errorf("category=crm lists %v", tpl["slug"])
			}
		}
		if !slices.IsSorted(crmSlugs) {
			t.Errorf("not in slug order: %v", crmSlugs)
		}
		if _, none := list("category=nope", 20); len(none) != 0 {
			t.Errorf("an unknown category lists %v", none)
		}
		if r := e.do("GET", "/v1/catalog?page_token=forged", k, nil); r.Status != 400 {
			t.Errorf("forged token: %d", r.Status)
		}
		// A token of one category's list is not one of another's.
		r := e.do("GET", "/v1/catalog?category=crm&page_size=1", k, nil)
		if r := e.do("GET", "/v1/catalog?category=code&page_token="+url.QueryEscape(r.Body["next_page_token"].(string)), k, nil); r.Status != 400 {
			t.Errorf("a crm token on the code list: %d", r.Status)
		}
		if r := e.do("GET", "/v1/catalog", nil, nil); r.Status != 401 {
			t.Errorf("without a key: %d", r.Status)
		}
	})
}
