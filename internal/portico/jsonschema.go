package portico

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The JSON Schema subset actions use to describe their input: type (one or
// a list), properties, required, additionalProperties (false or a schema),
// items, enum, const, minimum, maximum, exclusiveMinimum, exclusiveMaximum
// (numbers), minLength, maxLength, pattern (RE2 syntax), minItems,
// maxItems. Other keywords (description, title, format, default …) are
// annotations and not checked.

// schemaError is the first failure found; field is the path of the value
// (input.repo, input.labels[2]).
func schemaError(field, format string, args ...any) error {
	return Invalidf(field, format, args...)
}

// ValidateInput checks an action's input (a JSON object; empty means {})
// against its input schema and returns the input decoded, numbers kept as
// json.Number. Errors are CodeValidation with the field path under
// "input".
func ValidateInput(schema, input json.RawMessage) (map[string]any, error) {
	c, err := compileSchema(schema)
	if err != nil {
		return nil, err
	}
	return c.validate(input)
}

// maxCachedSchemas bounds the compiled schemas a Service keeps; past it
// the cache starts again empty.
const maxCachedSchemas = 4096

// schemaCache keeps input schemas compiled, by their text: a definition's
// schema is compiled on its first perform, not on every one, and a new
// version of the integration (another text) gets its own entry. The zero
// value is ready to use.
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
	c, err := compileSchema(schema)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil || len(sc.m) >= maxCachedSchemas {
		sc.m = map[string]*compiledSchema{}
	}
	sc.m[string(schema)] = c
	return c, nil
}

// compiledSchema is an input schema decoded once, its patterns compiled.
type compiledSchema struct {
	root any
	// patterns holds every pattern the schema uses, by its text; nil for
	// one that is not RE2 syntax (refused at PUT, but a definition stored
	// before that check may still have one).
	patterns map[string]*regexp.Regexp
}

// compileSchema decodes a schema (empty means no constraint) and compiles
// the patterns of every subschema the validator reads.
func compileSchema(schema json.RawMessage) (*compiledSchema, error) {
	c := &compiledSchema{patterns: map[string]*regexp.Regexp{}}
	if len(bytes.TrimSpace(schema)) > 0 {
		root, err := decodeJSON(schema)
		if err != nil {
			return nil, err
		}
		c.root = root
	}
	walkSubschemas(c.root, "", func(s map[string]any, _ string) bool {
		if p, ok := s["pattern"].(string); ok {
			if _, seen := c.patterns[p]; !seen {
				c.patterns[p], _ = regexp.Compile(p)
			}
		}
		return true
	})
	return c, nil
}

// badPattern returns the path (below the schema, as "properties.repo") of
// the first subschema whose pattern is not RE2 syntax, and the compile
// error; "" when every pattern compiles.
func (c *compiledSchema) badPattern() (string, error) {
	var path string
	var bad error
	walkSubschemas(c.root, "", func(s map[string]any, at string) bool {
		p, ok := s["pattern"].(string)
		if ok && c.patterns[p] == nil {
			path, bad = at, regexpError(p)
			return false
		}
		return true
	})
	return path, bad
}

func regexpError(p string) error {
	_, err := regexp.Compile(p)
	return err
}

// walkSubschemas calls visit on every subschema object the validator
// reads (properties, items, additionalProperties), depth first in a stable
// order, with its path; visit returns false to stop.
func walkSubschemas(s any, path string, visit func(s map[string]any, path string) bool) bool {
	m, ok := s.(map[string]any)
	if !ok {
		return true
	}
	if !visit(m, path) {
		return false
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if !walkSubschemas(props[k], join("properties."+k), visit) {
				return false
			}
		}
	}
	return walkSubschemas(m["items"], join("items"), visit) &&
		walkSubschemas(m["additionalProperties"], join("additionalProperties"), visit)
}

// validate checks input against the schema (see ValidateInput).
func (c *compiledSchema) validate(input json.RawMessage) (map[string]any, error) {
	if len(bytes.TrimSpace(input)) == 0 || string(bytes.TrimSpace(input)) == "null" {
		input = json.RawMessage("{}")
	}
	v, err := decodeJSON(input)
	if err != nil {
		return nil, Invalid("input", "input must be a JSON object.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Invalidf("input", "input must be a JSON object, not %s.", jsonKind(v))
	}
	if err := c.validateValue(c.root, obj, "input"); err != nil {
		return nil, err
	}
	return obj, nil
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

func hasType(v any, t string) bool {
	k := jsonKind(v)
	return k == t || t == "number" && k == "integer"
}

// validateValue checks v against schema s (a decoded schema; true, nil or
// {} admit anything, false nothing).
func (c *compiledSchema) validateValue(s any, v any, field string) error {
	switch s := s.(type) {
	case nil:
		return nil
	case bool:
		if !s {
			return schemaError(field, "%s is not allowed.", field)
		}
		return nil
	case map[string]any:
		return c.validateObject(s, v, field)
	}
	return nil
}

func (c *compiledSchema) validateObject(s map[string]any, v any, field string) error {
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				if x, ok := x.(string); ok {
					types = append(types, x)
				}
			}
		}
		if len(types) > 0 && !slices.ContainsFunc(types, func(t string) bool { return hasType(v, t) }) {
			return schemaError(field, "%s must be of type %s, not %s.", field, strings.Join(types, " or "), jsonKind(v))
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, v) {
		return schemaError(field, "%s must be %s.", field, compactJSON(c))
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return jsonEqual(x, v) }) {
		opts := make([]string, len(e))
		for i, x := range e {
			opts[i] = compactJSON(x)
		}
		return schemaError(field, "%s must be one of %s.", field, strings.Join(opts, ", "))
	}
	switch v := v.(type) {
	case string:
		return c.validateString(s, v, field)
	case json.Number:
		return c.validateNumber(s, v, field)
	case []any:
		return c.validateArray(s, v, field)
	case map[string]any:
		return c.validateProperties(s, v, field)
	}
	return nil
}

func (c *compiledSchema) validateString(s map[string]any, v, field string) error {
	n := utf8.RuneCountInString(v)
	if m, ok := intKeyword(s, "minLength"); ok && n < m {
		return schemaError(field, "%s must be at least %d characters long.", field, m)
	}
	if m, ok := intKeyword(s, "maxLength"); ok && n > m {
		return schemaError(field, "%s must be at most %d characters long.", field, m)
	}
	if p, ok := s["pattern"].(string); ok {
		re := c.patterns[p]
		if re == nil {
			// Fail closed: an input the schema's author meant to restrict
			// is not let through unchecked.
			return schemaError(field, "%s cannot be checked: the action's pattern %q is not RE2 syntax.", field, p)
		}
		if !re.MatchString(v) {
			return schemaError(field, "%s must match the pattern %s.", field, p)
		}
	}
	return nil
}

func (c *compiledSchema) validateNumber(s map[string]any, v json.Number, field string) error {
	x, ok := new(big.Float).SetString(string(v))
	if !ok {
		return schemaError(field, "%s is not a number.", field)
	}
	for _, k := range []struct {
		name string
		bad  func(c int) bool
		say  string
	}{
		{"minimum", func(c int) bool { return c < 0 }, "at least"},
		{"maximum", func(c int) bool { return c > 0 }, "at most"},
		{"exclusiveMinimum", func(c int) bool { return c <= 0 }, "greater than"},
		{"exclusiveMaximum", func(c int) bool { return c >= 0 }, "less than"},
	} {
		n, ok := s[k.name].(json.Number)
		if !ok {
			continue
		}
		limit, ok := new(big.Float).SetString(string(n))
		if ok && k.bad(x.Cmp(limit)) {
			return schemaError(field, "%s must be %s %s.", field, k.say, n)
		}
	}
	return nil
}

func (c *compiledSchema) validateArray(s map[string]any, v []any, field string) error {
	if m, ok := intKeyword(s, "minItems"); ok && len(v) < m {
		return schemaError(field, "%s must have at least %d items.", field, m)
	}
	if m, ok := intKeyword(s, "maxItems"); ok && len(v) > m {
		return schemaError(field, "%s must have at most %d items.", field, m)
	}
	if items, ok := s["items"]; ok {
		for i, x := range v {
			if err := c.validateValue(items, x, field+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *compiledSchema) validateProperties(s map[string]any, v map[string]any, field string) error {
	props, _ := s["properties"].(map[string]any)
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok {
				if _, ok := v[name]; !ok {
					return schemaError(field+"."+name, "%s.%s is required.", field, name)
				}
			}
		}
	}
	// Sorted, so that the error for several bad properties is stable.
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	slices.Sort(names)
	extra, hasExtra := s["additionalProperties"]
	for _, k := range names {
		sub := field + "." + k
		if ps, ok := props[k]; ok {
			if err := c.validateValue(ps, v[k], sub); err != nil {
				return err
			}
			continue
		}
		if !hasExtra {
			continue
		}
		if b, ok := extra.(bool); ok && !b {
			return schemaError(sub, "%s is not a parameter of this action.", sub)
		}
		if err := c.validateValue(extra, v[k], sub); err != nil {
			return err
		}
	}
	return nil
}

func intKeyword(s map[string]any, name string) (int, bool) {
	n, ok := s[name].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(string(n))
	return i, err == nil
}

// jsonEqual compares decoded JSON values; numbers by value.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		x, ok1 := new(big.Float).SetString(string(a))
		y, ok2 := new(big.Float).SetString(string(bn))
		return ok1 && ok2 && x.Cmp(y) == 0
	case []any:
		bs, ok := b.([]any)
		return ok && slices.EqualFunc(a, bs, jsonEqual)
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, x := range a {
			y, ok := bm[k]
			if !ok || !jsonEqual(x, y) {
				return false
			}
		}
		return true
	}
	return a == b
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
