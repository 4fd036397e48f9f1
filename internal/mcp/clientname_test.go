package mcp

import (
	"strings"
	"testing"
)

// A client names itself in every request: the activity log keeps that name
// printable and short, whatever it sent.
func TestClientLabel(t *testing.T) {
	long := strings.Repeat("B", 1_000_000)
	for in, want := range map[string]string{
		"claude-ai":                      "mcp:claude-ai",
		"Cursor (1.2) — Zed":             "mcp:Cursor (1.2) — Zed",
		"":                               "mcp",
		"\x00\x1b[31m\u200b":             "mcp:[31m",
		"<script>\x00x\x1b[31m</script>": "mcp:<script>x[31m</script>",
		"a\xffb\nc\td":                   "mcp:abcd",
		" \x00 ":                         "mcp",
		long:                             "mcp:" + long[:maxClientName],
		strings.Repeat("é", 100):         "mcp:" + strings.Repeat("é", maxClientName),
	} {
		if got := clientLabel(in); got != want {
			t.Errorf("clientLabel(%.40q) = %.80q, want %.80q", in, got, want)
		}
	}
}
