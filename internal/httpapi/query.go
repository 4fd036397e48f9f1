package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/compat"
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
// not declare, as compat.CheckQuery does.
func checkQuery(r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	names, ok := queryParams[r.Pattern]
	if !ok {
		return nil
	}
	return compat.CheckQuery(r.URL.Query(), names)
}
