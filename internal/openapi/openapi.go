// Package openapi turns operations of OpenAPI 3.0 and 3.1 documents into
// integration actions (docs/openapi-import.md). It implements
// portico.OpenAPIImporter: parsing and $ref resolution are
// github.com/getkin/kin-openapi's; remote documents are fetched with the
// HTTP client the server gives it, which dials through the upstream
// address guard.
package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/porticohq/portico/internal/portico"
)

// reading holds a place while a document is read.
var reading = make(chan struct{}, 1)

// Importer implements portico.OpenAPIImporter.
type Importer struct {
	// Client fetches documents given by URL; it must dial through the
	// upstream address guard. Nil refuses URLs.
	Client *http.Client
	// FetchFailure words a failed fetch for the caller, naming the host
	// and the kind of address the guard refused but never an address the
	// name resolved to (docs/perform.md, "The address guard"): the
	// upstream adapter's wording, given by whoever wires the two. Nil:
	// every failure is "it could not be reached".
	FetchFailure func(error) string
}

// failure words err with FetchFailure.
func (im *Importer) failure(err error) string {
	if im.FetchFailure == nil {
		return "it could not be reached"
	}
	return im.FetchFailure(err)
}

// Import reads the document and makes an action of each chosen operation.
func (im *Importer) Import(ctx context.Context, in *portico.OpenAPIInput) ([]portico.Action, error) {
	data, field, err := im.read(ctx, in)
	if err != nil {
		return nil, err
	}
	// One document is read at a time: reading takes memory several times
	// the document's size, dozens of times when it is read whole
	// (docs/openapi-import.md, "Limits"). That memory goes back to the
	// system once the document is read: the server's collector lets the
	// heap grow to eight times what is live before it collects
	// (docs/operations.md, "The Go heap"), so an idle server would keep
	// it for long.
	select {
	case reading <- struct{}{}:
		defer func() {
			<-reading
			debug.FreeOSMemory()
		}()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	doc, err := load(data, in.Operations)
	if err != nil {
		return nil, portico.Invalidf(field, "%s is not an OpenAPI 3.0 or 3.1 document: %s.", field, oneLine(err))
	}
	return actionsOf(doc, in.Operations)
}

// actionsOf makes an action of each operation sels choose, in their order.
func actionsOf(doc *openapi3.T, sels []string) ([]portico.Action, error) {
	ops := operations(doc)
	actions := make([]portico.Action, 0, len(sels))
	from := map[string]string{}
	for i, sel := range sels {
		at := "openapi.operations[" + strconv.Itoa(i) + "]"
		op, ok := find(ops, sel)
		if !ok {
			return nil, portico.Invalidf(at, "The document has no operation %s: name one by its operationId or as \"GET /path\".", quoteSel(sel))
		}
		a, err := op.action(doc)
		if err != nil {
			return nil, portico.Invalidf(at, "Operation %s cannot be an action: %s.", op.label(), err)
		}
		if other, ok := from[a.Name]; ok {
			return nil, portico.Invalidf(at, "Operations %s and %s would both be the action %q.", other, op.label(), a.Name)
		}
		from[a.Name] = op.label()
		actions = append(actions, a)
	}
	return actions, nil
}

// read returns the document's bytes and the field that names it.
func (im *Importer) read(ctx context.Context, in *portico.OpenAPIInput) ([]byte, string, error) {
	if in.URL == "" {
		doc := bytes.TrimSpace(in.Document)
		if len(doc) > 0 && doc[0] == '"' {
			var text string
			if err := json.Unmarshal(doc, &text); err != nil {
				return nil, "", portico.Invalidf("openapi.document", "openapi.document must be a JSON object or a string of JSON or YAML text.")
			}
			return []byte(text), "openapi.document", nil
		}
		if len(doc) == 0 || doc[0] != '{' {
			return nil, "", portico.Invalidf("openapi.document", "openapi.document must be a JSON object or a string of JSON or YAML text.")
		}
		return doc, "openapi.document", nil
	}
	if im.Client == nil {
		return nil, "", portico.Invalidf("openapi.url", "This server does not fetch OpenAPI documents; send the document itself.")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.URL, nil)
	if err != nil {
		return nil, "", portico.Invalidf("openapi.url", "openapi.url is not a URL.")
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	resp, err := im.Client.Do(req)
	if err != nil {
		return nil, "", portico.Invalidf("openapi.url", "openapi.url could not be fetched: %s.", im.failure(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", portico.Invalidf("openapi.url", "openapi.url answered %s, not 200 OK.", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, portico.MaxOpenAPIDocument+1))
	if err != nil {
		return nil, "", portico.Invalidf("openapi.url", "openapi.url could not be read: %s.", im.failure(err))
	}
	if len(data) > portico.MaxOpenAPIDocument {
		return nil, "", portico.Invalidf("openapi.url", "The document at openapi.url is larger than %d bytes.", portico.MaxOpenAPIDocument)
	}
	return data, "openapi.url", nil
}

func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.TrimSuffix(s, ".")
}

var errNoExternal = errors.New("a $ref to another document is not followed; only references within the document are resolved")

// load parses a document (JSON or YAML) and resolves its $refs, all of
// them within the document: only what the operations sels choose need
// (cutDown).
func load(data []byte, sels []string) (*openapi3.T, error) {
	data, _, err := cutDown(data, sels)
	if err != nil {
		return nil, err
	}
	return parse(data)
}

// parse reads a whole document.
func parse(data []byte) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = false
	l.ReadFromURIFunc = func(*openapi3.Loader, *url.URL) ([]byte, error) { return nil, errNoExternal }
	var doc *openapi3.T
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		// JSON is decoded as JSON. The loader reads any document with its
		// YAML parser first, whose cost on JSON's long flow lines grows
		// much faster than the document: a flat 10 MiB document took 17 s
		// and a 1.5 GiB heap (docs/openapi-import.md, "Limits"). A
		// document that begins with { is JSON.
		doc = &openapi3.T{}
		if err := json.Unmarshal(t, doc); err != nil {
			return nil, err
		}
		if err := l.ResolveRefsIn(doc, nil); err != nil {
			return nil, err
		}
	} else {
		var err error
		if doc, err = l.LoadFromData(data); err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") && !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		return nil, fmt.Errorf("its openapi version is %q; 3.0.x and 3.1.x are read", doc.OpenAPI)
	}
	if doc.Paths == nil {
		return nil, errors.New("it has no paths")
	}
	return doc, nil
}

// operation is one operation of the document with its place.
type operation struct {
	method string // upper case
	path   string
	item   *openapi3.PathItem
	op     *openapi3.Operation
}

func (o *operation) label() string {
	if o.op.OperationID != "" {
		return strconv.Quote(o.op.OperationID) + " (" + o.method + " " + o.path + ")"
	}
	return o.method + " " + o.path
}

func operations(doc *openapi3.T) []*operation {
	var out []*operation
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		ops := item.Operations()
		// In the order of their methods, so that an operationId two of
		// them share chooses the same one every time.
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			out = append(out, &operation{method: strings.ToUpper(m), path: p, item: item, op: ops[m]})
		}
	}
	return out
}

// find picks the operation a selector names: "METHOD /path" or an
// operationId.
func find(ops []*operation, sel string) (*operation, bool) {
	sel = strings.TrimSpace(sel)
	if m, p, ok := strings.Cut(sel, " "); ok && strings.HasPrefix(strings.TrimSpace(p), "/") {
		m, p = strings.ToUpper(m), strings.TrimSpace(p)
		i := slices.IndexFunc(ops, func(o *operation) bool { return o.method == m && o.path == p })
		if i >= 0 {
			return ops[i], true
		}
	}
	i := slices.IndexFunc(ops, func(o *operation) bool { return o.op.OperationID != "" && o.op.OperationID == sel })
	if i < 0 {
		return nil, false
	}
	return ops[i], true
}

func quoteSel(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}

var actionMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// action makes the operation an action, or says why it cannot be one.
func (o *operation) action(doc *openapi3.T) (portico.Action, error) {
	a := portico.Action{Method: o.method, Description: description(o.op)}
	if !slices.Contains(actionMethods, o.method) {
		return a, fmt.Errorf("its method %s is not one of %s", o.method, strings.Join(actionMethods, ", "))
	}
	a.Name = actionName(o.op.OperationID, o.method, o.path)
	if a.Name == "" {
		return a, errors.New("its operationId gives no action name (a-z, 0-9, _ and -)")
	}
	s := newSchemaBuilder(doc)
	props := map[string]any{}
	var required []string
	names := map[string]bool{}
	take := func(name, prefix string) string {
		in := inputName(name)
		if names[in] {
			in = inputName(prefix + "_" + name)
		}
		for n := 2; names[in]; n++ {
			in = inputName(prefix + "_" + name + "_" + strconv.Itoa(n))
		}
		names[in] = true
		return in
	}
	params, err := o.parameters()
	if err != nil {
		return a, err
	}
	placeholders := map[string]string{}
	for _, p := range params {
		if p.In != openapi3.ParameterInPath {
			continue
		}
		if err := checkPathParam(p); err != nil {
			return a, err
		}
		schema, err := s.paramSchema(p)
		if err != nil {
			return a, err
		}
		in := take(p.Name, "path")
		placeholders[p.Name] = in
		props[in] = schema
		required = append(required, in)
	}
	path, err := rewritePath(o.path, placeholders)
	if err != nil {
		return a, err
	}
	a.Path = path
	for _, p := range params {
		switch p.In {
		case openapi3.ParameterInPath:
			continue
		case openapi3.ParameterInHeader, openapi3.ParameterInCookie:
			if p.Required {
				return a, fmt.Errorf("its %s parameter %q is required, and actions send only path and query parameters and a JSON body", p.In, p.Name)
			}
			continue
		case openapi3.ParameterInQuery:
		default:
			return a, fmt.Errorf("its parameter %q is in %q, which is not path, query, header or cookie", p.Name, p.In)
		}
		if err := checkQueryParam(p); err != nil {
			return a, err
		}
		schema, err := s.paramSchema(p)
		if err != nil {
			return a, err
		}
		in := take(p.Name, "query")
		if a.Query == nil {
			a.Query = map[string]string{}
		}
		a.Query[in] = p.Name
		props[in] = schema
		if p.Required {
			required = append(required, in)
		}
	}
	if err := o.body(s, &a, props, &required, take); err != nil {
		return a, err
	}
	root := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		root["required"] = required
	}
	if defs := s.used(props); len(defs) > 0 {
		root["$defs"] = defs
	}
	raw, err := json.Marshal(root)
	if err != nil {
		return a, fmt.Errorf("its input schema cannot be written: %v", err)
	}
	if len(raw) > portico.MaxInputSchemaSize {
		return a, fmt.Errorf("its input schema would be %d bytes, more than the %d an action may have", len(raw), portico.MaxInputSchemaSize)
	}
	a.InputSchema = raw
	return a, nil
}

// parameters are the path item's parameters overridden by the
// operation's (same name and place). A $ref that reaches no parameter (a
// cycle of references) is an error: left out, it would change the action.
func (o *operation) parameters() ([]*openapi3.Parameter, error) {
	var out []*openapi3.Parameter
	seen := map[string]int{}
	for _, list := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, ref := range list {
			if ref == nil {
				continue
			}
			if ref.Value == nil {
				return nil, fmt.Errorf("its parameter %s cannot be resolved: its references form a cycle or reach nothing", ref.Ref)
			}
			p := ref.Value
			key := p.In + "\x00" + p.Name
			if i, ok := seen[key]; ok {
				out[i] = p
				continue
			}
			seen[key] = len(out)
			out = append(out, p)
		}
	}
	return out, nil
}

func checkPathParam(p *openapi3.Parameter) error {
	if p.Content != nil {
		return fmt.Errorf("its path parameter %q is described by content, not a schema", p.Name)
	}
	if p.Style != "" && p.Style != openapi3.SerializationSimple {
		return fmt.Errorf("its path parameter %q has style %s; actions fill path parameters in style simple", p.Name, p.Style)
	}
	if t := schemaTypes(p.Schema); slices.Contains(t, "array") || slices.Contains(t, "object") {
		return fmt.Errorf("its path parameter %q is an %s; actions fill path parameters with a string, number or boolean", p.Name, strings.Join(t, " or "))
	}
	return nil
}

func checkQueryParam(p *openapi3.Parameter) error {
	if p.Content != nil {
		return fmt.Errorf("its query parameter %q is described by content, not a schema", p.Name)
	}
	if p.Style != "" && p.Style != openapi3.SerializationForm {
		return fmt.Errorf("its query parameter %q has style %s; actions send query parameters in style form", p.Name, p.Style)
	}
	t := schemaTypes(p.Schema)
	if slices.Contains(t, "object") {
		return fmt.Errorf("its query parameter %q is an object, which style form spreads into parameters of their own", p.Name)
	}
	if slices.Contains(t, "array") && p.Explode != nil && !*p.Explode {
		return fmt.Errorf("its query parameter %q is an array with explode false; actions repeat the parameter for each item", p.Name)
	}
	return nil
}

// schemaTypes is the declared type of a parameter's schema.
func schemaTypes(ref *openapi3.SchemaRef) []string {
	if ref == nil || ref.Value == nil || ref.Value.Type == nil {
		return nil
	}
	return ref.Value.Type.Slice()
}

// body merges the operation's JSON request body into the input: the
// properties of an object body become input properties (Action.Body
// maps them back); any other body is the input property "body"
// (Action.BodyInput).
func (o *operation) body(s *schemaBuilder, a *portico.Action, props map[string]any, required *[]string, take func(name, prefix string) string) error {
	if o.op.RequestBody == nil {
		return nil
	}
	if o.op.RequestBody.Value == nil {
		return fmt.Errorf("its request body %s cannot be resolved: its references form a cycle or reach nothing", o.op.RequestBody.Ref)
	}
	rb := o.op.RequestBody.Value
	var media *openapi3.MediaType
	var types []string
	for ct, mt := range rb.Content {
		types = append(types, ct)
		if isJSON(ct) && (media == nil || strings.EqualFold(ct, "application/json")) {
			media = mt
		}
	}
	slices.Sort(types)
	if len(types) == 0 {
		return nil
	}
	if media == nil {
		return fmt.Errorf("its request body is %s, not JSON", strings.Join(types, ", "))
	}
	if a.Method == "GET" {
		return errors.New("it sends a body with GET")
	}
	schema := map[string]any{}
	if media.Schema != nil {
		v, err := s.convert(media.Schema)
		if err != nil {
			return err
		}
		schema = v
	}
	if bodyProps, reqd, ok := s.objectProperties(schema); ok {
		a.Body = map[string]string{}
		for _, name := range sortedKeys(bodyProps) {
			in := take(name, "body")
			a.Body[in] = name
			props[in] = bodyProps[name]
			if rb.Required && slices.Contains(reqd, name) {
				*required = append(*required, in)
			}
		}
		return nil
	}
	in := take("body", "request")
	a.BodyInput = in
	if rb.Description != "" {
		if _, ok := schema["description"]; !ok {
			schema["description"] = rb.Description
		}
	}
	props[in] = schema
	if rb.Required {
		*required = append(*required, in)
	}
	return nil
}

func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// description is the operation's summary, else the first paragraph of
// its description, within the bound of an action's description.
func description(op *openapi3.Operation) string {
	d := strings.TrimSpace(op.Summary)
	if d == "" {
		d, _, _ = strings.Cut(strings.TrimSpace(op.Description), "\n\n")
	}
	d = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, strings.ToValidUTF8(d, ""))
	if len(d) > portico.MaxDescriptionLen {
		cut := portico.MaxDescriptionLen - len("…")
		for cut > 0 && !utf8.RuneStart(d[cut]) {
			cut--
		}
		d = d[:cut] + "…"
	}
	return d
}

var (
	camelRe     = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	acronym     = regexp.MustCompile(`([A-Z]+)([A-Z][a-z])`)
	notName     = regexp.MustCompile(`[^a-z0-9_-]+`)
	notIdent    = regexp.MustCompile(`[^A-Za-z0-9_]+`)
	underscores = regexp.MustCompile(`__+`)
)

// actionName makes an action name of an operationId (getPetById:
// get_pet_by_id), or of the method and path without one (GET
// /pets/{petId}: get_pets_pet_id): a-z, 0-9, _ and -, at most 64.
func actionName(id, method, path string) string {
	s := id
	if s == "" {
		s = method + "_" + strings.NewReplacer("{", "", "}", "").Replace(path)
	}
	s = acronym.ReplaceAllString(s, "${1}_${2}")
	s = camelRe.ReplaceAllString(s, "${1}_${2}")
	s = notName.ReplaceAllString(strings.ToLower(s), "_")
	s = underscores.ReplaceAllString(s, "_")
	s = strings.Trim(s, "_-")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "_-")
	}
	return s
}

// inputName makes an input property name of a parameter's: A-Z, a-z, 0-9
// and _, starting with a letter or _, at most 64 (the names function-
// calling APIs and path placeholders accept).
func inputName(s string) string {
	s = strings.Trim(notIdent.ReplaceAllString(s, "_"), "_")
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "p_" + s
	}
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// rewritePath renames the path's placeholders to their input properties.
// Every placeholder needs a path parameter, and every path parameter a
// placeholder (OpenAPI: a path parameter's name matches a template
// expression of the path).
func rewritePath(path string, names map[string]string) (string, error) {
	var bad error
	used := map[string]bool{}
	out := regexp.MustCompile(`\{([^{}]*)\}`).ReplaceAllStringFunc(path, func(m string) string {
		in, ok := names[m[1:len(m)-1]]
		if !ok {
			bad = fmt.Errorf("its path has the placeholder %s, which no path parameter describes", m)
			return m
		}
		used[m[1:len(m)-1]] = true
		return "{" + in + "}"
	})
	if bad != nil {
		return out, bad
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		if !used[name] {
			return out, fmt.Errorf("its path parameter %q has no {%s} in the path", name, name)
		}
	}
	return out, nil
}
