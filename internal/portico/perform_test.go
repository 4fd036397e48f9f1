package portico_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

func TestResolvePath(t *testing.T) {
	const base = "https://api.example.com/v2"
	for p, want := range map[string]string{
		"/repos":                "https://api.example.com/v2/repos",
		"/repos/":               "https://api.example.com/v2/repos/",
		"/projects/group%2Fsub": "https://api.example.com/v2/projects/group%2Fsub",
		"/@evil.example/x":      "https://api.example.com/v2/@evil.example/x",
		"/a:b/c;d=e":            "https://api.example.com/v2/a:b/c;d=e",
		"/users/%C3%A9":         "https://api.example.com/v2/users/%C3%A9",
		"/files/a.b/..c":        "https://api.example.com/v2/files/a.b/..c",
		"/files/My%20Document":  "https://api.example.com/v2/files/My%20Document",
		"/files/a%2520b":        "https://api.example.com/v2/files/a%2520b",
	} {
		u, err := portico.ResolvePath(base, p)
		if err != nil || u.String() != want {
			t.Errorf("ResolvePath(%q) = %v, %v; want %s", p, u, err, want)
		}
	}
	for _, p := range []string{"", "repos", "//evil.example/x", "http://evil.example/", "/a//b", "/a/../b", "/..", "/a/.", "/a/..;/x", "/a/.;p/b", "/a/%2e%2e;x/b",
		"/%2e%2e/x", "/a/%2E%2e", "/a/.%2e/b", "/a/%252e%252e/b", "/a%2f..%2fb", "/a\\b", "/a%5cb", "/a%255cb", "/a?b", "/a#b",
		"/a b", "/a%09b", "/a%2509b", "/a%0d%0ab", "/a%00b", "/a\x00", "/%zz", "/%2F%2Fevil", "/" + strings.Repeat("a", 2048)} {
		if u, err := portico.ResolvePath(base, p); err == nil {
			t.Errorf("ResolvePath(%q) = %s; want refused", p, u)
		} else if portico.ErrorCode(err) != portico.CodeValidation {
			t.Errorf("ResolvePath(%q): code %s", p, portico.ErrorCode(err))
		}
	}
}

// FuzzResolvePath: whatever the path, an accepted one stays on the base
// URL's scheme and host, under its path, and holds no dot segment in any
// reading an upstream might decode.
func FuzzResolvePath(f *testing.F) {
	for _, s := range []string{"/repos", "//evil", "/a/../b", "/%2e%2e", "/a%252e", "/@x", "/a\\b", "/%2F%2F", "/a%2fb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := portico.ResolvePath("https://api.example.com/v2", p)
		if err != nil {
			return
		}
		if u.Scheme != "https" || u.Host != "api.example.com" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q escaped: %s", p, u)
		}
		reparsed, err := url.Parse(u.String())
		if err != nil || reparsed.Host != "api.example.com" || !strings.HasPrefix(reparsed.EscapedPath(), "/v2/") {
			t.Fatalf("%q: %s reparses as %v (%v)", p, u, reparsed, err)
		}
		cur := reparsed.EscapedPath()
		for range 4 {
			for _, seg := range strings.FieldsFunc(cur, func(r rune) bool { return r == '/' || r == '\\' }) {
				if seg == "." || seg == ".." {
					t.Fatalf("%q: %s has a dot segment", p, u)
				}
			}
			next, err := url.PathUnescape(cur)
			if err != nil {
				break
			}
			cur = next
		}
	})
}

func TestValidateInput(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","required":["id"],"additionalProperties":false,"properties":{
		"id":{"type":["string","integer"]},
		"n":{"type":"number","exclusiveMinimum":0,"maximum":10},
		"tags":{"type":"array","maxItems":2,"items":{"type":"string","maxLength":3}},
		"meta":{"type":"object","properties":{"k":{"const":"v"}},"additionalProperties":{"type":"boolean"}},
		"kind":{"enum":["a",1,null]},
		"re":{"type":"string","pattern":"^x+$"},
		"bad_re":{"type":"string","pattern":"(?<=x)"}}}`)
	for in, field := range map[string]string{
		`{"id":"a"}`: "", `{"id":7}`: "", `{"id":"a","n":10,"tags":["ab"],"meta":{"k":"v","z":true},"kind":null,"re":"xx"}`: "",
		`{}`: "input.id", `{"id":1.5}`: "input.id", `{"id":"a","n":0}`: "input.n", `{"id":"a","n":10.5}`: "input.n",
		`{"id":"a","tags":["a","b","c"]}`: "input.tags", `{"id":"a","tags":["abcd"]}`: "input.tags[0]",
		`{"id":"a","meta":{"k":"w"}}`: "input.meta.k", `{"id":"a","meta":{"z":1}}`: "input.meta.z", `{"id":"a","kind":2}`: "input.kind",
		`{"id":"a","re":"y"}`: "input.re", `{"id":"a","bad_re":"x"}`: "input.bad_re", `{"id":"a","other":1}`: "input.other",
		`[]`: "input", `"x"`: "input",
	} {
		_, err := portico.ValidateInput(schema, json.RawMessage(in))
		got := ""
		if err != nil {
			got = portico.AsError(err).Field
		}
		if got != field {
			t.Errorf("ValidateInput(%s): field %q (%v), want %q", in, got, err, field)
		}
	}
	if v, err := portico.ValidateInput(nil, nil); err != nil || len(v) != 0 {
		t.Errorf("no input, no schema: %v %v", v, err)
	}
}

// A raw path is refused with the reason that applies: bytes that are not
// UTF-8 once decoded (an overlong encoding of ., say) are not called a
// backslash or a control character.
func TestResolvePath_SaysWhy(t *testing.T) {
	for path, want := range map[string]string{
		"/x/%C0%AE%C0%AE/y": "must be UTF-8",
		"/x/\xff":           "must be UTF-8",
		"/a%5cb":            "backslash or control characters",
		"/a%0d%0ab":         "backslash or control characters",
		"/a/%2e%2e/b":       ". or .. segments",
	} {
		if _, err := portico.ResolvePath("https://api.example.com", path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", path, err, want)
		}
	}
}
