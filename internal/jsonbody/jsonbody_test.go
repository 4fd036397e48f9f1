package jsonbody_test

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

func TestDecode(t *testing.T) {
	type inner struct {
		B int `json:"b"`
	}
	type target struct {
		A     string          `json:"a"`
		In    inner           `json:"in"`
		L     []inner         `json:"l"`
		S     []string        `json:"s"`
		OK    *bool           `json:"ok"`
		F     float64         `json:"f"`
		M     map[string]int  `json:"m"`
		Raw   json.RawMessage `json:"raw"`
		Any   any             `json:"any"`
		Bytes []byte          `json:"bytes"`
	}
	for _, tc := range []struct {
		name, body string
		code       portico.Code
		field      string
	}{
		{"ok", `{"a":"x","in":{"b":1},"l":[{"b":2}]}`, "", ""},
		{"empty object", `{}`, "", ""},
		{"trailing space", "{} \n", "", ""},
		{"duplicate key", `{"a":"x","a":"y"}`, portico.CodeInvalid, "a"},
		{"nested duplicate key", `{"in":{"b":1,"b":2}}`, portico.CodeInvalid, "in.b"},
		{"duplicate key in array element", `{"l":[{"b":1},{"b":2,"b":3}]}`, portico.CodeInvalid, "l[1].b"},
		{"unknown field", `{"a":"x","zzz":1}`, portico.CodeInvalid, "zzz"},
		{"wrong type", `{"a":1}`, portico.CodeInvalid, "a"},
		{"wrong nested type", `{"in":{"b":"1"}}`, portico.CodeInvalid, "in.b"},
		{"not an object", `[]`, portico.CodeInvalid, ""},
		{"null body", " null\n", portico.CodeInvalid, ""},
		{"empty", ``, portico.CodeInvalid, ""},
		{"truncated", `{"a":`, portico.CodeInvalid, ""},
		{"syntax", `{"a" "x"}`, portico.CodeInvalid, ""},
		{"two values", `{} {}`, portico.CodeInvalid, ""},
		{"trailing garbage", `{}x`, portico.CodeInvalid, ""},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", portico.CodeInvalid, ""},
		{"deep but allowed", strings.Repeat(`{"in":`, 1) + `{"b":1}}`, "", ""},
		{"case variant of a known key", `{"a":"x","A":"y"}`, portico.CodeInvalid, "A"},
		{"case variant alone", `{"A":"y"}`, portico.CodeInvalid, "A"},
		{"nested unknown field", `{"in":{"b":1,"c":2}}`, portico.CodeInvalid, "in.c"},
		{"unknown field in array element", `{"l":[{"b":1},{"x":2}]}`, portico.CodeInvalid, "l[1].x"},
		{"wrong type in array element", `{"l":[{"b":1},{"b":"2"}]}`, portico.CodeInvalid, "l[1].b"},
		{"wrong element type", `{"s":["a",2]}`, portico.CodeInvalid, "s[1]"},
		{"object for a string", `{"a":{}}`, portico.CodeInvalid, "a"},
		{"array for an object", `{"in":[]}`, portico.CodeInvalid, "in"},
		{"object for an array", `{"l":{}}`, portico.CodeInvalid, "l"},
		{"fraction for an integer", `{"in":{"b":1.5}}`, portico.CodeInvalid, "in.b"},
		{"exponent for an integer", `{"in":{"b":1e3}}`, portico.CodeInvalid, "in.b"},
		{"number for a boolean", `{"ok":1}`, portico.CodeInvalid, "ok"},
		{"largest integer", `{"in":{"b":9223372036854775807}}`, "", ""},
		{"integer beyond int64", `{"in":{"b":9223372036854775808}}`, portico.CodeValidation, "in.b"},
		{"integer below int64", `{"in":{"b":-9223372036854775809}}`, portico.CodeValidation, "in.b"},
		{"huge integer in array element", `{"l":[{"b":1},{"b":99999999999999999999}]}`, portico.CodeValidation, "l[1].b"},
		{"wrong type in a map value", `{"m":{"x":1,"y":"2"}}`, portico.CodeInvalid, "m.y"},
		{"null anywhere", `{"a":null,"in":null,"l":[null],"s":null,"ok":null,"f":null,"m":{"x":null}}`, "", ""},
		{"float", `{"f":-1.5e3}`, "", ""},
		{"anything in raw", `{"raw":[1,{"x":"y"}],"any":{"z":[true]}}`, "", ""},
		{"bytes as base64", `{"bytes":"aGk="}`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v target
			err := jsonbody.Decode([]byte(tc.body), &v)
			if got := portico.ErrorCode(err); got != tc.code {
				t.Fatalf("code = %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil {
				if got := portico.AsError(err).Field; got != tc.field {
					t.Fatalf("field = %q, want %q", got, tc.field)
				}
			}
		})
	}
}

// Naming a deep unknown field stays linear: a 1 MiB body of nested metadata
// with long keys used to allocate gigabytes to build the path at each level.
func TestDecode_DeepUnknownFieldIsCheap(t *testing.T) {
	key := strings.Repeat("k", 100)
	depth := 9000
	body := `{"external_id":"u","metadata":` + strings.Repeat(`{"`+key+`":`, depth) + `1` + strings.Repeat("}", depth) + `,"bogus":1}`
	var v api.UserCreate
	start := time.Now()
	err := jsonbody.Decode([]byte(body), &v)
	if portico.AsError(err).Field != "bogus" {
		t.Fatalf("err = %v, want unknown field bogus", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

// A body nested to the limit of a 1 MiB request is refused quickly and
// cheaply: naming the path at every level used to make this quadratic
// (minutes and gigabytes for 100,000 levels).
func TestCheckDuplicateKeys_DeepNesting(t *testing.T) {
	for name, body := range map[string]string{
		"arrays":  strings.Repeat("[", jsonbody.MaxBytes),
		"objects": strings.Repeat(`{"a":`, jsonbody.MaxBytes/5),
		"closed":  strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := jsonbody.CheckDuplicateKeys([]byte(body))
			if portico.ErrorCode(err) != portico.CodeInvalid {
				t.Fatalf("err = %v, want invalid_request", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
	// encoding/json's own limit still decodes.
	ok := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	var v any
	if err := jsonbody.Decode([]byte(ok), &v); err != nil {
		t.Fatalf("10000 levels: %v", err)
	}
}

var decodeSeeds = []string{
	`{"external_id":"u-1","email":"ann@example.com","name":"Ann","metadata":{"a":[1,2,{"b":null}]},"account_ids":["x"]}`,
	`{"external_id":"a","external_id":"b"}`,
	`{"metadata":{"k":1,"k":2}}`,
	`{"a":{"b":[{"c":1},{"c":2,"c":3}]}}`,
	`{"external_id":"\u00e9\ud83d\ude00","EXTERNAL_ID":"x"}`,
	`[1,"two",{"three":3.0e0},true,false,null]`,
	`"just a string"`,
	`{} {}`,
	`{"unterminated":`,
	"{\"bad\":\"\xff\"}",
	`{"n":1e999}`,
	`{"a":"\ud800"}`,
	strings.Repeat("[", 64),
}

// FuzzDecode: Decode never panics, and whatever it accepts
// encoding/json reads identically, so the strict checks only ever narrow
// what the plain decoder would accept.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var strict api.UserCreate
		if err := jsonbody.Decode(body, &strict); err == nil {
			var plain api.UserCreate
			if err := json.Unmarshal(body, &plain); err != nil {
				t.Fatalf("Decode accepted %q, encoding/json refused it: %v", body, err)
			}
			if !reflect.DeepEqual(strict, plain) {
				t.Fatalf("%q decodes differently:\nstrict %+v\nplain  %+v", body, strict, plain)
			}
		} else if portico.ErrorCode(err) == portico.CodeInternal {
			t.Fatalf("an internal error for a client's body: %v", err)
		}
		var strictAny any
		if err := jsonbody.Decode(body, &strictAny); err == nil {
			var plainAny any
			if err := json.Unmarshal(body, &plainAny); err != nil {
				t.Fatalf("Decode accepted %q, encoding/json refused it: %v", body, err)
			}
			if !reflect.DeepEqual(strictAny, plainAny) {
				t.Fatalf("%q decodes differently:\nstrict %#v\nplain  %#v", body, strictAny, plainAny)
			}
		}
	})
}

// FuzzCheckDuplicateKeys: never panics, answers only invalid_request, and
// accepts every valid document whose objects repeat no key.
func FuzzCheckDuplicateKeys(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := jsonbody.CheckDuplicateKeys(body)
		if err != nil {
			if c := portico.ErrorCode(err); c != portico.CodeInvalid {
				t.Fatalf("code %q for %q: %v", c, body, err)
			}
			return
		}
		// A document this walk accepts is one JSON value, maybe followed
		// by more: the first one must be valid JSON.
		dec := json.NewDecoder(strings.NewReader(string(body)))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("accepted %q, which is not JSON: %v", body, err)
		}
	})
}

// An unknown field names the field most likely meant, found in the target
// types: a moved field by its path, a typo by edit distance.
func TestDecode_SuggestsTheNearestField(t *testing.T) {
	type action struct {
		Name   string `json:"name"`
		Method string `json:"method"`
	}
	type integration struct {
		Name    string   `json:"name"`
		Actions []action `json:"actions"`
	}
	for _, tc := range []struct {
		name, body string
		into       any
		field      string
		suggestion string // "": none
		message    string
	}{
		{"moved into user", `{"external_id":"u-42"}`, &api.SessionCreate{}, "external_id", "user.external_id",
			`Unknown field "external_id"; did you mean "user.external_id"?`},
		{"moved into settings", `{"session_ttl_seconds":60}`, &api.AppUpdate{}, "session_ttl_seconds", "settings.session_ttl_seconds",
			`Unknown field "session_ttl_seconds"; did you mean "settings.session_ttl_seconds"?`},
		{"moved two levels down", `{"primary_color":"#000000"}`, &api.AppUpdate{}, "primary_color", "settings.theme.primary_color", ""},
		{"moved up", `{"user":{"external_id":"u","ttl_seconds":60}}`, &api.SessionCreate{}, "user.ttl_seconds", "ttl_seconds", ""},
		{"the shallower, earlier field of that name", `{"name":"Ann"}`, &api.SessionCreate{}, "name", "user.name", ""},
		{"transposed letters", `{"external_id":"u-45","nmae":"typo"}`, &api.UserCreate{}, "nmae", "name",
			`Unknown field "nmae"; did you mean "name"?`},
		{"two edits", `{"extrnal_d":"u"}`, &api.UserCreate{}, "extrnal_d", "external_id", ""},
		{"other capitals", `{"External_ID":"u"}`, &api.UserCreate{}, "External_ID", "external_id", ""},
		{"typo in a nested object", `{"user":{"emial":"a@b.c"}}`, &api.SessionCreate{}, "user.emial", "user.email", ""},
		{"typo in an array element keeps the index", `{"actions":[{"name":"a"},{"nmae":"b"}]}`, &integration{}, "actions[1].nmae", "actions[1].name", ""},
		{"typo of a field elsewhere", `{"exteral_id":"u"}`, &api.SessionCreate{}, "exteral_id", "user.external_id", ""},
		{"the first words of a field", `{"settings":{"session_ttl":5}}`, &api.AppUpdate{}, "settings.session_ttl", "settings.session_ttl_seconds",
			`Unknown field "settings.session_ttl"; did you mean "settings.session_ttl_seconds"?`},
		{"a field and more words", `{"user":{"external_id":"u"},"ttl_seconds_max":5}`, &api.SessionCreate{}, "ttl_seconds_max", "ttl_seconds", ""},
		{"nothing near", `{"external_id":"u","bogus_field":1}`, &api.UserCreate{}, "bogus_field", "", `Unknown field "bogus_field".`},
		{"a short key is not corrected", `{"nm":"x"}`, &api.UserCreate{}, "nm", "", ""},
		{"three edits are too many", `{"nmaee_x":"x"}`, &api.UserCreate{}, "nmaee_x", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := jsonbody.Decode([]byte(tc.body), tc.into)
			e := portico.AsError(err)
			if e.Code != portico.CodeInvalid || e.Field != tc.field {
				t.Fatalf("err = %v, want invalid_request on %s", err, tc.field)
			}
			got, _ := e.Details["suggestion"].(string)
			if got != tc.suggestion {
				t.Fatalf("suggestion = %q, want %q (%s)", got, tc.suggestion, e.Message)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Fatalf("message = %q, want %q", e.Message, tc.message)
			}
			if tc.suggestion == "" && e.Details != nil {
				t.Fatalf("details %v without a suggestion", e.Details)
			}
		})
	}
}

// A huge unknown key costs no more than a short one: the distance is not
// computed between strings of very different lengths.
func TestDecode_SuggestionOfAHugeKeyIsCheap(t *testing.T) {
	body := `{"` + strings.Repeat("n", jsonbody.MaxBytes-10) + `":1}`
	start := time.Now()
	err := jsonbody.Decode([]byte(body), &api.SessionCreate{})
	if portico.ErrorCode(err) != portico.CodeInvalid {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
}

// A value refused by a type's own UnmarshalJSON (a time, a query value)
// is answered in the project's words, never with the library's message.
func TestDecode_OwnUnmarshalErrorsAreNotEchoed(t *testing.T) {
	var v struct {
		At *api.Time      `json:"at"`
		Q  api.QueryValue `json:"q"`
	}
	for _, tc := range []struct{ body, want string }{
		{`{"at":"yesterday"}`, "at is not RFC 3339 text such as 2026-01-02T15:04:05Z."},
		{`{"q":{"x":1}}`, "q does not have the form it takes."},
		{`{"q":null}`, "q does not have the form it takes."},
		{`{"q" : [ "a", 7 ]}`, "q does not have the form it takes."},
	} {
		err := jsonbody.Decode([]byte(tc.body), &v)
		field := strings.SplitN(tc.want, " ", 2)[0]
		if got := portico.AsError(err); got.Code != portico.CodeInvalid || got.Message != tc.want || got.Field != field {
			t.Errorf("%s: got %q %q (field %q), want invalid_request %q", tc.body, got.Code, got.Message, got.Field, tc.want)
		}
	}
	// A null pointer is left nil, as encoding/json leaves it.
	if err := jsonbody.Decode([]byte(`{"at":null}`), &v); err != nil || v.At != nil {
		t.Errorf("null time: %v %v", err, v.At)
	}
	// Nested, with the full path; and values it takes still decode.
	var w struct {
		Request struct {
			Query map[string]api.QueryValue `json:"query"`
		} `json:"request"`
	}
	if err := jsonbody.Decode([]byte(`{"request":{"query":{"ok":"1","tag":[1]}}}`), &w); portico.AsError(err).Field != "request.query.tag" {
		t.Errorf("nested: %v (field %q)", err, portico.AsError(err).Field)
	}
	if err := jsonbody.Decode([]byte(`{"request":{"query":{"a":"1","b":["x","y"]}}}`), &w); err != nil || len(w.Request.Query["b"]) != 2 {
		t.Errorf("good query: %v %v", err, w.Request.Query)
	}
}

// A compressed body is refused as a media type the API does not take,
// rather than read as bytes that are "not valid UTF-8".
func TestRead_CompressedBodyIsUnsupported(t *testing.T) {
	for enc, want := range map[string]portico.Code{"gzip": portico.CodeUnsupportedMediaType, "br": portico.CodeUnsupportedMediaType, "identity": "", "": ""} {
		r := httptest.NewRequest("POST", "/v1/sessions", strings.NewReader(`{}`))
		r.Header.Set("Content-Type", "application/json")
		if enc != "" {
			r.Header.Set("Content-Encoding", enc)
		}
		_, err := jsonbody.Read(r, true, false)
		if got := portico.ErrorCode(err); got != want {
			t.Errorf("Content-Encoding %q: %q (%v), want %q", enc, got, err, want)
		}
	}
}
