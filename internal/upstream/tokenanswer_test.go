package upstream

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// integralExpiresIn leaves an answer as it is, or changes only its
// expires_in: into a string holding a 64-bit integer, or out.
func FuzzIntegralExpiresIn(f *testing.F) {
	for _, s := range []string{`{"access_token":"at","expires_in":1e10}`, `{"expires_in":3600}`, `{"expires_in":-1e400}`,
		`{"expires_in":"3600"}`, `[1]`, `{"expires_in":3600.5,"expires_in":1}`, `not json`,
		`{"expires_in":"99999999999999999999"}`, `{"expires_in":"soon"}`, `{"expires_in":true}`, `{"expires_in":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := integralExpiresIn(body)
		if bytes.Equal(out, body) {
			return
		}
		var before, after map[string]json.RawMessage
		if err := json.Unmarshal(body, &before); err != nil {
			t.Fatalf("changed an answer that is not a JSON object: %q", body)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("wrote invalid JSON %q from %q", out, body)
		}
		if _, kept := after["expires_in"]; !kept {
			delete(before, "expires_in")
			if len(before) != len(after) {
				t.Fatalf("members changed: %q became %q", body, out)
			}
			return
		}
		var n string
		if err := json.Unmarshal(after["expires_in"], &n); err != nil {
			t.Fatalf("expires_in %s is not a string", after["expires_in"])
		}
		if _, err := strconv.ParseInt(n, 10, 64); err != nil {
			t.Fatalf("expires_in %q: %v", n, err)
		}
		delete(before, "expires_in")
		delete(after, "expires_in")
		if len(before) != len(after) {
			t.Fatalf("members changed: %q became %q", body, out)
		}
	})
}
