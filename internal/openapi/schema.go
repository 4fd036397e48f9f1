package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

const componentsPrefix = "#/components/schemas/"

// schemaBuilder writes an operation's schemas as JSON Schema draft
// 2020-12: references to the document's component schemas become
// references to $defs of the input schema, and OpenAPI 3.0's dialect
// (nullable, boolean exclusiveMinimum and exclusiveMaximum) its 2020-12
// equivalent.
type schemaBuilder struct {
	doc  *openapi3.T
	v30  bool
	defs map[string]any
}

func newSchemaBuilder(doc *openapi3.T) *schemaBuilder {
	return &schemaBuilder{doc: doc, v30: strings.HasPrefix(doc.OpenAPI, "3.0."), defs: map[string]any{}}
}

// convert writes one schema of the document.
func (s *schemaBuilder) convert(ref *openapi3.SchemaRef) (map[string]any, error) {
	if ref == nil {
		return map[string]any{}, nil
	}
	raw, err := json.Marshal(ref)
	if err != nil {
		return nil, fmt.Errorf("its schema cannot be read: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("its schema cannot be read: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		if b, ok := v.(bool); ok && !b {
			return map[string]any{"not": map[string]any{}}, nil
		}
		return map[string]any{}, nil
	}
	if err := s.walk(m); err != nil {
		return nil, err
	}
	return m, nil
}

// paramSchema is a parameter's schema, with the parameter's description.
func (s *schemaBuilder) paramSchema(p *openapi3.Parameter) (map[string]any, error) {
	m, err := s.convert(p.Schema)
	if err != nil {
		return nil, err
	}
	if _, ok := m["description"]; !ok && p.Description != "" {
		m["description"] = p.Description
	}
	return m, nil
}

// Keywords whose value is a schema, a list of schemas, or an object of
// schemas.
var (
	schemaKeywords    = []string{"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems", "contentSchema"}
	schemaListKeyword = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
	schemaMapKeywords = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
	// openAPIOnly are the OpenAPI keywords of a schema object that JSON
	// Schema does not know; x- extensions go too.
	openAPIOnly = []string{"xml", "externalDocs", "discriminator"}
)

// walk rewrites one schema in place.
func (s *schemaBuilder) walk(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		if list, ok := v.([]any); ok { // items as a list, in older drafts
			for _, x := range list {
				if err := s.walk(x); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if r, ok := m["$ref"].(string); ok {
		to, err := s.def(r)
		if err != nil {
			return err
		}
		m["$ref"] = to
	}
	if s.v30 {
		dialect30(m)
	}
	for k, x := range m {
		switch {
		case strings.HasPrefix(k, "x-") || slices.Contains(openAPIOnly, k):
			delete(m, k)
		case slices.Contains(schemaKeywords, k):
			if err := s.walk(x); err != nil {
				return err
			}
		case slices.Contains(schemaListKeyword, k):
			list, _ := x.([]any)
			for _, y := range list {
				if err := s.walk(y); err != nil {
					return err
				}
			}
		case slices.Contains(schemaMapKeywords, k):
			sub, _ := x.(map[string]any)
			for _, y := range sub {
				if err := s.walk(y); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// used returns the $defs v refers to, directly or through other $defs.
func (s *schemaBuilder) used(v any) map[string]any {
	out := map[string]any{}
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				visit(x)
			}
		case map[string]any:
			for k, x := range v {
				if r, ok := x.(string); ok && k == "$ref" {
					name := defName(r)
					if _, done := out[name]; !done && s.defs[name] != nil {
						out[name] = s.defs[name]
						visit(s.defs[name])
					}
					continue
				}
				visit(x)
			}
		}
	}
	visit(v)
	return out
}

func defName(ref string) string {
	name, _ := refToken(strings.TrimPrefix(ref, "#/$defs/"))
	return name
}

// refToken decodes one token of a JSON pointer written in a URI fragment,
// as a $ref is: percent-decoded first (RFC 6901 §6), then ~1 and ~0 (§4).
func refToken(tok string) (string, bool) {
	s, err := url.PathUnescape(tok)
	if err != nil {
		return "", false
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s), true
}

// def makes the component schema a reference names a $def, and returns
// the reference to it.
func (s *schemaBuilder) def(ref string) (string, error) {
	tok, ok := strings.CutPrefix(ref, componentsPrefix)
	if !ok || strings.Contains(tok, "/") {
		return "", fmt.Errorf("its schema refers to %s; references to #/components/schemas/… are followed", ref)
	}
	name, ok := refToken(tok)
	if !ok {
		return "", fmt.Errorf("its schema refers to %s, which is not a JSON pointer (a %% not followed by two hex digits)", ref)
	}
	to := "#/$defs/" + tok
	if _, done := s.defs[name]; done {
		return to, nil
	}
	comp, ok := s.doc.Components.Schemas[name]
	if !ok || comp == nil {
		return "", fmt.Errorf("its schema refers to %s, which the document does not define", ref)
	}
	// Placed before converting, so that a schema referring to itself
	// finds it.
	s.defs[name] = map[string]any{}
	m, err := s.convert(&openapi3.SchemaRef{Ref: comp.Ref, Value: comp.Value})
	if err != nil {
		return "", err
	}
	s.defs[name] = m
	return to, nil
}

// dialect30 rewrites the OpenAPI 3.0 keywords that mean something else
// in JSON Schema 2020-12.
func dialect30(m map[string]any) {
	if n, ok := m["nullable"].(bool); ok {
		delete(m, "nullable")
		if n {
			switch t := m["type"].(type) {
			case string:
				m["type"] = []any{t, "null"}
			case []any:
				if !slices.Contains(t, any("null")) {
					m["type"] = append(t, "null")
				}
			}
			if e, ok := m["enum"].([]any); ok && !slices.Contains(e, nil) {
				m["enum"] = append(e, nil)
			}
		}
	}
	for _, b := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
		ex, ok := m[b[0]].(bool)
		if !ok {
			continue
		}
		delete(m, b[0])
		if lim, has := m[b[1]]; ex && has {
			m[b[0]] = lim
			delete(m, b[1])
		}
	}
}

// objectProperties returns the properties of a body schema that is a
// plain object (itself or by a $ref): no composition, no schema for
// additional properties.
func (s *schemaBuilder) objectProperties(schema map[string]any) (map[string]any, []string, bool) {
	if r, ok := schema["$ref"].(string); ok && len(schema) == 1 {
		def, ok := s.defs[defName(r)].(map[string]any)
		if !ok {
			return nil, nil, false
		}
		schema = def
	}
	props, ok := schema["properties"].(map[string]any)
	if !ok || len(props) == 0 {
		return nil, nil, false
	}
	if t, ok := schema["type"]; ok && t != "object" {
		return nil, nil, false
	}
	for _, k := range []string{"$ref", "allOf", "anyOf", "oneOf", "not", "if", "patternProperties", "unevaluatedProperties", "dependentSchemas"} {
		if _, ok := schema[k]; ok {
			return nil, nil, false
		}
	}
	if ap, ok := schema["additionalProperties"]; ok {
		if _, isBool := ap.(bool); !isBool {
			return nil, nil, false
		}
	}
	var required []string
	if r, ok := schema["required"].([]any); ok {
		for _, x := range r {
			if n, ok := x.(string); ok {
				required = append(required, n)
			}
		}
	}
	return props, required, true
}
