package portico_test

import (
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

func TestTemplates_EveryOneValidates(t *testing.T) {
	slugs := portico.TemplateSlugs()
	for _, want := range []string{"github", "google", "slack", "notion", "hubspot", "salesforce", "stripe", "linear", "jira", "openai"} {
		if _, ok := portico.Template(want); !ok {
			t.Errorf("the catalogue lacks %s (has %v)", want, slugs)
		}
	}
	for _, slug := range slugs {
		in, _ := portico.Template(slug)
		in.Slug = slug
		if in.BaseURL == "" {
			in.BaseURL = "https://tenant.example.com"
		}
		if in.Auth.OAuth2 != nil {
			in.Auth.OAuth2.ClientID = "client"
		}
		if err := in.Validate(false); err != nil {
			t.Errorf("template %s: %v", slug, err)
		}
		if in.Template != slug {
			t.Errorf("template %s names itself %q", slug, in.Template)
		}
	}
}

// TestTemplate_IsACopy: validating or editing a template's copy leaves the
// catalogue as it was.
func TestTemplate_IsACopy(t *testing.T) {
	a, _ := portico.Template("github")
	before, _ := json.Marshal(a)
	a.Actions[0].Name = "changed"
	a.Auth.OAuth2.Scopes[0].Name = "changed"
	a.Actions[0].InputSchema[0] = 'X'
	b, _ := portico.Template("github")
	if after, _ := json.Marshal(b); string(after) != string(before) {
		t.Fatalf("the catalogue changed:\n%s\n%s", before, after)
	}
}

func minimal(base, format, path string) *portico.Integration {
	return &portico.Integration{Slug: "x", Name: "X", BaseURL: base,
		Auth: portico.AuthConfig{Type: portico.AuthAPIKey, Fields: []portico.Field{{Name: "api_key", Secret: true}},
			Inject: &portico.Inject{Header: "Authorization", Format: format}},
		Actions: []portico.Action{{Name: "a", Method: "GET", Path: path}}}
}

func isPrivateIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified())
}

func FuzzIntegration_BaseURL(f *testing.F) {
	for _, s := range []string{"https://api.github.com", "http://127.0.0.1:9000", "https://10.0.0.1", "javascript:alert(1)",
		"https://user@h.com", "https://h.com/#x", "https://[::1]", "https://h.com:99999", "HTTPS://H.COM", "https://h.com/%2e%2e/",
		"https://0x7f.1", "https://h.com\\@evil.com", "http://[::ffff:127.0.0.1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, private := range []bool{false, true} {
			in := minimal(s, "Bearer {api_key}", "/x")
			if err := in.Validate(private); err != nil {
				if portico.ErrorCode(err) != portico.CodeValidation {
					t.Fatalf("%q: %v", s, err)
				}
				continue
			}
			u, err := url.Parse(in.BaseURL)
			if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || u.RawQuery != "" || strings.ContainsAny(in.BaseURL, " \r\n\t\\") {
				t.Fatalf("accepted %q (%v)", s, err)
			}
			switch {
			case u.Scheme == "https":
			case u.Scheme == "http" && private:
				if ip := net.ParseIP(u.Hostname()); !strings.EqualFold(u.Hostname(), "localhost") && (ip == nil || !ip.IsLoopback()) {
					t.Fatalf("accepted plain http to %q", s)
				}
			default:
				t.Fatalf("accepted %q with allowPrivate=%v", s, private)
			}
			if !private && (isPrivateIP(u.Hostname()) || strings.EqualFold(u.Hostname(), "localhost")) {
				t.Fatalf("accepted a private host %q", s)
			}
		}
	})
}

func FuzzIntegration_InjectFormat(f *testing.F) {
	for _, s := range []string{"Bearer {api_key}", "{api_key}", "{api_key", "{{api_key}}", "x{}", "{api_key}\r\n", "Token {api_key} {api_key}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := minimal("https://api.example.com", s, "/x")
		if err := in.Validate(false); err != nil {
			return
		}
		if !strings.Contains(s, "{api_key}") || strings.ContainsAny(s, "\r\n\x00") ||
			strings.Count(s, "{") != strings.Count(s, "}") || strings.Count(s, "{") != strings.Count(s, "{api_key}") {
			t.Fatalf("accepted format %q", s)
		}
	})
}

func FuzzIntegration_ActionPath(f *testing.F) {
	for _, s := range []string{"/user/repos", "//evil.com", "/a/../b", "/a?b", "/{id}", "relative", "/%2e%2e/x", "/a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := minimal("https://api.example.com", "{api_key}", s)
		if err := in.Validate(false); err != nil {
			return
		}
		u, err := url.Parse("https://api.example.com" + s)
		if err != nil || u.Host != "api.example.com" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") ||
			strings.ContainsAny(s, "?#\\ {}\r\n") {
			t.Fatalf("accepted path %q (%v)", s, err)
		}
		for _, seg := range strings.Split(s, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("accepted path %q", s)
			}
		}
	})
}

func TestCheckCredentials(t *testing.T) {
	in, _ := portico.Template("github")
	in.Slug, in.Auth.OAuth2.ClientID = "github", "c"
	if err := in.Validate(false); err != nil {
		t.Fatal(err)
	}
	ch, err := in.CheckCredentials(portico.Credentials{"access_token": "a", "refresh_token": "r", "expires_at": "2030-01-02T03:04:05.9+01:00", "scope": ""})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ExpiresAt == nil || ch.ExpiresAt.Format("2006-01-02T15:04:05Z07:00") != "2030-01-02T02:04:05Z" || !ch.Refreshable ||
		strings.Join(ch.Fields, ",") != "access_token,refresh_token" || ch.Values["expires_at"] != "2030-01-02T02:04:05Z" {
		t.Fatalf("checked %+v %v", ch, ch.ExpiresAt)
	}
	if _, ok := ch.Values["scope"]; ok {
		t.Fatal("an empty optional value was kept")
	}
}

// JSONDepth counts nesting from the bytes, ignoring brackets in strings.
func TestJSONDepth(t *testing.T) {
	for in, want := range map[string]int{
		`{}`: 1, `[]`: 1, `1`: 0, `{"a":[{"b":{}}]}`: 4, `{"a":"[[[{{{"}`: 1, `{"a":"\"[["}`: 1, `{"a":"\\\\","b":[]}`: 2,
	} {
		if got := portico.JSONDepth([]byte(in)); got != want {
			t.Errorf("JSONDepth(%s) = %d, want %d", in, got, want)
		}
	}
}
