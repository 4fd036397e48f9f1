package portico

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Actions describe their input with JSON Schema draft 2020-12 (a schema
// naming another draft in $schema is read as that draft), checked by a
// maintained implementation: every keyword of the draft applies, $ref
// included, and format is asserted for the formats the draft defines
// (email, date-time, uuid, uri …; other format names are annotations).
// Patterns are RE2 syntax. A $ref is resolved inside the schema only:
// nothing is ever fetched (docs/openapi-import.md).

// schemaURL is where an input schema is placed for the compiler; a $ref
// to anywhere else is refused.
const schemaURL = "urn:portico:input-schema"

// ValidateInput checks an action's input (a JSON object; empty means {})
// against its input schema and returns the input decoded, numbers kept as
// json.Number. Errors are CodeValidation with the field path under
// "input".
func ValidateInput(schema, input json.RawMessage) (map[string]any, error) {
	c, err := compileSchema(schema, false)
	if err != nil {
		return nil, Invalidf("action", "The action's input schema does not compile (%v).", err)
	}
	return c.validate(input)
}

// maxCachedSchemas bounds the compiled schemas a Service keeps; past it
// the cache starts again empty.
const maxCachedSchemas = 4096

// schemaCache keeps input schemas compiled, by their text: PUT compiles
// each action's schema once and keeps it here; a definition stored before
// this process started is compiled on its first perform. A new version of
// the integration (another text) gets its own entry. The zero value is
// ready to use.
type schemaCache struct {
	mu sync.Mutex
	m  map[string]*compiledSchema
}

func (sc *schemaCache) get(schema json.RawMessage) (*compiledSchema, error) {
	sc.mu.Lock()
	c, ok := sc.m[string(schema)]
	sc.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := compileSchema(schema, false)
	if err != nil {
		return nil, Invalidf("action", "The action's input schema does not compile (%v); the integration must be defined again.", err)
	}
	sc.put(schema, c)
	return c, nil
}

func (sc *schemaCache) put(schema json.RawMessage, c *compiledSchema) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil || len(sc.m) >= maxCachedSchemas {
		sc.m = map[string]*compiledSchema{}
	}
	sc.m[string(schema)] = c
}

// compiledSchema is an input schema compiled once.
type compiledSchema struct {
	schema *jsonschema.Schema
}

// schemaCompileError is a schema that does not compile: at is the place
// in the schema ("properties.repo.pattern"; "" for the schema itself).
type schemaCompileError struct {
	at  string
	msg string
}

func (e *schemaCompileError) Error() string { return e.msg }

// compileSchema compiles a schema (empty means no constraint). strict
// refuses patterns that are not RE2 syntax, as PUT does; otherwise such a
// pattern fails closed: no value matches it (a definition stored before
// that check may still have one).
func compileSchema(schema json.RawMessage, strict bool) (*compiledSchema, error) {
	var doc any = map[string]any{}
	if len(bytes.TrimSpace(schema)) > 0 {
		d, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
		if err != nil {
			return nil, &schemaCompileError{msg: "is not JSON"}
		}
		doc = d
	}
	if strict {
		if at, found := refCycle(doc); found {
			return nil, &schemaCompileError{at: at, msg: "has a $ref that leads back to itself at the same place in the value, through $refs and allOf, anyOf, oneOf, not, if, then, else, dependentSchemas or dependencies (a reference cycle)"}
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noRemoteLoader{})
	if !strict {
		c.UseRegexpEngine(failClosedRegexp)
	}
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, &schemaCompileError{msg: err.Error()}
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, compileError(err)
	}
	return &compiledSchema{schema: s}, nil
}

// refCycle finds a $ref of doc from which validation comes back to the
// same schema at the same place in the value: following $refs, and the
// keywords that apply a schema to the value in place (allOf, anyOf, oneOf,
// not, if, then, else, dependentSchemas or dependencies). Such a schema
// compiles, and then every validation that reaches it fails ("reference
// cycle"), so PUT refuses it. It returns the dotted place of a $ref on such a cycle (the
// first, of the first cycle found; "" for the schema itself, as in
// {"$ref": "#"}) and whether there is one. A recursive schema whose $ref
// sits below a keyword that moves into the value (properties, items) is
// no cycle.
func refCycle(doc any) (string, bool) {
	nodes := map[string]map[string]any{} // JSON pointer → schema object
	var places []string
	var walk func(v any, ptr string)
	walk = func(v any, ptr string) {
		switch v := v.(type) {
		case map[string]any:
			nodes[ptr] = v
			if r, ok := v["$ref"].(string); ok && strings.HasPrefix(r, "#") {
				places = append(places, ptr)
			}
			for k, c := range v {
				walk(c, ptr+"/"+pointerToken(k))
			}
		case []any:
			for i, c := range v {
				walk(c, ptr+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(doc, "")
	// inPlace lists the schemas that apply to the same value as the one at
	// ptr.
	inPlace := func(ptr string) []string {
		v := nodes[ptr]
		var out []string
		if r, ok := v["$ref"].(string); ok && strings.HasPrefix(r, "#") {
			if target, err := url.PathUnescape(r[1:]); err == nil {
				out = append(out, target)
			}
		}
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			if list, ok := v[k].([]any); ok {
				for i := range list {
					out = append(out, ptr+"/"+k+"/"+strconv.Itoa(i))
				}
			}
		}
		for _, k := range []string{"not", "if", "then", "else"} {
			out = append(out, ptr+"/"+k)
		}
		// dependencies is draft-07's and earlier drafts' dependentSchemas
		// (a value that is a list of names is no schema, and drops out).
		for _, kw := range []string{"dependentSchemas", "dependencies"} {
			if deps, ok := v[kw].(map[string]any); ok {
				for k := range deps {
					out = append(out, ptr+"/"+kw+"/"+pointerToken(k))
				}
			}
		}
		return slices.DeleteFunc(out, func(p string) bool { return nodes[p] == nil })
	}
	// Depth-first, keeping the path walked, and marking the schemas whose
	// every way on is known free of cycles.
	done := map[string]bool{}
	var path []string
	var cycle func(ptr string) []string
	cycle = func(ptr string) []string {
		if i := slices.Index(path, ptr); i >= 0 {
			return path[i:]
		}
		if done[ptr] {
			return nil
		}
		path = append(path, ptr)
		for _, next := range inPlace(ptr) {
			if c := cycle(next); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		done[ptr] = true
		return nil
	}
	slices.Sort(places)
	for _, start := range places {
		if c := cycle(start); c != nil {
			// Every cycle has a $ref: without one, the schemas form a tree.
			at := slices.Min(slices.DeleteFunc(slices.Clone(c), func(p string) bool { _, ok := slices.BinarySearch(places, p); return !ok }))
			return strings.ReplaceAll(strings.TrimPrefix(at, "/"), "/", "."), true
		}
	}
	return "", false
}

// pointerToken escapes a key as a JSON pointer token (RFC 6901).
func pointerToken(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// noRemoteLoader refuses every document outside the schema: a $ref is
// resolved inside the schema, never fetched.
type noRemoteLoader struct{}

func (noRemoteLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("a $ref to %s is outside the schema; only references inside it (#/$defs/…) are resolved", u)
}

// neverMatches stands for a pattern that is not RE2 syntax.
type neverMatches string

func (n neverMatches) String() string          { return string(n) }
func (n neverMatches) MatchString(string) bool { return false }

func failClosedRegexp(p string) (jsonschema.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return neverMatches(p), nil
	}
	return re, nil
}

// compileError says where and why a schema does not compile.
func compileError(err error) error {
	var sv *jsonschema.SchemaValidationError
	if errors.As(err, &sv) {
		var ve *jsonschema.ValidationError
		if errors.As(sv.Err, &ve) {
			leaf := firstLeaf(ve)
			for len(leaf.Causes) > 0 {
				leaf = firstLeaf(leaf.Causes[0])
			}
			at := strings.Join(leaf.InstanceLocation, ".")
			if f, ok := leaf.ErrorKind.(*kind.Format); ok && f.Want == "regex" {
				return &schemaCompileError{at: at, msg: fmt.Sprintf("is not RE2 syntax (%v)", f.Err)}
			}
			return &schemaCompileError{at: at, msg: "is not valid JSON Schema: " + leaf.ErrorKind.LocalizedString(printer)}
		}
	}
	msg := err.Error()
	msg = strings.ReplaceAll(msg, schemaURL, "")
	return &schemaCompileError{msg: msg}
}

var printer = message.NewPrinter(language.English)

// validate checks input against the schema (see ValidateInput).
func (c *compiledSchema) validate(input json.RawMessage) (map[string]any, error) {
	if len(bytes.TrimSpace(input)) == 0 || string(bytes.TrimSpace(input)) == "null" {
		input = json.RawMessage("{}")
	}
	v, err := decodeJSON(input)
	if err != nil {
		return nil, Invalid("input", "input must be of type object.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Invalid("input", "input must be of type object, not %s.", jsonKind(v))
	}
	err = c.schema.Validate(obj)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return nil, inputError(firstLeaf(ve), obj)
	}
	if err != nil {
		return nil, Invalidf("input", "input cannot be checked: %v.", err)
	}
	return obj, nil
}

// firstLeaf descends from a validation error to the first failure that
// names a keyword of its own, in a stable order: the shortest instance
// location first (a missing required property before a bad nested value),
// then by location.
func firstLeaf(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for {
		switch e.ErrorKind.(type) {
		case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		default:
			return e
		}
		if len(e.Causes) == 0 {
			return e
		}
		e = slices.MinFunc(e.Causes, func(a, b *jsonschema.ValidationError) int {
			if n := len(a.InstanceLocation) - len(b.InstanceLocation); n != 0 {
				return n
			}
			return slices.Compare(a.InstanceLocation, b.InstanceLocation)
		})
	}
}

// fieldPath names an instance location under "input": input.labels[2],
// input.meta.k.
func fieldPath(loc []string, v any) string {
	var b strings.Builder
	b.WriteString("input")
	for _, tok := range loc {
		switch x := v.(type) {
		case []any:
			i, _ := strconv.Atoi(tok)
			b.WriteString("[" + tok + "]")
			if i >= 0 && i < len(x) {
				v = x[i]
			}
		case map[string]any:
			b.WriteString("." + tok)
			v = x[tok]
		default:
			b.WriteString("." + tok)
		}
	}
	return b.String()
}

// inputError words one validation failure, on the field of the value.
func inputError(e *jsonschema.ValidationError, input any) error {
	field := fieldPath(e.InstanceLocation, input)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		name := slices.Min(k.Missing)
		return Invalidf(field+"."+name, "%s.%s is required.", field, name)
	case *kind.AdditionalProperties:
		sub := field + "." + slices.Min(k.Properties)
		return Invalidf(sub, "%s is not a parameter of this action.", sub)
	case *kind.FalseSchema:
		return Invalidf(field, "%s is not allowed.", field)
	case *kind.Type:
		return Invalidf(field, "%s must be of type %s, not %s.", field, strings.Join(k.Want, " or "), k.Got)
	case *kind.Const:
		return Invalidf(field, "%s must be %s.", field, compactJSON(k.Want))
	case *kind.Enum:
		opts := make([]string, len(k.Want))
		for i, x := range k.Want {
			opts[i] = compactJSON(x)
		}
		return Invalidf(field, "%s must be one of %s.", field, strings.Join(opts, ", "))
	case *kind.MinLength:
		return Invalidf(field, "%s must be at least %d characters long.", field, k.Want)
	case *kind.MaxLength:
		return Invalidf(field, "%s must be at most %d characters long.", field, k.Want)
	case *kind.Pattern:
		if _, err := regexp.Compile(k.Want); err != nil {
			// Fail closed: an input the schema's author meant to restrict
			// is not let through unchecked.
			return Invalidf(field, "%s cannot be checked: the action's pattern %q is not RE2 syntax.", field, k.Want)
		}
		return Invalidf(field, "%s must match the pattern %s.", field, k.Want)
	case *kind.Format:
		return Invalidf(field, "%s must be a valid %s.", field, k.Want)
	case *kind.Minimum:
		return Invalidf(field, "%s must be at least %s.", field, ratText(k.Want))
	case *kind.Maximum:
		return Invalidf(field, "%s must be at most %s.", field, ratText(k.Want))
	case *kind.ExclusiveMinimum:
		return Invalidf(field, "%s must be greater than %s.", field, ratText(k.Want))
	case *kind.ExclusiveMaximum:
		return Invalidf(field, "%s must be less than %s.", field, ratText(k.Want))
	case *kind.MultipleOf:
		return Invalidf(field, "%s must be a multiple of %s.", field, ratText(k.Want))
	case *kind.MinItems:
		return Invalidf(field, "%s must have at least %d items.", field, k.Want)
	case *kind.MaxItems:
		return Invalidf(field, "%s must have at most %d items.", field, k.Want)
	case *kind.UniqueItems:
		return Invalidf(field, "%s must not repeat an item (items %d and %d are equal).", field, k.Duplicates[0], k.Duplicates[1])
	case *kind.OneOf:
		if len(k.Subschemas) == 0 {
			return Invalidf(field, "%s must match one of the alternatives of oneOf; it matches none.", field)
		}
		return Invalidf(field, "%s must match exactly one of the alternatives of oneOf; it matches several.", field)
	case *kind.AnyOf:
		return Invalidf(field, "%s must match at least one of the alternatives of anyOf.", field)
	case *kind.Not:
		return Invalidf(field, "%s matches a schema it must not match.", field)
	}
	return Invalidf(field, "%s is invalid: %s.", field, e.ErrorKind.LocalizedString(printer))
}

// ratText writes a schema's numeric limit as a decimal.
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := strings.TrimRight(r.FloatString(20), "0")
	return strings.TrimSuffix(s, ".")
}

func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if isInteger(v) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func isInteger(n json.Number) bool {
	f, ok := new(big.Float).SetString(string(n))
	return ok && f.IsInt()
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
