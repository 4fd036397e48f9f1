package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// The OpenAPI document is written by hand. These tests hold it to the code:
// the routes registered in routes.go, the api wire types, the examples it
// shows and the answers the running server actually gives.

// openAPIDoc is the parsed document (numbers kept as json.Number).
type openAPIDoc map[string]any

func parseDoc(t *testing.T, raw []byte) openAPIDoc {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var d openAPIDoc
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("the OpenAPI document is not JSON: %v", err)
	}
	return d
}

func readDoc(t *testing.T) openAPIDoc {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	return parseDoc(t, raw)
}

// lookup follows a local reference such as #/components/schemas/User.
func (d openAPIDoc) lookup(ref string) (map[string]any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%s: only local references are used", ref)
	}
	var cur any = map[string]any(d)
	for _, part := range strings.Split(p, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not inside an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("%s: no %q", ref, part)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s does not name an object", ref)
	}
	return m, nil
}

// deref resolves an object that may be a bare reference (responses,
// parameters, examples, headers).
func (d openAPIDoc) deref(t *testing.T, o map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := o["$ref"].(string)
		if !ok {
			return o
		}
		m, err := d.lookup(ref)
		if err != nil {
			t.Fatal(err)
		}
		o = m
	}
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operation is one documented method of one path.
type operation struct {
	Method string // upper case
	Path   string
	Op     map[string]any
}

func (d openAPIDoc) operations() []operation {
	var ops []operation
	for path, item := range d["paths"].(map[string]any) {
		for _, m := range httpMethods {
			if op, ok := item.(map[string]any)[m].(map[string]any); ok {
				ops = append(ops, operation{Method: strings.ToUpper(m), Path: path, Op: op})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Path+ops[i].Method < ops[j].Path+ops[j].Method })
	return ops
}

func (d openAPIDoc) operation(t *testing.T, id string) map[string]any {
	t.Helper()
	for _, o := range d.operations() {
		if o.Op["operationId"] == id {
			return o.Op
		}
	}
	t.Fatalf("no operation %q", id)
	return nil
}

// ---------------------------------------------------------------------------
// A small JSON Schema (2020-12) validator for the keywords the document uses.
// A keyword it does not know fails the test, so the document cannot quietly
// rely on a rule nothing checks.

type schemaErrors []string

func (e *schemaErrors) add(path, format string, args ...any) {
	*e = append(*e, path+": "+fmt.Sprintf(format, args...))
}

func jsonTypeOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

func (d openAPIDoc) validate(schema map[string]any, v any, path string, errs *schemaErrors) {
	for k, sv := range schema {
		switch k {
		case "description", "examples", "default", "title":
		case "$ref":
			target, err := d.lookup(sv.(string))
			if err != nil {
				errs.add(path, "%v", err)
				continue
			}
			d.validate(target, v, path, errs)
		case "type":
			got := jsonTypeOf(v)
			var want []string
			switch s := sv.(type) {
			case string:
				want = []string{s}
			case []any:
				for _, x := range s {
					want = append(want, x.(string))
				}
			}
			if !slices.Contains(want, got) && !(got == "integer" && slices.Contains(want, "number")) {
				errs.add(path, "is %s, want %s", got, strings.Join(want, " or "))
			}
		case "properties":
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for name, ps := range sv.(map[string]any) {
				if pv, ok := obj[name]; ok {
					d.validate(ps.(map[string]any), pv, path+"."+name, errs)
				}
			}
		case "required":
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for _, r := range sv.([]any) {
				if _, ok := obj[r.(string)]; !ok {
					errs.add(path, "lacks the required %q", r)
				}
			}
		case "additionalProperties":
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			props, _ := schema["properties"].(map[string]any)
			for name, pv := range obj {
				if _, ok := props[name]; ok {
					continue
				}
				switch sv := sv.(type) {
				case bool:
					if !sv {
						errs.add(path, "has the undeclared property %q", name)
					}
				case map[string]any:
					d.validate(sv, pv, path+"."+name, errs)
				}
			}
		case "items":
			arr, ok := v.([]any)
			if !ok {
				continue
			}
			for i, x := range arr {
				d.validate(sv.(map[string]any), x, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		case "maxItems":
			if arr, ok := v.([]any); ok {
				if n, _ := number(sv); len(arr) > int(n) {
					errs.add(path, "has %d items, at most %v allowed", len(arr), sv)
				}
			}
		case "enum":
			if !slices.ContainsFunc(sv.([]any), func(x any) bool { return jsonEqual(x, v) }) {
				errs.add(path, "%v is not one of %v", v, sv)
			}
		case "const":
			if !jsonEqual(sv, v) {
				errs.add(path, "%v is not %v", v, sv)
			}
		case "allOf":
			for _, s := range sv.([]any) {
				d.validate(s.(map[string]any), v, path, errs)
			}
		case "anyOf":
			ok := false
			for _, s := range sv.([]any) {
				var sub schemaErrors
				d.validate(s.(map[string]any), v, path, &sub)
				ok = ok || len(sub) == 0
			}
			if !ok {
				errs.add(path, "matches none of anyOf")
			}
		case "minimum", "maximum":
			f, ok := number(v)
			if !ok {
				continue
			}
			lim, _ := number(sv)
			if k == "minimum" && f < lim || k == "maximum" && f > lim {
				errs.add(path, "%v is beyond the %s %v", v, k, sv)
			}
		case "minLength", "maxLength":
			s, ok := v.(string)
			if !ok {
				continue
			}
			n, _ := number(sv)
			if l := utf8.RuneCountInString(s); k == "minLength" && l < int(n) || k == "maxLength" && l > int(n) {
				errs.add(path, "length %d is beyond the %s %v", l, k, sv)
			}
		case "pattern":
			s, ok := v.(string)
			if !ok {
				continue
			}
			if !regexp.MustCompile(sv.(string)).MatchString(s) {
				errs.add(path, "%q does not match %s", s, sv)
			}
		case "format":
			s, ok := v.(string)
			if !ok {
				continue
			}
			switch sv {
			case "date-time":
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					errs.add(path, "%q is not a date-time", s)
				}
			case "uri":
				if u, err := url.Parse(s); err != nil || !u.IsAbs() {
					errs.add(path, "%q is not an absolute URI", s)
				}
			case "email":
				if strings.Count(s, "@") != 1 {
					errs.add(path, "%q is not an email address", s)
				}
			default:
				errs.add(path, "unknown format %v", sv)
			}
		default:
			errs.add(path, "the validator does not know the keyword %q", k)
		}
	}
}

func (d openAPIDoc) mustValidate(t *testing.T, schema map[string]any, v any, what string) {
	t.Helper()
	var errs schemaErrors
	d.validate(schema, v, "$", &errs)
	for _, e := range errs {
		t.Errorf("%s: %s", what, e)
	}
}

// schemaKeywords are the keywords validate implements or ignores as
// annotations; formats, the formats it checks.
var (
	schemaKeywords = map[string]bool{
		"$ref": true, "type": true, "properties": true, "required": true, "additionalProperties": true,
		"items": true, "maxItems": true, "enum": true, "const": true, "allOf": true, "anyOf": true,
		"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true, "format": true,
		"description": true, "examples": true, "default": true, "title": true,
	}
	schemaFormats = map[string]bool{"date-time": true, "uri": true, "email": true}
)

// checkKeywords finds every schema in v (the values of "schema" keys and
// the component schemas) and fails on a keyword validate would not apply.
func checkKeywords(t *testing.T, v any, where string) {
	t.Helper()
	var schema func(s map[string]any, where string)
	schema = func(s map[string]any, where string) {
		for k, v := range s {
			if !schemaKeywords[k] {
				t.Errorf("%s: schema keyword %q is not checked by these tests", where, k)
			}
			switch k {
			case "properties":
				for name, p := range v.(map[string]any) {
					schema(p.(map[string]any), where+"/properties/"+name)
				}
			case "items":
				schema(v.(map[string]any), where+"/items")
			case "allOf", "anyOf":
				for i, sub := range v.([]any) {
					schema(sub.(map[string]any), fmt.Sprintf("%s/%s/%d", where, k, i))
				}
			case "format":
				if !schemaFormats[v.(string)] {
					t.Errorf("%s: format %q is not checked by these tests", where, v)
				}
			case "additionalProperties":
				switch v := v.(type) {
				case map[string]any:
					schema(v, where+"/additionalProperties")
				default:
					if v != false {
						t.Errorf("%s: only additionalProperties false or a schema is checked by these tests", where)
					}
				}
			case "pattern":
				if _, err := regexp.Compile(v.(string)); err != nil {
					t.Errorf("%s: %v", where, err)
				}
			}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case k == "schema":
				schema(x.(map[string]any), where+"/schema")
			case where == "#/components" && k == "schemas":
				for name, s := range x.(map[string]any) {
					schema(s.(map[string]any), "#/components/schemas/"+name)
				}
			default:
				checkKeywords(t, x, where+"/"+k)
			}
		}
	case []any:
		for i, x := range v {
			checkKeywords(t, x, fmt.Sprintf("%s/%d", where, i))
		}
	}
}

// ---------------------------------------------------------------------------

// TestOpenAPI_Served checks the endpoint: the embedded document, as JSON,
// cacheable, revalidated with its ETag, and docs/openapi.json identical.
func TestOpenAPI_Served(t *testing.T) {
	file, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	docsCopy, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, docsCopy) {
		t.Error("docs/openapi.json differs from internal/httpapi/openapi.json: run go generate ./internal/httpapi/")
	}

	e := newEnv(t, storetest.Engines(t)[0])
	r := e.do("GET", "/openapi.json", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", r.Status, r.Raw)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control %q, want a max-age", cc)
	}
	if !bytes.Equal(r.Raw, file) {
		t.Error("the served document is not openapi.json")
	}
	d := parseDoc(t, r.Raw)
	if d["openapi"] != "3.1.0" {
		t.Errorf("openapi %v, want 3.1.0", d["openapi"])
	}
	info, _ := d["info"].(map[string]any)
	if info["title"] != "Portico" || info["version"] != "v1" {
		t.Errorf("info %v", info)
	}
	if _, ok := d["servers"]; ok {
		t.Error("servers is fixed; the document must stay relative to where it is served")
	}

	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		if r := e.do("GET", "/openapi.json", map[string]string{"If-None-Match": inm}, nil); r.Status != http.StatusNotModified || len(r.Raw) != 0 {
			t.Errorf("If-None-Match %s: %d, %d bytes", inm, r.Status, len(r.Raw))
		}
	}
	if r := e.do("GET", "/openapi.json", map[string]string{"If-None-Match": `"other"`}, nil); r.Status != http.StatusOK || !bytes.Equal(r.Raw, file) {
		t.Errorf("If-None-Match of another version: %d", r.Status)
	}
}

// routePatterns returns the patterns routes.go registers, read from its
// source: every call whose first argument is a string literal.
func routePatterns(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
		return true
	})
	if len(out) < 20 {
		t.Fatalf("found only %d route patterns in routes.go: %v", len(out), out)
	}
	return out
}

// TestOpenAPI_DocumentsEveryRoute: the document and routes.go name the same
// method and path pairs, and every operation is complete.
func TestOpenAPI_DocumentsEveryRoute(t *testing.T) {
	d := readDoc(t)
	routes := map[string]bool{}
	for _, p := range routePatterns(t) {
		method, path, ok := strings.Cut(p, " ")
		if !ok || method != strings.ToUpper(method) || !strings.HasPrefix(path, "/") {
			t.Errorf("route %q has no method: the document could not say which", p)
			continue
		}
		routes[method+" "+path] = true
	}
	documented := map[string]bool{}
	ids := map[string]bool{}
	for _, o := range d.operations() {
		key := o.Method + " " + o.Path
		documented[key] = true
		if !routes[key] {
			t.Errorf("%s is documented but routes.go does not register it", key)
		}
		id, _ := o.Op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or taken", key, id)
		}
		ids[id] = true
		checkOperation(t, d, o)
	}
	for r := range routes {
		if !documented[r] {
			t.Errorf("routes.go registers %s but the document does not describe it", r)
		}
	}
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// checkOperation checks what an operation must say: its path parameters,
// its request body, the error responses every operation of its kind can
// give, and that each error response narrows the envelope to codes of the
// right status.
func checkOperation(t *testing.T, d openAPIDoc, o operation) {
	key := o.Method + " " + o.Path
	declared := map[string]bool{}
	item := d["paths"].(map[string]any)[o.Path].(map[string]any)
	for _, list := range []any{item["parameters"], o.Op["parameters"]} {
		ps, _ := list.([]any)
		for _, p := range ps {
			p := d.deref(t, p.(map[string]any))
			if p["in"] == "path" {
				if p["required"] != true {
					t.Errorf("%s: path parameter %v not required", key, p["name"])
				}
				declared[p["name"].(string)] = true
			}
		}
	}
	for _, m := range pathParam.FindAllStringSubmatch(o.Path, -1) {
		if !declared[m[1]] {
			t.Errorf("%s: path parameter %s not declared", key, m[1])
		}
		delete(declared, m[1])
	}
	if len(declared) > 0 {
		t.Errorf("%s: parameters %v are not in the path", key, declared)
	}

	responses := o.Op["responses"].(map[string]any)
	want := map[string]bool{}
	security, secured := o.Op["security"].([]any)
	public := secured && len(security) == 0
	if !public {
		want["401"], want["429"], want["500"], want["503"] = true, true, true, true
	}
	// An operation an API key calls names the permission it needs, the
	// one the server enforces, and may answer 403.
	need, _ := o.Op["x-portico-permission"].(string)
	if keyed := !secured; keyed {
		want["403"] = true
		if need != httpapi.RoutePermissions[key] {
			t.Errorf("%s: x-portico-permission %q, the server enforces %q", key, need, httpapi.RoutePermissions[key])
		}
	} else if need != "" {
		t.Errorf("%s takes no API key but names permission %q", key, need)
	}
	if rb, ok := o.Op["requestBody"].(map[string]any); ok {
		want["400"], want["413"], want["415"] = true, true, true
		schema := d.deref(t, rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any))
		if schema["additionalProperties"] != false {
			t.Errorf("%s: the request body schema must say additionalProperties: false (unknown fields are refused)", key)
		}
	}
	// A path parameter names something that may not exist, except the
	// last one of a PUT, which creates what it names (create or replace).
	params := pathParam.FindAllString(o.Path, -1)
	if o.Method == "PUT" && strings.HasSuffix(o.Path, "}") {
		params = params[:len(params)-1]
	}
	if len(params) > 0 {
		want["404"] = true
	}
	if ps, _ := o.Op["parameters"].([]any); slices.ContainsFunc(ps, func(p any) bool { return d.deref(t, p.(map[string]any))["name"] == "page_size" }) {
		want["400"] = true
	}
	for code := range want {
		if _, ok := responses[code]; !ok {
			t.Errorf("%s: no %s response", key, code)
		}
	}
	codesOf := map[string][]string{
		"400": {"invalid_request"}, "401": {"unauthenticated", "invalid_api_key", "invalid_token"}, "402": {"quota_exceeded"},
		"403": {"forbidden"}, "404": {"not_found"}, "405": {"method_not_allowed"},
		"409": {"conflict", "session_limit_reached", "connection_required", "approval_required"}, "410": {"gone"}, "413": {"payload_too_large"},
		"415": {"unsupported_media_type"}, "422": {"validation_failed"}, "429": {"rate_limited"}, "500": {"internal"}, "503": {"unavailable"},
		"502": {"upstream_unreachable"}, "504": {"upstream_timeout"},
	}
	for code, r := range responses {
		r := d.deref(t, r.(map[string]any))
		if _, ok := r["headers"].(map[string]any)["X-Request-Id"]; !ok {
			t.Errorf("%s %s: X-Request-Id not documented", key, code)
		}
		if code[0] != '4' && code[0] != '5' {
			continue
		}
		schema := r["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
		for _, c := range errorCodes(t, d, schema) {
			if !slices.Contains(codesOf[code], c) {
				t.Errorf("%s %s: code %s has another status", key, code, c)
			}
		}
	}
}

// errorCodes returns the codes an error response schema allows: its
// narrowing of error.code.
func errorCodes(t *testing.T, d openAPIDoc, schema map[string]any) []string {
	t.Helper()
	all, _ := schema["allOf"].([]any)
	if len(all) != 2 || all[0].(map[string]any)["$ref"] != "#/components/schemas/ErrorBody" {
		t.Fatalf("an error response must be allOf [ErrorBody, narrowing of error.code]: %v", schema)
	}
	code := all[1].(map[string]any)["properties"].(map[string]any)["error"].(map[string]any)["properties"].(map[string]any)["code"].(map[string]any)
	var out []string
	if c, ok := code["const"].(string); ok {
		out = append(out, c)
	}
	for _, c := range asSlice(code["enum"]) {
		out = append(out, c.(string))
	}
	if len(out) == 0 {
		t.Fatalf("error.code is not narrowed: %v", code)
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// ---------------------------------------------------------------------------
// The schemas and the api types.

// flatSchema is a schema with its $ref and allOf folded in. A property
// that several branches describe is the allOf of their descriptions. A
// nullable reference, anyOf [schema, {"type": "null"}], is that schema with
// null among its types; any other anyOf only constrains values and is left
// out.
type flatSchema struct {
	props    map[string]map[string]any
	required map[string]bool
	types    map[string]bool
	closed   bool // additionalProperties: false
	ref      string
	items    map[string]any
}

func (d openAPIDoc) flatten(t *testing.T, s map[string]any) flatSchema {
	t.Helper()
	f := flatSchema{props: map[string]map[string]any{}, required: map[string]bool{}, types: map[string]bool{}}
	parts := map[string][]any{}
	var walk func(s map[string]any)
	walk = func(s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			if f.ref == "" {
				f.ref = ref
			}
			target, err := d.lookup(ref)
			if err != nil {
				t.Fatal(err)
			}
			walk(target)
		}
		for _, sub := range asSlice(s["allOf"]) {
			walk(sub.(map[string]any))
		}
		if alts := asSlice(s["anyOf"]); len(alts) == 2 && jsonEqual(alts[1], map[string]any{"type": "null"}) {
			walk(alts[0].(map[string]any))
			f.types["null"] = true
		}
		props, _ := s["properties"].(map[string]any)
		for name, p := range props {
			parts[name] = append(parts[name], p)
		}
		for _, r := range asSlice(s["required"]) {
			f.required[r.(string)] = true
		}
		switch ty := s["type"].(type) {
		case string:
			f.types[ty] = true
		case []any:
			for _, x := range ty {
				f.types[x.(string)] = true
			}
		}
		if s["additionalProperties"] == false {
			f.closed = true
		}
		if items, ok := s["items"].(map[string]any); ok && f.items == nil {
			f.items = items
		}
	}
	walk(s)
	for name, ps := range parts {
		if len(ps) == 1 {
			f.props[name] = ps[0].(map[string]any)
		} else {
			f.props[name] = map[string]any{"allOf": ps}
		}
	}
	return f
}

var (
	timeType     = reflect.TypeFor[api.Time]()
	rawType      = reflect.TypeFor[json.RawMessage]()
	nullableName = regexp.MustCompile(`^Nullable\[`)
)

// goJSONType is the JSON type a Go type marshals to ("" for any), and
// whether it may be null.
func goJSONType(t reflect.Type) (typ string, null bool) {
	if t.Kind() == reflect.Struct && nullableName.MatchString(t.Name()) {
		f, _ := t.FieldByName("Value")
		typ, _ = goJSONType(f.Type.Elem())
		return typ, true
	}
	if t.Kind() == reflect.Pointer {
		typ, _ = goJSONType(t.Elem())
		return typ, true
	}
	switch {
	case t == timeType:
		return "string", false
	case t == rawType:
		return "", false
	}
	switch t.Kind() {
	case reflect.String:
		return "string", false
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "integer", false
	case reflect.Bool:
		return "boolean", false
	case reflect.Slice, reflect.Array:
		return "array", false
	case reflect.Struct, reflect.Map:
		return "object", false
	}
	return "", false
}

// optionalInRequest are the fields of api types shared by requests and
// responses that the Go client always sends but the server does not
// require: absent, they take their zero value or a default (a field's label
// defaults to its name, an action's input_schema to an empty object). A
// request schema may leave them out of required; no other field may differ.
var optionalInRequest = map[string]bool{
	"Field.label": true, "Field.secret": true, "Field.optional": true,
	"Action.description": true, "Action.input_schema": true,
}

// rawShapes says what the json.RawMessage fields of the api types hold.
var rawShapes = map[string]reflect.Type{
	"Session.settings": reflect.TypeFor[api.SessionSettings](),
	"Session.theme":    reflect.TypeFor[api.Theme](),
}

// anyJSON are the raw JSON fields that hold any JSON value (a proxied
// body), or one of several types (an OpenAPI document as an object or as
// text), so their schemas name no single type.
var anyJSON = map[string]bool{"PerformRawRequest.body": true, "PerformResponse.body": true, "PreparedRequest.body": true, "OpenAPIImport.document": true}

// checkShape compares a schema with a Go type, field by field and
// recursively: the same property names, required exactly when the field is
// always sent (no omitempty), nullable exactly when it is a Nullable or a
// pointer that is always sent, and the same JSON type. Request schemas
// must be closed. namesOnly is for raw JSON whose Go type is only a guide.
func checkShape(t *testing.T, d openAPIDoc, where string, s map[string]any, typ reflect.Type, request, namesOnly bool) {
	t.Helper()
	f := d.flatten(t, s)
	if typ.Kind() != reflect.Struct {
		t.Fatalf("%s: %v is not a struct", where, typ)
	}
	if request && !f.closed {
		t.Errorf("%s: a request schema must say additionalProperties: false", where)
	}
	fields := map[string]bool{}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields[name] = true
		at := where + "." + name
		ps, ok := f.props[name]
		if !ok {
			t.Errorf("%s: %s.%s is not documented", at, typ.Name(), sf.Name)
			continue
		}
		omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if namesOnly {
			continue
		}
		if f.required[name] == omitted && !(request && !omitted && optionalInRequest[typ.Name()+"."+name]) {
			t.Errorf("%s: required is %v but the field is sent %s", at, f.required[name], map[bool]string{true: "only when set", false: "always"}[omitted])
		}
		pf := d.flatten(t, ps)
		jt, null := goJSONType(sf.Type)
		isNullable := sf.Type.Kind() == reflect.Struct && nullableName.MatchString(sf.Type.Name())
		wantNull := isNullable || null && !omitted
		if pf.types["null"] != wantNull {
			t.Errorf("%s: nullable is %v, want %v (%v)", at, pf.types["null"], wantNull, sf.Type)
		}
		if jt != "" && !pf.types[jt] {
			t.Errorf("%s: type %v, want %s (%v)", at, keys(pf.types), jt, sf.Type)
		}
		if jt == "" && len(pf.types) != 1 && !anyJSON[typ.Name()+"."+name] {
			t.Errorf("%s: raw JSON must still document its type", at)
		}
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == timeType:
			if pf.ref != "#/components/schemas/Timestamp" {
				t.Errorf("%s: a timestamp must be a Timestamp", at)
			}
		case ft == rawType:
			if shape, ok := rawShapes[typ.Name()+"."+name]; ok {
				checkShape(t, d, at, ps, shape, false, true)
			}
		case ft.Kind() == reflect.Struct && !nullableName.MatchString(ft.Name()):
			checkShape(t, d, at, ps, ft, request, false)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			if pf.items == nil {
				t.Errorf("%s: an array without items", at)
				continue
			}
			checkShape(t, d, at+"[]", pf.items, ft.Elem(), request, false)
		}
	}
	for name := range f.props {
		if !fields[name] {
			t.Errorf("%s: %q is documented but %v has no such field", where, name, typ)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// jsonSchemaOf returns the application/json schema of a request body or
// response object.
func jsonSchemaOf(t *testing.T, d openAPIDoc, o map[string]any) map[string]any {
	t.Helper()
	o = d.deref(t, o)
	c, ok := o["content"].(map[string]any)["application/json"].(map[string]any)
	if !ok {
		t.Fatalf("no application/json content: %v", o)
	}
	return c["schema"].(map[string]any)
}

// TestOpenAPI_SchemasMatchAPITypes: each operation's request and response
// schemas have the shape of the api type the handler reads or writes.
func TestOpenAPI_SchemasMatchAPITypes(t *testing.T) {
	d := readDoc(t)
	responses := map[string]reflect.Type{
		"getApp 200":                 reflect.TypeFor[api.App](),
		"updateApp 200":              reflect.TypeFor[api.App](),
		"createUser 200":             reflect.TypeFor[api.User](),
		"createUser 201":             reflect.TypeFor[api.User](),
		"listUsers 200":              reflect.TypeFor[api.List[api.User]](),
		"getUser 200":                reflect.TypeFor[api.User](),
		"updateUser 200":             reflect.TypeFor[api.User](),
		"revokeUserSessions 200":     reflect.TypeFor[api.Revoked](),
		"createAccount 201":          reflect.TypeFor[api.Account](),
		"listAccounts 200":           reflect.TypeFor[api.List[api.Account]](),
		"getAccount 200":             reflect.TypeFor[api.Account](),
		"updateAccount 200":          reflect.TypeFor[api.Account](),
		"createSession 201":          reflect.TypeFor[api.SessionCreated](),
		"listSessions 200":           reflect.TypeFor[api.List[api.Session]](),
		"getSession 200":             reflect.TypeFor[api.Session](),
		"extendSession 200":          reflect.TypeFor[api.Session](),
		"createConfigurationURL 201": reflect.TypeFor[api.ConfigurationURL](),
		"refreshTokens 200":          reflect.TypeFor[api.TokenRefreshed](),
		"confirmVerification 200":    reflect.TypeFor[api.VerificationConfirmed](),
		"getMe 200":                  reflect.TypeFor[api.Me](),
		"putIntegration 200":         reflect.TypeFor[api.Integration](),
		"putIntegration 201":         reflect.TypeFor[api.Integration](),
		"listIntegrations 200":       reflect.TypeFor[api.List[api.Integration]](),
		"listCatalog 200":            reflect.TypeFor[api.List[api.CatalogTemplate]](),
		"getIntegration 200":         reflect.TypeFor[api.Integration](),
		"listConnections 200":        reflect.TypeFor[api.List[api.Connection]](),
		"getConnection 200":          reflect.TypeFor[api.Connection](),
		"importConnection 200":       reflect.TypeFor[api.Connection](),
		"importConnection 201":       reflect.TypeFor[api.Connection](),
		"listMyConnections 200":      reflect.TypeFor[api.List[api.Connection]](),
		"revokeMyConnection 200":     reflect.TypeFor[api.Connection](),
		"perform 200":                reflect.TypeFor[api.PerformResult](),
		"listActivity 200":           reflect.TypeFor[api.List[api.Activity]](),
		"listMyActivity 200":         reflect.TypeFor[api.List[api.Activity]](),
	}
	// Responses that are bare arrays, by the type of their items.
	arrays := map[string]reflect.Type{"listTools 200": reflect.TypeFor[api.Tool]()}
	requests := map[string]reflect.Type{
		"updateApp":              reflect.TypeFor[api.AppUpdate](),
		"createUser":             reflect.TypeFor[api.UserCreate](),
		"updateUser":             reflect.TypeFor[api.UserUpdate](),
		"createAccount":          reflect.TypeFor[api.AccountCreate](),
		"updateAccount":          reflect.TypeFor[api.AccountUpdate](),
		"createSession":          reflect.TypeFor[api.SessionCreate](),
		"extendSession":          reflect.TypeFor[api.SessionExtend](),
		"refreshTokens":          reflect.TypeFor[api.TokenRefresh](),
		"confirmVerification":    reflect.TypeFor[api.VerificationConfirm](),
		"createConfigurationURL": reflect.TypeFor[struct{}](),
		"putIntegration":         reflect.TypeFor[api.IntegrationPut](),
		"importConnection":       reflect.TypeFor[api.ConnectionImport](),
		"perform":                reflect.TypeFor[api.PerformRequest](),
	}
	// The operational endpoints answer small fixed bodies, not api types.
	untyped := map[string]bool{"getHealth 200": true, "getReadiness 200": true, "getOpenAPI 200": true}
	seen := map[string]bool{}
	for _, o := range d.operations() {
		id := o.Op["operationId"].(string)
		if rb, ok := o.Op["requestBody"].(map[string]any); ok {
			typ, ok := requests[id]
			if !ok {
				t.Errorf("%s: its request body has no api type to check against", id)
			} else {
				checkShape(t, d, id+" request", jsonSchemaOf(t, d, rb), typ, true, false)
			}
			seen[id] = true
		}
		for code, r := range o.Op["responses"].(map[string]any) {
			key := id + " " + code
			content, _ := d.deref(t, r.(map[string]any))["content"].(map[string]any)
			if _, ok := content["application/json"]; !ok {
				continue
			}
			schema := jsonSchemaOf(t, d, r.(map[string]any))
			switch {
			case code[0] == '4' || code[0] == '5':
				checkShape(t, d, key, schema, reflect.TypeFor[api.ErrorBody](), false, false)
				continue
			case untyped[key]:
				continue
			case arrays[key] != nil:
				checkShape(t, d, key+"[]", d.flatten(t, schema).items, arrays[key], false, false)
				seen[key] = true
				continue
			}
			typ, ok := responses[key]
			if !ok {
				t.Errorf("%s: its response has no api type to check against", key)
				continue
			}
			checkShape(t, d, key, schema, typ, false, false)
			seen[key] = true
		}
	}
	for k := range responses {
		if !seen[k] {
			t.Errorf("%s is not documented", k)
		}
	}
	for k := range requests {
		if !seen[k] {
			t.Errorf("the request body of %s is not documented", k)
		}
	}
	// The named component schemas of the main resources, directly.
	for name, typ := range map[string]reflect.Type{
		"App": reflect.TypeFor[api.App](), "User": reflect.TypeFor[api.User](), "Account": reflect.TypeFor[api.Account](),
		"Session": reflect.TypeFor[api.Session](), "SessionCreated": reflect.TypeFor[api.SessionCreated](),
		"UserList": reflect.TypeFor[api.List[api.User]](), "AccountList": reflect.TypeFor[api.List[api.Account]](),
		"SessionList": reflect.TypeFor[api.List[api.Session]](), "Me": reflect.TypeFor[api.Me](),
		"ErrorBody": reflect.TypeFor[api.ErrorBody](), "Error": reflect.TypeFor[api.Error](),
		"Integration": reflect.TypeFor[api.Integration](), "IntegrationList": reflect.TypeFor[api.List[api.Integration]](),
		"Connection": reflect.TypeFor[api.Connection](), "ConnectionList": reflect.TypeFor[api.List[api.Connection]](),
	} {
		checkShape(t, d, name, map[string]any{"$ref": "#/components/schemas/" + name}, typ, false, false)
	}
	for name, typ := range map[string]reflect.Type{
		"IntegrationPut": reflect.TypeFor[api.IntegrationPut](), "ConnectionImport": reflect.TypeFor[api.ConnectionImport](),
	} {
		checkShape(t, d, name, map[string]any{"$ref": "#/components/schemas/" + name}, typ, true, false)
	}
}

// TestOpenAPI_EnumsMatchDomain: the enumerations the document gives are the
// values the service accepts.
func TestOpenAPI_EnumsMatchDomain(t *testing.T) {
	d := readDoc(t)
	enum := func(ref string) []string {
		t.Helper()
		s, err := d.lookup(ref)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range asSlice(s["enum"]) {
			out = append(out, v.(string))
		}
		return out
	}
	for ref, want := range map[string][]string{
		"#/components/schemas/IntegrationPut/properties/template": portico.TemplateSlugs(),
		"#/components/schemas/AuthType":                           portico.AuthTypes,
		"#/components/schemas/ConnectionStatus":                   portico.ConnectionStatuses,
		"#/components/schemas/APIKeyPermission":                   portico.Permissions,
		"#/components/schemas/Action/properties/method":           {"GET", "POST", "PUT", "PATCH", "DELETE"},
	} {
		got := enum(ref)
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("%s enumerates %v; the service has %v", ref, got, want)
		}
	}
}

// TestOpenAPI_ExamplesValidate: every example in the document is valid
// against the schema it illustrates.
func TestOpenAPI_ExamplesValidate(t *testing.T) {
	d := readDoc(t)
	n := 0
	check := func(where string, schema map[string]any, media map[string]any) {
		if ex, ok := media["example"]; ok {
			d.mustValidate(t, schema, ex, where+" example")
			n++
		}
		exs, _ := media["examples"].(map[string]any)
		for name, ex := range exs {
			if _, isList := ex.([]any); isList {
				continue
			}
			d.mustValidate(t, schema, d.deref(t, ex.(map[string]any))["value"], where+" example "+name)
			n++
		}
	}
	for name, s := range d["components"].(map[string]any)["schemas"].(map[string]any) {
		for i, ex := range asSlice(s.(map[string]any)["examples"]) {
			d.mustValidate(t, s.(map[string]any), ex, fmt.Sprintf("schema %s example %d", name, i))
			n++
		}
	}
	checkKeywords(t, map[string]any(d), "#")
	for _, o := range d.operations() {
		where := o.Method + " " + o.Path
		var params []any
		params = append(params, asSlice(d["paths"].(map[string]any)[o.Path].(map[string]any)["parameters"])...)
		params = append(params, asSlice(o.Op["parameters"])...)
		for _, p := range params {
			p := d.deref(t, p.(map[string]any))
			check(where+" parameter "+p["name"].(string), p["schema"].(map[string]any), p)
		}
		if rb, ok := o.Op["requestBody"].(map[string]any); ok {
			for ct, m := range rb["content"].(map[string]any) {
				check(where+" request "+ct, m.(map[string]any)["schema"].(map[string]any), m.(map[string]any))
			}
		}
		for code, r := range o.Op["responses"].(map[string]any) {
			content, _ := d.deref(t, r.(map[string]any))["content"].(map[string]any)
			for ct, m := range content {
				check(where+" "+code+" "+ct, m.(map[string]any)["schema"].(map[string]any), m.(map[string]any))
			}
		}
	}
	if n < 25 {
		t.Errorf("only %d examples checked", n)
	}
}

// ---------------------------------------------------------------------------
// The running server against the document.

// liveChecker validates real exchanges against the document.
type liveChecker struct {
	t    *testing.T
	d    openAPIDoc
	e    *env
	hits map[string]bool // "operationId status"
}

// route finds the documented operation of a concrete request.
func (c *liveChecker) route(method, path string) (string, map[string]any) {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	for _, o := range c.d.operations() {
		if o.Method != method {
			continue
		}
		tsegs := strings.Split(o.Path, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		ok := true
		for i := range tsegs {
			if tsegs[i] != segs[i] && !pathParam.MatchString(tsegs[i]) {
				ok = false
				break
			}
		}
		if ok {
			return o.Path, o.Op
		}
	}
	return "", nil
}

// call sends a request the document says is valid (the body is checked
// against the request schema) and checks the answer.
func (c *liveChecker) call(method, path string, headers map[string]string, body any) response {
	c.t.Helper()
	if body != nil {
		_, op := c.route(method, path)
		if op == nil {
			c.t.Fatalf("%s %s is not documented", method, path)
		}
		raw, _ := json.Marshal(body)
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			c.t.Fatal(err)
		}
		c.d.mustValidate(c.t, jsonSchemaOf(c.t, c.d, op["requestBody"].(map[string]any)), v, method+" "+path+" request")
	}
	return c.send(method, path, headers, body)
}

// send sends any request and checks that the answer is documented.
func (c *liveChecker) send(method, path string, headers map[string]string, body any) response {
	c.t.Helper()
	r := c.e.do(method, path, headers, body)
	c.check(method, path, r)
	return r
}

func (c *liveChecker) check(method, path string, r response) {
	c.t.Helper()
	t := c.t
	what := fmt.Sprintf("%s %s → %d", method, path, r.Status)
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
	tmpl, op := c.route(method, path)
	var doc map[string]any
	if op == nil {
		if r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
			t.Fatalf("%s: not documented", what)
		}
		// Answered by the router itself: the documented envelopes.
		name := map[int]string{404: "NotFound", 405: "MethodNotAllowed"}[r.Status]
		doc, _ = c.d.lookup("#/components/responses/" + name)
		if r.Status == http.StatusMethodNotAllowed && r.Header.Get("Allow") == "" {
			t.Errorf("%s: no Allow", what)
		}
	} else {
		res, ok := op["responses"].(map[string]any)[strconv.Itoa(r.Status)]
		if !ok {
			t.Errorf("%s (%s %s): status not documented: %s", what, method, tmpl, r.Raw)
			return
		}
		doc = c.d.deref(t, res.(map[string]any))
		c.hits[op["operationId"].(string)+" "+strconv.Itoa(r.Status)] = true
	}
	content, _ := doc["content"].(map[string]any)
	ct := r.Header.Get("Content-Type")
	switch {
	case content == nil:
		if len(r.Raw) != 0 {
			t.Errorf("%s: a body where none is documented: %s", what, r.Raw)
		}
	case content["application/json"] != nil:
		if !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q", what, ct)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(r.Raw))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		c.d.mustValidate(t, content["application/json"].(map[string]any)["schema"].(map[string]any), v, what)
	case content["text/plain"] != nil:
		if !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: Content-Type %q", what, ct)
		}
	}
	headers, _ := doc["headers"].(map[string]any)
	for name, h := range headers {
		h := h.(map[string]any)
		got := r.Header.Get(name)
		switch h["$ref"] {
		case "#/components/headers/Cache-Control-No-Store":
			if got != "no-store" {
				t.Errorf("%s: Cache-Control %q, want no-store", what, got)
			}
		case "#/components/headers/Retry-After":
			if n, err := strconv.Atoi(got); err != nil || n < 1 {
				t.Errorf("%s: Retry-After %q", what, got)
			}
		case "#/components/headers/WWW-Authenticate":
			if (got != "") != (r.code() == "unauthenticated") {
				t.Errorf("%s: WWW-Authenticate %q with code %s", what, got, r.code())
			}
		}
	}
}

// TestOpenAPI_LiveAnswersMatch drives every operation through the running
// server, with the document's own request examples where it has them, and
// validates each answer against the documented status, schema and headers.
func TestOpenAPI_LiveAnswersMatch(t *testing.T) {
	engines(t, func(t *testing.T, eng storetest.Engine) {
		d := readDoc(t)
		e := newEnv(t, eng, withUpstream)
		c := &liveChecker{t: t, d: d, e: e, hits: map[string]bool{}}
		appID, key := e.newApp("acme")
		k := auth(key)
		example := func(opID, name string) any {
			rb := d.operation(t, opID)["requestBody"].(map[string]any)
			m := rb["content"].(map[string]any)["application/json"].(map[string]any)
			if name == "" {
				return m["example"]
			}
			return d.deref(t, m["examples"].(map[string]any)[name].(map[string]any))["value"]
		}
		str := func(r response, path ...string) string {
			var cur any = r.Body
			for _, p := range path {
				cur = cur.(map[string]any)[p]
			}
			s, _ := cur.(string)
			return s
		}

		c.send("GET", "/healthz", nil, nil)
		c.send("GET", "/readyz", nil, nil)
		c.send("GET", "/metrics", nil, nil)
		r := c.send("GET", "/openapi.json", nil, nil)
		c.send("GET", "/openapi.json", map[string]string{"If-None-Match": r.Header.Get("ETag")}, nil)

		// App.
		c.send("GET", "/v1/app", nil, nil)
		c.send("GET", "/v1/app", auth("pk_nope"), nil)
		c.send("GET", "/v1/app", map[string]string{"X-API-Key": key}, nil)
		c.call("PATCH", "/v1/app", k, example("updateApp", "settings"))
		if r := c.call("PATCH", "/v1/app", k, example("updateApp", "webhook")); str(r, "webhook_secret") == "" {
			t.Errorf("setting webhook_url returned no secret: %s", r.Raw)
		}
		c.call("PATCH", "/v1/app", k, example("updateApp", "unlimited"))
		c.send("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"session_ttl_seconds": "long"}})
		c.send("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"session_ttl_seconds": 0}})
		c.send("PATCH", "/v1/app", map[string]string{"Authorization": "Bearer " + key, "Content-Type": "text/plain"}, `{}`)
		c.send("PATCH", "/v1/app", k, `{"name":"`+strings.Repeat("a", httpapi.MaxBodyBytes)+`"}`)
		c.send("PUT", "/v1/app", k, map[string]any{})
		c.call("GET", "/v1/app", k, nil)

		// Restricted keys.
		restricted := map[string]map[string]string{}
		for _, p := range []string{portico.PermissionPerform, portico.PermissionSessions} {
			_, raw, err := e.Svc.CreateAPIKey(context.Background(), appID, []string{p})
			if err != nil {
				t.Fatal(err)
			}
			e.secret(raw)
			restricted[p] = auth(raw)
		}
		c.send("GET", "/v1/app", restricted[portico.PermissionPerform], nil)
		c.send("POST", "/v1/sessions", restricted[portico.PermissionPerform], map[string]any{})
		c.send("GET", "/v1/tools?user_id=usr_nope", restricted[portico.PermissionSessions], nil)

		// Accounts.
		c.call("POST", "/v1/accounts", k, example("createAccount", "chosen_id"))
		c.call("POST", "/v1/accounts", k, example("createAccount", "generated_id"))
		c.send("POST", "/v1/accounts", k, example("createAccount", "chosen_id"))
		c.send("POST", "/v1/accounts", k, map[string]any{"id": "no spaces", "name": "x"})
		r = c.call("GET", "/v1/accounts?page_size=1", k, nil)
		c.call("GET", "/v1/accounts?page_token="+url.QueryEscape(str(r, "next_page_token")), k, nil)
		c.send("GET", "/v1/accounts?page_token=forged", k, nil)
		c.call("GET", "/v1/accounts/acme-corp", k, nil)
		c.call("PATCH", "/v1/accounts/acme-corp", k, example("updateAccount", ""))
		c.send("GET", "/v1/accounts/nope", k, nil)
		c.call("POST", "/v1/accounts", k, map[string]any{"id": "acme-labs", "name": "Acme Labs"})

		// Users.
		r = c.call("POST", "/v1/users", k, example("createUser", "external_id"))
		userID := str(r, "id")
		c.call("POST", "/v1/users", k, example("createUser", "external_id"))
		c.call("POST", "/v1/users", k, example("createUser", "email"))
		c.send("POST", "/v1/users", k, map[string]any{"email": "not an address"})
		c.send("POST", "/v1/users", k, map[string]any{"external_id": "u-1", "unknown": true})
		r = c.call("GET", "/v1/users?page_size=1", k, nil)
		c.call("GET", "/v1/users?page_size=1&page_token="+url.QueryEscape(str(r, "next_page_token")), k, nil)
		c.call("GET", "/v1/users?external_id=u-42&email=ANN@example.com&account_id=acme-corp", k, nil)
		c.send("GET", "/v1/users?page_size=101", k, nil)
		c.call("GET", "/v1/users/"+userID, k, nil)
		c.call("PATCH", "/v1/users/"+userID, k, example("updateUser", ""))
		c.call("POST", "/v1/users", k, map[string]any{"external_id": "u-7"})
		c.send("PATCH", "/v1/users/"+userID, k, map[string]any{"external_id": "u-7"})
		c.send("GET", "/v1/users/usr_nope", k, nil)
		c.send("GET", "/v1/users/u-42", k, nil)
		c.send("POST", "/v1/users", k, map[string]any{"nmae": "typo"})
		c.send("POST", "/v1/users", k, map[string]any{"email": "ann@example.com"}) // u-42 holds it
		c.send("GET", "/v1/app", map[string]string{"Authorization": key}, nil)
		c.send("GET", "/v1/app", auth("pst_"+strings.Repeat("a", 43)), nil)

		// Sessions.
		c.call("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"allowed_redirect_uris": []string{"https://app.example.com/settings"}}})
		r = c.call("POST", "/v1/sessions", k, example("createSession", "full"))
		sessID, refresh := str(r, "session", "id"), str(r, "refresh_token")
		r = c.call("POST", "/v1/sessions", k, example("createSession", "minimal"))
		minimalID := str(r, "session", "id")
		c.send("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"external_id": "u-42"}, "ttl_seconds": 0})
		c.send("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"external_id": "u-42"}, "redirect_uri": "https://evil.example.com/"})
		r = c.call("GET", "/v1/sessions?page_size=1&external_user_id=u-42", k, nil)
		c.call("GET", "/v1/sessions?page_size=1&external_user_id=u-42&page_token="+url.QueryEscape(str(r, "next_page_token")), k, nil)
		c.call("GET", "/v1/sessions?user_id="+userID, k, nil)
		c.call("GET", "/v1/sessions/"+sessID, k, nil)
		c.call("POST", "/v1/sessions/"+sessID+"/extend", k, example("extendSession", ""))
		c.send("POST", "/v1/sessions/"+sessID+"/extend", k, map[string]any{"ttl_seconds": 365 * 24 * 3600})
		c.send("POST", "/v1/sessions/"+sessID+"/extend", k, map[string]any{})
		c.call("POST", "/v1/sessions/"+sessID+"/configuration_url", k, nil)
		c.call("POST", "/v1/sessions/"+sessID+"/configuration_url", k, example("createConfigurationURL", ""))
		c.send("POST", "/v1/sessions/"+sessID+"/configuration_url", k, map[string]any{"x": 1})
		// User verification: flows as the hosted page starts them.
		c.call("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"user_verification_url": "https://app.example.com/verify"}})
		flow := func() string {
			t.Helper()
			app, _, err := e.Svc.AuthenticateAPIKey(context.Background(), key)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := e.DB.FindSessionByID(context.Background(), app.ID, sessID)
			if err != nil {
				t.Fatal(err)
			}
			to, err := e.Svc.StartVerification(context.Background(), app, sess, "")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(to)
			return u.Query().Get("flow")
		}
		f := flow()
		c.call("POST", "/v1/verifications/"+f+"/confirm", k, example("confirmVerification", ""))
		c.send("POST", "/v1/verifications/"+f+"/confirm", k, example("confirmVerification", ""))
		c.send("POST", "/v1/verifications/"+flow()+"/confirm", k, map[string]any{"user": map[string]any{"external_id": "someone-else"}})
		c.send("POST", "/v1/verifications/"+flow()+"/confirm", k, map[string]any{"user": map[string]any{}})
		c.send("POST", "/v1/verifications/vfl_nope/confirm", k, example("confirmVerification", ""))
		c.call("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"user_verification_url": nil}})
		r = c.call("POST", "/v1/tokens/refresh", k, map[string]any{"refresh_token": refresh})
		c.call("GET", "/v1/me", map[string]string{"Authorization": "Bearer " + str(r, "token")}, nil)
		c.send("POST", "/v1/tokens/refresh", k, map[string]any{"refresh_token": refresh}) // reuse: revokes
		c.send("POST", "/v1/tokens/refresh", k, map[string]any{})
		c.send("GET", "/v1/me", nil, nil)
		c.send("GET", "/v1/me", k, nil)
		c.send("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"email": "ann@example.com"}})
		c.send("POST", "/v1/sessions", k, map[string]any{"external_id": "u-42"})
		r = c.call("POST", "/v1/sessions", k, example("createSession", "minimal"))
		c.call("GET", "/v1/me", map[string]string{"Authorization": "Bearer " + str(r, "token")}, nil)
		c.call("DELETE", "/v1/sessions/"+minimalID, k, nil)
		c.send("DELETE", "/v1/sessions/"+minimalID, k, nil)
		c.send("POST", "/v1/sessions/"+minimalID+"/extend", k, map[string]any{"ttl_seconds": 60})
		c.call("DELETE", "/v1/users/"+userID+"/sessions", k, nil)
		c.send("DELETE", "/v1/users/usr_nope/sessions", k, nil)
		r = c.call("POST", "/v1/sessions", k, example("createSession", "minimal"))
		lastID := str(r, "session", "id")
		e.Clock.Advance(2 * time.Hour)
		c.send("POST", "/v1/sessions/"+lastID+"/configuration_url", k, nil)
		c.send("POST", "/v1/sessions/"+lastID+"/extend", k, map[string]any{"ttl_seconds": 60})

		// Integrations and connections, in an app of their own so that the
		// limits below still count only the first app's users and sessions.
		_, toolsKey := e.newApp("tools")
		tk := auth(toolsKey)
		exampleMap := func(opID, name string, path ...string) map[string]any {
			m := example(opID, name).(map[string]any)
			for _, p := range path {
				m = m[p].(map[string]any)
			}
			return m
		}
		e.secret(exampleMap("putIntegration", "template", "auth", "oauth2")["client_secret"].(string))
		for _, name := range []string{"api_key", "oauth2", "basic"} {
			for k, v := range exampleMap("importConnection", name, "credentials") {
				if k == "api_key" || k == "access_token" || k == "refresh_token" || k == "password" {
					e.secret(v.(string))
				}
			}
		}
		c.call("POST", "/v1/accounts", tk, map[string]any{"id": "vip", "name": "VIP"})
		c.call("PUT", "/v1/integrations/github", tk, example("putIntegration", "template"))
		if r := c.call("PUT", "/v1/integrations/github", tk, example("putIntegration", "template")); r.Status != http.StatusOK ||
			str(r, "auth", "oauth2", "client_secret") != "********" {
			t.Errorf("replacing an integration: %d %s", r.Status, r.Raw)
		}
		c.call("PUT", "/v1/integrations/jira", tk, example("putIntegration", "template_with_site"))
		c.call("PUT", "/v1/integrations/acme-crm", tk, example("putIntegration", "api_key"))
		c.call("PUT", "/v1/integrations/vip-stripe", tk, map[string]any{"template": "stripe", "account_ids": []string{"vip"}})
		c.send("PUT", "/v1/integrations/myspace", tk, map[string]any{"template": "myspace"})
		c.send("PUT", "/v1/integrations/Not-A-Slug", tk, map[string]any{"template": "stripe"})
		c.send("PUT", "/v1/integrations/x", tk, map[string]any{"name": "X", "base_url": "http://10.0.0.1", "auth": map[string]any{"type": "none"}})
		c.send("PUT", "/v1/integrations/x", tk, map[string]any{"template": "stripe", "secret": "x"})
		c.send("PATCH", "/v1/integrations/github", tk, map[string]any{})
		r = c.call("GET", "/v1/integrations?page_size=2", tk, nil)
		c.call("GET", "/v1/integrations?page_size=2&page_token="+url.QueryEscape(str(r, "next_page_token")), tk, nil)
		c.send("GET", "/v1/integrations?page_token=forged", tk, nil)
		r = c.call("GET", "/v1/catalog?page_size=2", tk, nil)
		c.call("GET", "/v1/catalog?page_size=2&page_token="+url.QueryEscape(str(r, "next_page_token")), tk, nil)
		c.call("GET", "/v1/catalog?category=crm", tk, nil)
		c.send("GET", "/v1/catalog?page_token=forged", tk, nil)
		c.send("GET", "/v1/catalog", nil, nil)
		c.call("GET", "/v1/integrations/github", tk, nil)
		c.send("GET", "/v1/integrations/github", k, nil) // another app's
		c.send("GET", "/v1/integrations/nope", tk, nil)

		r = c.call("POST", "/v1/users", tk, map[string]any{"external_id": "u-42"})
		toolsUser := str(r, "id")
		conns := "/v1/users/" + toolsUser + "/connections/"
		ghConn := str(c.call("PUT", conns+"github", tk, example("importConnection", "oauth2")), "id")
		c.call("PUT", conns+"github", tk, example("importConnection", "oauth2"))
		jiraConn := str(c.call("PUT", conns+"jira", tk, example("importConnection", "basic")), "id")
		crmConn := str(c.call("PUT", conns+"acme-crm", tk, example("importConnection", "api_key")), "id")
		c.send("PUT", conns+"vip-stripe", tk, map[string]any{"credentials": map[string]any{"api_key": "sk_test_not_a_member"}})
		c.send("PUT", conns+"acme-crm", tk, map[string]any{"credentials": map[string]any{}})
		c.send("PUT", conns+"acme-crm", tk, map[string]any{})
		c.send("PUT", conns+"acme-crm", map[string]string{"Authorization": "Bearer " + toolsKey, "Content-Type": "text/plain"}, `{"credentials":{}}`)
		c.send("PUT", conns+"nope", tk, map[string]any{"credentials": map[string]any{}})
		c.send("PUT", "/v1/users/"+userID+"/connections/github", tk, map[string]any{"credentials": map[string]any{"access_token": "x"}}) // another app's user
		r = c.call("GET", "/v1/connections?page_size=1", tk, nil)
		c.call("GET", "/v1/connections?page_size=1&page_token="+url.QueryEscape(str(r, "next_page_token")), tk, nil)
		c.call("GET", "/v1/connections?user_id="+toolsUser+"&integration=github&status=connected", tk, nil)
		c.send("GET", "/v1/connections?status=deleted", tk, nil)
		c.call("GET", "/v1/connections/"+ghConn, tk, nil)
		c.send("GET", "/v1/connections/"+ghConn, k, nil) // another app's
		c.send("GET", "/v1/connections/con_nope", tk, nil)

		// The user's side.
		r = c.call("POST", "/v1/sessions", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}})
		userToken := map[string]string{"Authorization": "Bearer " + str(r, "token")}
		r = c.call("POST", "/v1/sessions", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "settings": map[string]any{"allow_actions": []string{"reauthorize"}}})
		noDisconnect := map[string]string{"Authorization": "Bearer " + str(r, "token")}
		if r := c.call("GET", "/v1/me/connections?page_size=2", userToken, nil); len(r.Body["data"].([]any)) != 2 {
			t.Errorf("the user's connections: %s", r.Raw)
		}
		c.send("GET", "/v1/me/connections?page_size=0", userToken, nil)
		c.send("GET", "/v1/me/connections", nil, nil)
		c.send("GET", "/v1/me/connections", tk, nil)
		c.send("DELETE", "/v1/me/connections/"+jiraConn, noDisconnect, nil)
		c.send("DELETE", "/v1/me/connections/"+jiraConn, tk, nil)
		c.send("DELETE", "/v1/me/connections/con_nope", userToken, nil)
		c.call("DELETE", "/v1/me/connections/"+jiraConn, userToken, nil)

		// Perform and tools, against a loopback upstream.
		up := echoUpstream(t)
		c.call("PUT", "/v1/integrations/echo", tk, map[string]any{"name": "Echo", "base_url": up.URL, "auth": map[string]any{"type": "none"},
			"actions": []any{map[string]any{"name": "get-item", "method": "GET", "path": "/items/{id}",
				"input_schema": map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string"}}, "required": []string{"id"}}}}})
		c.call("PUT", "/v1/integrations/down", tk, map[string]any{"name": "Down", "base_url": "http://127.0.0.1:1", "auth": map[string]any{"type": "none"}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "echo", "action": "get-item", "input": map[string]any{"id": "7"}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"id": toolsUser}, "integration": "echo",
			"request": map[string]any{"method": "POST", "path": "/items", "query": map[string]any{"a": "1", "b": []string{"2", "3"}}, "body": []int{1}}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"id": toolsUser}, "integration": "echo", "request": map[string]any{"method": "GET", "path": "/status/500"}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-new"}, "integration": "acme-crm", "request": map[string]any{"method": "GET", "path": "/"}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "vip-stripe", "request": map[string]any{"method": "GET", "path": "/"}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "echo", "action": "get-item", "input": map[string]any{}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "nope", "action": "x"})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "down", "request": map[string]any{"method": "GET", "path": "/"}})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "echo", "request": map[string]any{"method": "GET", "path": "/slow"}})
		c.send("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "echo", "request": "GET /"})
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "echo", "action": "get-item", "input": map[string]any{"id": "7"}, "dry_run": true})

		// The activity those calls left.
		r = c.call("GET", "/v1/activity?page_size=2", tk, nil)
		c.call("GET", "/v1/activity?page_size=2&page_token="+url.QueryEscape(str(r, "next_page_token")), tk, nil)
		c.call("GET", "/v1/activity?user_id="+toolsUser+"&integration=echo&outcome=upstream_error&since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z", tk, nil)
		c.send("GET", "/v1/activity?outcome=fine", tk, nil)
		c.send("GET", "/v1/activity", nil, nil)
		c.call("GET", "/v1/me/activity?integration=echo", userToken, nil)
		c.send("GET", "/v1/me/activity?since=yesterday", userToken, nil)
		c.send("GET", "/v1/me/activity", tk, nil)
		c.send("POST", "/v1/perform", map[string]string{"Authorization": "Bearer " + toolsKey, "Content-Type": "text/plain"}, `{}`)
		c.call("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"external_id": "u-42"}, "integration": "echo", "action": "get-itme", "input": map[string]any{}})
		c.call("POST", "/v1/users", tk, map[string]any{"external_id": "u-50", "email": "eve@example.com"})
		c.send("POST", "/v1/perform", tk, map[string]any{"user": map[string]any{"email": "eve@example.com"}, "integration": "echo", "action": "get-item", "input": map[string]any{"id": "7"}})
		c.call("GET", "/v1/tools", tk, nil)
		c.call("GET", "/v1/tools?user_id="+toolsUser, tk, nil)
		c.send("GET", "/v1/tools?user_id=usr_nope", tk, nil)
		c.send("GET", "/v1/tools?user_id=", tk, nil)

		// Revocation and deletion.
		c.call("DELETE", "/v1/connections/"+ghConn, tk, nil)
		c.call("DELETE", "/v1/connections/"+ghConn, tk, nil)
		c.send("DELETE", "/v1/connections/con_nope", tk, nil)
		c.send("DELETE", "/v1/integrations/acme-crm", tk, nil)
		c.send("DELETE", "/v1/integrations/acme-crm?force=maybe", tk, nil)
		c.call("DELETE", "/v1/integrations/acme-crm?force=true", tk, nil)
		c.send("GET", "/v1/connections/"+crmConn, tk, nil)
		c.call("DELETE", "/v1/integrations/github", tk, nil)
		c.send("DELETE", "/v1/integrations/github", tk, nil)

		// Limits: three users exist (u-42, u-7 and bob@example.com).
		c.call("PATCH", "/v1/app", k, map[string]any{"settings": map[string]any{"max_sessions_per_user": 1, "session_limit_policy": "reject", "max_users": 3}})
		c.call("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"external_id": "u-42"}})
		c.send("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"external_id": "u-42"}})
		c.send("POST", "/v1/users", k, map[string]any{"external_id": "u-43"})
		c.send("POST", "/v1/sessions", k, map[string]any{"user": map[string]any{"external_id": "u-44"}})

		// Deletions.
		c.call("DELETE", "/v1/users/"+userID, k, nil)
		c.send("DELETE", "/v1/users/"+userID, k, nil)
		c.call("DELETE", "/v1/accounts/acme-corp", k, nil)
		c.send("DELETE", "/v1/accounts/acme-corp", k, nil)
		c.send("PATCH", "/v1/accounts/acme-corp", k, map[string]any{"name": "x"})
		c.send("GET", "/v1/sessions/ses_nope", k, nil)
		c.send("GET", "/v1/nothing", k, nil)

		// Rate limits.
		rl := newEnv(t, eng, func(o *httpapi.Options) { o.KeyRate, o.KeyBurst = 0.001, 1 })
		rc := &liveChecker{t: t, d: d, e: rl, hits: c.hits}
		_, rkey := rl.newApp("limited")
		rc.send("GET", "/v1/app", auth(rkey), nil)
		if r := rc.send("GET", "/v1/app", auth(rkey), nil); r.Status != http.StatusTooManyRequests {
			t.Errorf("second request at burst 1: %d", r.Status)
		}

		// Every operation has answered at least once with success, and
		// with each error status the scenario is meant to reach.
		for _, o := range d.operations() {
			id := o.Op["operationId"].(string)
			ok := false
			for code := range o.Op["responses"].(map[string]any) {
				if code[0] == '2' && c.hits[id+" "+code] {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s never answered with success in the scenario", id)
			}
		}
		for _, h := range []string{
			"updateApp 400", "updateApp 413", "updateApp 415", "updateApp 422", "getApp 401", "getApp 429",
			"createAccount 409", "createAccount 422", "listAccounts 400", "getAccount 404", "updateAccount 404", "deleteAccount 404",
			"createUser 200", "createUser 402", "createUser 409", "createUser 422", "listUsers 400", "getUser 404", "updateUser 409", "deleteUser 404",
			"createSession 402", "createSession 409", "createSession 422", "getSession 404", "revokeSession 404",
			"extendSession 400", "extendSession 404", "extendSession 422", "createConfigurationURL 400", "createConfigurationURL 409", "extendSession 409",
			"refreshTokens 400", "refreshTokens 401", "getMe 401", "revokeUserSessions 404", "getOpenAPI 304",
			"putIntegration 200", "putIntegration 201", "putIntegration 400", "putIntegration 422",
			"listIntegrations 400", "getIntegration 404", "deleteIntegration 400", "deleteIntegration 404", "deleteIntegration 409",
			"importConnection 200", "importConnection 201", "importConnection 400", "importConnection 403", "importConnection 404",
			"importConnection 415", "importConnection 422", "listConnections 400", "getConnection 404", "revokeConnection 404",
			"listMyConnections 400", "listMyConnections 401", "revokeMyConnection 401", "revokeMyConnection 403", "revokeMyConnection 404",
			"perform 200", "perform 400", "perform 403", "perform 404", "perform 409", "perform 415", "perform 422", "perform 502", "perform 504",
			"listTools 200", "listTools 400", "listTools 403", "listTools 404", "getApp 403", "createSession 403",
			"confirmVerification 403", "confirmVerification 404", "confirmVerification 410", "confirmVerification 422",
		} {
			if !c.hits[h] {
				t.Errorf("the scenario never saw %s", h)
			}
		}
	})
}
