package portico_test

import (
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

var testPageKey = []byte("0123456789abcdef0123456789abcdef")

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// Every single-character change of a valid token is refused, whatever the
// length of the id inside (base64 leaves spare bits in the last character
// for two of every three lengths).
func TestPageCodec_RejectsEverySingleCharChange(t *testing.T) {
	p := portico.NewPageCodec(testPageKey)
	at := time.Date(2030, 1, 2, 3, 4, 5, 678000, time.UTC)
	for n := 1; n <= 40; n++ {
		c := portico.Cursor{CreatedAt: at, ID: strings.Repeat("x", n)}
		tok := p.Encode("scope", c)
		got, err := p.Decode("scope", tok)
		if err != nil || got != c {
			t.Fatalf("id length %d: round trip gave %+v, %v", n, got, err)
		}
		for i := 0; i < len(tok); i++ {
			for _, ch := range []byte(b64url + "=.+/ \x00") {
				if ch == tok[i] {
					continue
				}
				bad := tok[:i] + string(ch) + tok[i+1:]
				if _, err := p.Decode("scope", bad); err == nil {
					t.Fatalf("id length %d: %q accepted with char %d changed to %q", n, bad, i, ch)
				}
			}
		}
		for _, bad := range []string{tok + "A", tok[:len(tok)-1], "", tok + "="} {
			if _, err := p.Decode("scope", bad); err == nil {
				t.Fatalf("id length %d: %q accepted", n, bad)
			}
		}
	}
}

func TestPageCodec_ScopeAndKeyBind(t *testing.T) {
	p := portico.NewPageCodec(testPageKey)
	c := portico.Cursor{CreatedAt: time.Unix(1, 0).UTC(), ID: "usr_x"}
	tok := p.Encode("users\x00app_a", c)
	for _, scope := range []string{"users\x00app_b", "accounts\x00app_a", "users\x00app_a\x00", ""} {
		_, err := p.Decode(scope, tok)
		if portico.ErrorCode(err) != portico.CodeInvalid || portico.AsError(err).Field != "page_token" {
			t.Errorf("scope %q: err = %v, want invalid_request on page_token", scope, err)
		}
	}
	other := portico.NewPageCodec([]byte("another key, another deployment"))
	if _, err := other.Decode("users\x00app_a", tok); err == nil {
		t.Error("a token of another key was accepted")
	}
}

// FuzzPageCodecDecode: Decode never panics on any input; Encode→Decode
// round-trips; changing any one byte of a valid token is refused.
func FuzzPageCodecDecode(f *testing.F) {
	p := portico.NewPageCodec(testPageKey)
	f.Add("users", int64(1893553445000000), "usr_abc", "", 0, byte('A'))
	f.Add("accounts\x00app_x", int64(0), "a", "Zm9v", 5, byte('_'))
	f.Add("", int64(-1), "acc_-_-", "!!!", 100, byte(0))
	f.Add("s", int64(1<<62), "\xff\x00é", p.Encode("s", portico.Cursor{CreatedAt: time.UnixMicro(7).UTC(), ID: "id"}), 3, byte('='))
	f.Fuzz(func(t *testing.T, scope string, us int64, id string, junk string, pos int, b byte) {
		p.Decode(scope, junk) // must not panic
		if id == "" {
			return // ids are never empty
		}
		c := portico.Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: id}
		tok := p.Encode(scope, c)
		if len(tok) > 512 {
			return // longer than any real id makes
		}
		got, err := p.Decode(scope, tok)
		if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
			t.Fatalf("round trip of %+v gave %+v, %v", c, got, err)
		}
		if pos < 0 {
			pos = -pos
		}
		i := pos % len(tok)
		if tok[i] == b {
			return
		}
		bad := tok[:i] + string([]byte{b}) + tok[i+1:]
		if _, err := p.Decode(scope, bad); err == nil {
			t.Fatalf("token %q with byte %d changed to %q (%q) accepted", tok, i, b, bad)
		}
	})
}

func wellFormedText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s %q is not valid UTF-8", what, s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) && r != '\u200e' && r != '\u200f' && r != '\u061c' {
			t.Fatalf("%s %q holds %U", what, s, r)
		}
	}
}

// FuzzNormalizeEmail: never panics; an accepted address is valid UTF-8
// without control characters or white space, at most 254 bytes, one @ with
// text on both sides, lower case, and normalising it again changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", "  Ann@Example.COM ", "ann@example.com\r\nBcc: x@y.z", "ann@example.com\r\n",
		"a@b@c", "@x", "x@", "\xffa@b.c", "İ@x.tr", "ann\u00a0@x.y", "\u0085a@b.c", strings.Repeat("a", 250) + "@b.cd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := portico.NormalizeEmail(in)
		if err != nil {
			if portico.ErrorCode(err) != portico.CodeValidation {
				t.Fatalf("%q: code %q", in, portico.ErrorCode(err))
			}
			return
		}
		wellFormedText(t, "email", out)
		if len(out) > portico.MaxEmailLen || strings.Count(out, "@") != 1 || out[0] == '@' || out[len(out)-1] == '@' {
			t.Fatalf("accepted %q as %q", in, out)
		}
		if strings.IndexFunc(out, unicode.IsSpace) >= 0 {
			t.Fatalf("accepted %q as %q, with white space", in, out)
		}
		if strings.ContainsAny(in, "\r\n") {
			t.Fatalf("accepted %q, which holds a line break", in)
		}
		if strings.ToLower(out) != out {
			t.Fatalf("%q is not lower case", out)
		}
		again, err := portico.NormalizeEmail(out)
		if err != nil || again != out {
			t.Fatalf("normalising %q again gave %q, %v", out, again, err)
		}
	})
}

// FuzzCheckExternalID: never panics; an accepted id is 1–255 bytes of valid
// UTF-8 without control characters.
func FuzzCheckExternalID(f *testing.F) {
	for _, s := range []string{"u-42", "", "\xff", "a\x00b", "tab\there", "é😀", "\u2028", "abc\u202egpj.exe", "\u2066x\u2069", strings.Repeat("x", 255), strings.Repeat("x", 256), "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := portico.CheckExternalID(s)
		if err != nil {
			if portico.ErrorCode(err) != portico.CodeValidation {
				t.Fatalf("%q: code %q", s, portico.ErrorCode(err))
			}
			return
		}
		if len(s) < 1 || len(s) > portico.MaxExternalIDLen {
			t.Fatalf("accepted %d bytes", len(s))
		}
		wellFormedText(t, "external_id", s)
	})
}

// ValidateInput parses a schema and an input the caller chose: whatever
// they are, it answers without panicking, with a validation error or the
// input as an object.
func FuzzValidateInput(f *testing.F) {
	f.Add(`{"type":"object","required":["id"],"properties":{"id":{"type":["string","integer"]},"tags":{"type":"array","items":{"pattern":"^a+$"}}}}`, `{"id":"x","tags":["aa"]}`)
	f.Add(`{"type":"object","$defs":{"e":{"format":"email"}},"properties":{"to":{"$ref":"#/$defs/e"},"o":{"oneOf":[{"type":"string"},{"minimum":1.5}]}}}`, `{"to":"a@b","o":1}`)
	f.Add(`{"type":"object","properties":{"a":{"$ref":"#"}}}`, `{"a":{"a":{"a":[]}}}`)
	f.Add(`{"$ref":"file:///etc/passwd"}`, `{}`)
	f.Add(`{"type":"object","additionalProperties":false,"properties":{"x":{"pattern":"(?<=x)"}}}`, `{"x":"x","y":null}`)
	f.Add(``, `[1,2]`)
	f.Fuzz(func(t *testing.T, schema, input string) {
		v, err := portico.ValidateInput(json.RawMessage(schema), json.RawMessage(input))
		if err != nil {
			if c := portico.ErrorCode(err); c != portico.CodeValidation && c != portico.CodeInvalid {
				t.Fatalf("schema %q, input %q: code %q (%v)", schema, input, c, err)
			}
			return
		}
		if v == nil {
			t.Fatalf("schema %q, input %q: accepted without an object", schema, input)
		}
	})
}

func FuzzCheckClientRedirectURI(f *testing.F) {
	for _, s := range []string{"https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:9/cb", "http://localhost/cb", "http://[::1]:8/x",
		"http://example.com/cb", "https://x/#f", "https://u:p@x/", "javascript:alert(1)", "https:///x", "http://127.0.0.1.example.com/",
		"HTTPS://X/", "https://x/\r\n", "//x/y", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if portico.CheckClientRedirectURI(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" || u.User != nil || strings.Contains(s, "#") || portico.HasControl(s) || len(s) > portico.MaxURLLength {
			t.Fatalf("accepted %q", s)
		}
		host := u.Hostname()
		ip := net.ParseIP(host)
		if u.Scheme != "https" && !(u.Scheme == "http" && (strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback())) {
			t.Fatalf("accepted %q: neither https nor http to a loopback host", s)
		}
	})
}
