package portico

import (
	"encoding/json"
	"strings"
	"testing"
)

// Metadata is measured and kept as plain UTF-8 JSON: the same object is
// accepted or refused, and echoed the same, whatever escapes the client's
// encoder used.
func TestNormalizeMetadata_ClientEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"\u00e9é","b":[1, 2.50, -3e2, true, null, {"c":"x\"y\\z\n\u2028"}], "d":{}}`: `{"a":"éé","b":[1,2.50,-3e2,true,null,{"c":"x\"y\\z\n\u2028"}],"d":{}}`,
		`{"z":1,"a":2}`:         `{"z":1,"a":2}`,
		`{"h":"\u003cb\u003e"}`: `{"h":"<b>"}`,
		`{"k\u00e9":"v"}`:       `{"ké":"v"}`,
	} {
		got, err := NormalizeMetadata("metadata", json.RawMessage(in))
		if err != nil || string(got) != want {
			t.Errorf("NormalizeMetadata(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	cjk := strings.Repeat("漢", 3000) // 9 000 bytes of UTF-8, 18 000 as \u escapes
	escaped, _ := json.Marshal(map[string]string{"bio": cjk})
	ascii := strings.ReplaceAll(string(escaped), "漢", `\u6f22`)
	for _, in := range []string{string(escaped), ascii} {
		if _, err := NormalizeMetadata("metadata", json.RawMessage(in)); err != nil {
			t.Errorf("%d bytes as sent: %v", len(in), err)
		}
	}
	big := `{"bio":"` + strings.Repeat(`\u6f22`, 6000) + `"}` // 18 000 bytes of UTF-8
	if _, err := NormalizeMetadata("metadata", json.RawMessage(big)); ErrorCode(err) != CodeValidation {
		t.Errorf("18 000 bytes: %v", err)
	}
}
