package portico

import (
	"encoding/json"
	"testing"
)

// Settings fill a URL template: in the host only host name labels, in the
// path one escaped segment; nothing a value holds can move the request to
// another host or path.
func TestExpandURL(t *testing.T) {
	for _, c := range []struct {
		tmpl     string
		settings map[string]string
		want     string
		bad      string // the field named when refused
	}{
		{"https://{site}.atlassian.net", map[string]string{"site": "Acme"}, "https://acme.atlassian.net", ""},
		{"https://www.zohoapis.{dc}/crm/v6", map[string]string{"dc": "com.au"}, "https://www.zohoapis.com.au/crm/v6", ""},
		{"https://{host}", map[string]string{"host": "acme.my.salesforce.com"}, "https://acme.my.salesforce.com", ""},
		{"https://api.example.com/v3/company/{realm}", map[string]string{"realm": "a/b?c"}, "https://api.example.com/v3/company/a%2Fb%3Fc", ""},
		{"https://{site}.atlassian.net", map[string]string{"site": "evil.com/"}, "", "settings.site"},
		{"https://{site}.atlassian.net", map[string]string{"site": "a@b"}, "", "settings.site"},
		{"https://{site}.atlassian.net", map[string]string{"site": "x:1"}, "", "settings.site"},
		{"https://api.example.com/{org}", map[string]string{"org": ".."}, "", "settings.org"},
		// What an upstream that decodes the path again would read as ..
		// or a control character: refused as in an action's input.
		{"https://api.example.com/{org}/api", map[string]string{"org": "%2e%2e"}, "", "settings.org"},
		{"https://api.example.com/{org}/api", map[string]string{"org": "%252e%252e"}, "", "settings.org"},
		{"https://api.example.com/{org}/api", map[string]string{"org": "%00"}, "", "settings.org"},
		{"https://login.example.com/{tenant}/oauth2/token", map[string]string{"tenant": "%2e%2e%2f"}, "", "settings.tenant"},
		{"https://api.example.com/{org}/api", map[string]string{"org": "100% pure"}, "https://api.example.com/100%25%20pure/api", ""},
	} {
		got, err := expandURL(c.tmpl, c.settings)
		if c.bad != "" {
			if err == nil || AsError(err).Field != c.bad {
				t.Errorf("%s %v: %q %v, want a refusal naming %s", c.tmpl, c.settings, got, err, c.bad)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %v: %q %v, want %q", c.tmpl, c.settings, got, err, c.want)
		}
	}
}

func TestJSONPointer(t *testing.T) {
	var doc any
	json.Unmarshal([]byte(`{"a":{"b/c":[10,{"~d":"x"}]},"":"empty"}`), &doc)
	for p, want := range map[string]any{"/a/b~1c/0": 10.0, "/a/b~1c/1/~0d": "x", "/": "empty"} {
		if got, ok := JSONPointer(doc, p); !ok || got != want {
			t.Errorf("%s = %v %v, want %v", p, got, ok, want)
		}
	}
	for _, p := range []string{"/a/x", "/a/b~1c/2", "/a/b~1c/01", "a", "/a/b~1c/-1"} {
		if got, ok := JSONPointer(doc, p); ok {
			t.Errorf("%s = %v, want none", p, got)
		}
	}
}
