package main

import (
	"os"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	text := strings.Join([]string{
		"# Title",
		"```sh",
		"$ not run",
		"```",
		"```console",
		"$ echo one \\",
		"    two",
		"one two",
		"$ curl -d '{\"a\":",
		"    1}' # it's a comment",
		"$ cat > f.py <<'PY'",
		"print('$ not a command')",
		"PY",
		"$ true",
		"```",
	}, "\n")
	steps, err := parse(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []step{
		{line: 6, command: "echo one \\\n    two", expected: []string{"one two"}, endLine: 9},
		{line: 9, command: "curl -d '{\"a\":\n    1}' # it's a comment", endLine: 11},
		{line: 11, command: "cat > f.py <<'PY'\nprint('$ not a command')\nPY", endLine: 14},
		{line: 14, command: "true", endLine: 15},
	}
	if len(steps) != len(want) {
		t.Fatalf("got %d steps, want %d: %+v", len(steps), len(want), steps)
	}
	for i := range want {
		g, w := steps[i], want[i]
		if g.line != w.line || g.command != w.command || strings.Join(g.expected, "|") != strings.Join(w.expected, "|") || g.endLine != w.endLine {
			t.Errorf("step %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestParse_Refuses(t *testing.T) {
	for name, text := range map[string]string{
		"output first":     "```console\nsome output\n```",
		"unclosed block":   "```console\n$ true",
		"unclosed quote":   "```console\n$ echo 'open\n```",
		"unended heredoc":  "```console\n$ cat <<EOF\nbody\n```",
		"unended backlash": "```console\n$ echo \\\n```",
	} {
		if _, err := parse(text); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		expected []string
		actual   string
		want     bool
	}{
		{[]string{`{"id":"usr_2cfxju…","name":"Ann"}`}, `{"id":"usr_abcdefghijklmnopqrstuvwxyz","name":"Ann"}` + "\n", true},
		{[]string{`{"id":"usr_2cfxju…","name":"Ann"}`}, `{"id":"usr_abcdefghijklmnopqrstuvwxyz","name":"Bob"}`, false},
		{[]string{`{"id":"usr_2cfxju…",…}`}, `{"id":"usr_abcdefghijklmnopqrstuvwxyz","name":"Bob","x":1}`, true},
		{[]string{`{"token":"pst_HoEjcV…","at":"2026-11-21T16:57:57Z"}`}, `{"token":"pst_Zz-9_aaaaaaaaaaaa","at":"2027-01-02T03:04:05Z"}`, true},
		{[]string{`{"token":"pst_HoEjcV…"}`}, `{"token":"prt_Zz-9_aaaaaaaaaaaa"}`, false},
		{[]string{`{"a":1}`, "", "HTTP 201"}, "{\"a\":1}\n\nHTTP 201\n", true},
		{[]string{`{"a":1}`, "", "HTTP 201"}, "{\"a\":1}\n\nHTTP 200\n", false},
		{[]string{"KEY ID  ENDS WITH", "key_khfayb66ih4r7xoc7c6ni7unwa  …I99o   -"}, "KEY ID    ENDS WITH\nkey_aaaaaaaaaaaaaaaaaaaaaaaaaa …xY_9 -\n", true},
		{[]string{"first", "…", "last"}, "first\na\nb\nlast", true},
		{[]string{"first", "…", "last"}, "first\nlast", true},
		{[]string{"first", "…"}, "first\na\nb", true},
		{[]string{"…", "last"}, "a\nb\nlast", true},
		{[]string{"first", "last"}, "first\nmiddle\nlast", false},
		{[]string{"t=1795284581,v1=438c11…  {\"type\":\"user.created\"}"}, "t=1800000000,v1=0123456789abcdef  {\"type\":\"user.created\"}", true},
		{nil, "", true},
		{nil, "something", false},
	} {
		if got := matches(c.expected, c.actual); got != c.want {
			t.Errorf("matches(%q, %q) = %v, want %v", c.expected, c.actual, got, c.want)
		}
	}
}

func TestRewrite(t *testing.T) {
	text := "```console\n$ echo a\nold\nolder\n$ echo b\nkept\n```\n"
	steps, err := parse(text)
	if err != nil {
		t.Fatal(err)
	}
	got := rewrite(text, steps, []int{0}, []string{"usr_abcdefghijklmnopqrstuvwxyz\n", "kept\n"})
	want := "```console\n$ echo a\nusr_abcdef…\n$ echo b\nkept\n```\n"
	if got != want {
		t.Errorf("rewrite:\n%s\nwant\n%s", got, want)
	}
}

// The README's own tour parses, and every command runs as it is written:
// none holds a placeholder a reader would have to fill in.
func TestREADME(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkRunnable(steps); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("```console\n$ echo 'a\nb' <<EOF \\\nx\nEOF\nout\n```")
	f.Fuzz(func(t *testing.T, text string) {
		steps, err := parse(text)
		if err != nil {
			return
		}
		lines := strings.Split(text, "\n")
		for _, s := range steps {
			if s.line < 1 || s.endLine-1 > len(lines) || s.endLine-1-len(s.expected) < s.line {
				t.Fatalf("step out of range: %+v (%d lines)", s, len(lines))
			}
		}
	})
}
