package portico

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A pattern that is not RE2 syntax is refused when the integration is
// defined, naming the place of the pattern in the schema.
func TestPutIntegration_RefusesBadPattern(t *testing.T) {
	svc := &Service{}
	for schema, field := range map[string]string{
		`{"type":"object","properties":{"repo":{"type":"string","pattern":"(?<=x)"}}}`:                     "actions[0].input_schema.properties.repo.pattern",
		`{"type":"object","pattern":"[","properties":{}}`:                                                  "actions[0].input_schema.pattern",
		`{"type":"object","properties":{"tags":{"type":"array","items":{"pattern":"a**"}}}}`:               "actions[0].input_schema.properties.tags.items.pattern",
		`{"type":"object","properties":{},"additionalProperties":{"type":"string","pattern":"\\p{Nope}"}}`: "actions[0].input_schema.additionalProperties.pattern",
	} {
		actions := []Action{{Name: "get", Method: "GET", Path: "/x", InputSchema: json.RawMessage(schema)}}
		base := "https://api.example.com"
		_, _, err := svc.PutIntegration(context.Background(), "app_x", "crm", IntegrationInput{Template: "stripe", BaseURL: &base, Actions: &actions})
		e, ok := err.(*Error)
		if !ok || e.Code != CodeValidation || e.Field != field {
			t.Errorf("schema %s: %v; want validation_failed on %s", schema, err, field)
		}
	}
}

// Each schema text is compiled once per Service, and validates as
// ValidateInput does.
func TestSchemaCache_CompilesOnce(t *testing.T) {
	var sc schemaCache
	schema := json.RawMessage(`{"type":"object","properties":{"re":{"type":"string","pattern":"^x+$"}}}`)
	a, err := sc.get(schema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sc.get(append(json.RawMessage(nil), schema...))
	if err != nil || a != b {
		t.Fatalf("second get = %p, %v; want the first compile %p", b, err, a)
	}
	other, _ := sc.get(json.RawMessage(`{"type":"object"}`))
	if other == a {
		t.Fatal("another schema text shares the compiled schema")
	}
	for _, in := range []string{`{"re":"xx"}`, `{"re":"y"}`, `[]`} {
		_, got := a.validate(json.RawMessage(in))
		_, want := ValidateInput(schema, json.RawMessage(in))
		if ErrorCode(got) != ErrorCode(want) || (got != nil && got.Error() != want.Error()) {
			t.Errorf("input %s: cached %v, ValidateInput %v", in, got, want)
		}
	}
}

// The keywords OpenAPI-derived schemas use beyond the simple ones: $ref
// inside the schema, oneOf, anyOf, allOf, format; each failure names the
// field.
func TestValidateInput_Draft2020(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","$defs":{"email":{"type":"string","format":"email"}},"properties":{
		"to":{"$ref":"#/$defs/email"},
		"id":{"oneOf":[{"type":"string","minLength":1},{"type":"integer"}]},
		"when":{"anyOf":[{"type":"string","format":"date-time"},{"type":"null"}]},
		"pet":{"allOf":[{"type":"object","required":["name"]},{"properties":{"tags":{"type":"array","items":{"$ref":"#/$defs/email"}}}}]}}}`)
	for in, field := range map[string]string{
		`{"to":"ann@example.com","id":7,"when":null,"pet":{"name":"x","tags":["a@b.co"]}}`: "",
		`{"to":"nope"}`: "input.to", `{"id":1.5}`: "input.id", `{"when":"yesterday"}`: "input.when",
		`{"pet":{}}`: "input.pet.name", `{"pet":{"name":"x","tags":["a@b.co","x"]}}`: "input.pet.tags[1]",
	} {
		_, err := ValidateInput(schema, json.RawMessage(in))
		got := ""
		if err != nil {
			got = AsError(err).Field
			if ErrorCode(err) != CodeValidation {
				t.Errorf("%s: code %s", in, ErrorCode(err))
			}
		}
		if got != field {
			t.Errorf("ValidateInput(%s): field %q (%v), want %q", in, got, err, field)
		}
	}
}

// A schema naming an earlier draft in $schema is read as that draft: in
// draft-04, exclusiveMaximum is a boolean beside maximum; in draft-06 on,
// a number of its own; in 2020-12, items is one schema for every element.
func TestValidateInput_EarlierDrafts(t *testing.T) {
	for _, c := range []struct{ schema, good, bad string }{
		{`{"$schema":"http://json-schema.org/draft-04/schema#","properties":{"n":{"maximum":5,"exclusiveMaximum":true}}}`, `{"n":4}`, `{"n":5}`},
		{`{"$schema":"http://json-schema.org/draft-06/schema#","properties":{"n":{"exclusiveMaximum":5}}}`, `{"n":4}`, `{"n":5}`},
		{`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"l":{"items":[{"type":"string"}]}}}`, `{"l":["a",1]}`, `{"l":[1]}`},
		{`{"$schema":"https://json-schema.org/draft/2019-09/schema","properties":{"l":{"items":[{"type":"string"}]}}}`, `{"l":["a",1]}`, `{"l":[1]}`},
	} {
		if _, err := ValidateInput(json.RawMessage(c.schema), json.RawMessage(c.good)); err != nil {
			t.Errorf("%s: %s refused: %v", c.schema, c.good, err)
		}
		if _, err := ValidateInput(json.RawMessage(c.schema), json.RawMessage(c.bad)); ErrorCode(err) != CodeValidation {
			t.Errorf("%s: %s: %v, want validation_failed", c.schema, c.bad, err)
		}
	}
}

// A $ref outside the schema is refused at PUT and never fetched; so is a
// schema that is not JSON Schema, naming the place.
func TestPutIntegration_RefusesUncompilableSchema(t *testing.T) {
	fetched := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched = true }))
	defer srv.Close()
	svc := &Service{}
	for schema, field := range map[string]string{
		`{"type":"object","properties":{"a":{"$ref":"` + srv.URL + `/s.json"}}}`: "actions[0].input_schema",
		`{"type":"object","$schema":"` + srv.URL + `/meta"}`:                     "actions[0].input_schema",
		`{"type":"object","properties":{"a":{"$ref":"#/$defs/nope"}}}`:           "actions[0].input_schema",
		`{"type":"object","properties":{"a":{"type":"strin"}}}`:                  "actions[0].input_schema.properties.a.type",
		`{"type":"object","properties":{"a":{"minLength":-1}}}`:                  "actions[0].input_schema.properties.a.minLength",
	} {
		actions := []Action{{Name: "get", Method: "GET", Path: "/x", InputSchema: json.RawMessage(schema)}}
		base := "https://api.example.com"
		_, _, err := svc.PutIntegration(context.Background(), "app_x", "crm", IntegrationInput{Template: "stripe", BaseURL: &base, Actions: &actions})
		e, ok := err.(*Error)
		if !ok || e.Code != CodeValidation || e.Field != field {
			t.Errorf("schema %s: %v; want validation_failed on %s", schema, err, field)
		}
	}
	if fetched {
		t.Error("a remote $ref was fetched")
	}
}

// A schema whose $refs lead back to themselves, with no keyword between
// that moves into the value, is refused when defined, naming the first
// such $ref; a recursive schema that descends into the value is not.
func TestCompileSchema_RefCycles(t *testing.T) {
	for schema, at := range map[string]string{
		`{"type":"object","$defs":{"x":{"$ref":"#/$defs/x"}},"properties":{"a":{"$ref":"#/$defs/x"}}}`:                                                                              "$defs.x",
		`{"type":"object","$defs":{"x":{"$ref":"#/$defs/y"},"y":{"type":"string","$ref":"#/$defs/x"}}}`:                                                                             "$defs.x",
		`{"type":"object","$defs":{"node":{"type":"object","properties":{"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"properties":{"root":{"$ref":"#/$defs/node"}}}`: "",
		`{"type":"object","$defs":{"x":{"type":"string"}},"properties":{"a":{"$ref":"#/$defs/x"}}}`:                                                                                 "",
		// Through keywords that apply a schema in place.
		`{"properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"allOf":[{"$ref":"#/$defs/A"}]}}}`:                                                        "$defs.A.allOf.0",
		`{"properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"allOf":[{"$ref":"#/$defs/B"}]},"B":{"anyOf":[{"type":"string"},{"$ref":"#/$defs/A"}]}}}`: "$defs.A.allOf.0",
		`{"properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"not":{"if":{"$ref":"#/$defs/A"}}}}}`:                                                     "$defs.A.not.if",
		`{"properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"dependentSchemas":{"x/y":{"$ref":"#/$defs/A"}}}}}`:                                       "$defs.A.dependentSchemas.x~1y",
		`{"properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"allOf":[{"properties":{"next":{"$ref":"#/$defs/A"}}}]}}}`:                                "",
		// Earlier drafts: definitions, and dependencies whose value is a schema.
		`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"dependencies":{"x":{"$ref":"#/definitions/A"}}}}}`: "definitions.A.dependencies.x",
		`{"$schema":"http://json-schema.org/draft-07/schema#","properties":{"a":{"$ref":"#/definitions/A"}},"definitions":{"A":{"dependencies":{"x":["y"]}}}}`:                      "",
		// A $ref that only leads into a cycle is not named: one on it is.
		`{"properties":{"a":{"$ref":"#/$defs/B"}},"$defs":{"B":{"allOf":[{"$ref":"#/$defs/B"}]}}}`: "$defs.B.allOf.0",
		`{"$defs":{"A":{"$ref":"#/$defs/B"},"B":{"allOf":[{"$ref":"#/$defs/B"}]}}}`:                "$defs.B.allOf.0",
	} {
		_, err := compileSchema(json.RawMessage(schema), true)
		var ce *schemaCompileError
		switch {
		case at == "" && err != nil:
			t.Errorf("%s: refused: %v", schema, err)
		case at != "" && (!errors.As(err, &ce) || ce.at != at):
			t.Errorf("%s: %v, want a cycle at %s", schema, err, at)
		}
	}
	// A cycle through the schema itself: its place is "", which must not
	// read as no cycle.
	for _, schema := range []string{
		`{"type":"object","$ref":"#"}`,
		`{"type":"object","$defs":{"r":{"$ref":"#"}},"$ref":"#/$defs/r"}`,
	} {
		_, err := compileSchema(json.RawMessage(schema), true)
		var ce *schemaCompileError
		if !errors.As(err, &ce) || ce.at != "" || !strings.Contains(ce.msg, "reference cycle") {
			t.Errorf("%s: %v, want a cycle at the schema itself", schema, err)
		}
	}
}
