package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// queryParams are the query parameters each operation of openapi.json
// declares, by route pattern ("GET /v1/users"). A request of a native route
// that sends another, or one of them twice, is refused (checkQuery): a
// misspelt filter (externalid) would otherwise be dropped silently and the
// list answered unfiltered.
var queryParams = mustQueryParams(openAPIJSON)

func mustQueryParams(doc []byte) map[string][]string {
	type param struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	}
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		panic(fmt.Sprintf("httpapi: openapi.json: %v", err))
	}
	out := map[string][]string{}
	for path, item := range d.Paths {
		var shared []param
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				panic(fmt.Sprintf("httpapi: openapi.json: %s parameters: %v", path, err))
			}
		}
		for method, raw := range item {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			var op struct {
				Parameters []param `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				panic(fmt.Sprintf("httpapi: openapi.json: %s %s: %v", method, path, err))
			}
			names := []string{}
			for _, p := range append(slices.Clone(shared), op.Parameters...) {
				if p.Ref != "" {
					p = d.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				}
				if p.In == "query" {
					names = append(names, p.Name)
				}
			}
			out[strings.ToUpper(method)+" "+path] = names
		}
	}
	return out
}

// checkQuery refuses a query parameter that the request's operation does
// not declare, a declared one sent more than once (none is a list), and
// one sent empty but for page_token.
// The error is 400 invalid_request naming the parameter, with the one most
// likely meant in details.suggestion.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	names, ok := queryParams[r.Pattern]
	if !ok {
		return nil
	}
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case slices.Contains(names, k):
			if n := len(q[k]); n > 1 {
				return portico.Invalid(k, "The query parameter %q is sent %d times; send it once.", k, n)
			}
			if q.Get(k) == "" && k != "page_token" {
				// ?user_id= filters on nothing a row can hold; an empty
				// page_token is the first page.
				return portico.Invalid(k, "The query parameter %q is empty; leave it out not to filter on it.", k)
			}
		case slices.Contains(compat.CredentialParams, k):
			// Authentication answers these, saying where a credential goes.
		default:
			return unknownQuery(k, names)
		}
	}
	return nil
}

func unknownQuery(k string, names []string) error {
	shown := k
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	suggestion := jsonbody.Nearest(k, names)
	if suggestion == "" {
		if len(names) == 0 {
			return portico.Invalid(shown, "Unknown query parameter %q: this operation takes none.", shown)
		}
		return portico.Invalid(shown, "Unknown query parameter %q: this operation takes %s.", shown, strings.Join(names, ", "))
	}
	e := portico.Invalid(shown, "Unknown query parameter %q; did you mean %q?", shown, suggestion)
	e.Details = map[string]any{"suggestion": suggestion}
	return e
}
