package apideck

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/porticohq/portico/internal/jsonbody"
)

var sessionLengthRe = regexp.MustCompile(`^[0-9]{1,7}[smhdw]$`)

// FuzzParseSessionLength checks the session_length parser against its
// grammar: it accepts exactly 1 to 7 digits and one unit, and then returns
// the number times the unit.
func FuzzParseSessionLength(f *testing.F) {
	for _, s := range []string{"30m", "1h", "7d", "1w", "90s", "0m", "9999999w", "", "1", "h", "1.5h", "-1h", "+1h",
		"1 h", "1H", "01h", "12345678s", "1hh", "\x001h", "１h", "1ｈ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secs, valid := parseSessionLength(s)
		if valid != sessionLengthRe.MatchString(s) {
			t.Fatalf("parseSessionLength(%q) valid=%v, grammar says %v", s, valid, !valid)
		}
		if !valid {
			return
		}
		n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if want := n * sessionLengthUnits[s[len(s)-1]]; secs != want || secs < 0 {
			t.Fatalf("parseSessionLength(%q) = %d, want %d", s, secs, want)
		}
	})
}

// FuzzDecodeSession feeds arbitrary bodies to the strict decoder with the
// Session schema: it never panics, and a body it accepts decodes alike a
// second time (no state leaks between decodes).
func FuzzDecodeSession(f *testing.F) {
	for _, s := range []string{`{}`, `{"settings":{"session_length":"30m","unified_apis":["crm"]}}`,
		`{"theme":{"vault_name":"x"},"theme":{}}`, `{"custom_consumer_settings":{"a":[1,{"b":null}]}}`,
		`{"consumer_metadata":{"email":"a@b.c"}}`, `[`, `{"settings":{"allow_actions":[]}}`, `null`, `{"Settings":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var a, b sessionBody
		errA := jsonbody.Decode(body, &a)
		errB := jsonbody.Decode(body, &b)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("two decodes of %q disagree: %v / %v", body, errA, errB)
		}
	})
}
