package cli_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// logCall matches the event name of a log line in the source: the msg of
// slog's Info/Warn/Error/Debug (and their Context forms) and LogAttrs, and
// the names given to the helpers that log them (the hosted page's
// logFailure, the refresh's logInfo, serve's purge).
var logCall = regexp.MustCompile(`\.(?:Info|Warn|Error|Debug)(?:Context)?\((?:[a-zA-Z.()]+, )?"([a-z_]+)"|LogAttrs\([^,]+, slog\.Level[A-Za-z]+, "([a-z_]+)"|(?:logFailure\(w, r, |logInfo\(|purge\(ctx, )"([a-z_]+)"`)

// TestLogEvents_AreDocumented: every log line the server writes is named
// in docs/operations.md, so an operator can look up any line they see.
func TestLogEvents_AreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range logCall.FindAllStringSubmatch(string(src), -1) {
			name := m[1] + m[2] + m[3]
			seen++
			if !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("%s logs %q, which docs/operations.md does not name", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 30 {
		t.Fatalf("found only %d log lines in the source: the pattern no longer matches how they are written", seen)
	}
}
