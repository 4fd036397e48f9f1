package portico

import (
	"context"
	"encoding/json"
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
