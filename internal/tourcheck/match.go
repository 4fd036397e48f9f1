package main

import (
	"regexp"
	"strings"
)

// Values that differ from run to run. Both the README's text and the real
// output have them replaced by the same placeholder before they are
// compared, so that a README may show a real id while a run prints another.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	// Ids: the prefix stays, the random part goes (the README shortens it).
	{regexp.MustCompile(`\b(app|key|usr|acc|ses|con|evt|req)_[a-z2-7]{6,}`), "${1}_◊"},
	// Secrets: API keys, session and refresh tokens, configuration codes,
	// webhook secrets.
	{regexp.MustCompile(`\b(pk|pst|prt|pcc|whsec)_[A-Za-z0-9_-]{6,}`), "${1}_◊"},
	// Times: RFC 3339 and HTTP dates.
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "◊time"},
	{regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`), "◊date"},
	// Webhook signatures.
	{regexp.MustCompile(`t=\d+,v1=[0-9a-f]+`), "t=◊,v1=◊"},
	// Page tokens and the cookie of the hosted page.
	{regexp.MustCompile(`"next_page_token":"[^"]+"`), `"next_page_token":"◊"`},
	{regexp.MustCompile(`portico_session=[^;\s]+`), "portico_session=◊"},
	{regexp.MustCompile(`Max-Age=\d+`), "Max-Age=◊"},
	// The last four characters of an API key, as key list shows them.
	{regexp.MustCompile(`…[A-Za-z0-9_-]{4}(\s)`), "…◊${1}"},
	// Column alignment follows the width of the values.
	{regexp.MustCompile(`[ \t]+`), " "},
}

func mask(s string) string {
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// matches reports whether a run's output is what the README shows: equal
// once volatile values are masked, where "…" in the README stands for any
// text within a line, and a line holding only "…" for any number of lines.
func matches(expected []string, actual string) bool {
	return pattern(expected).MatchString(mask(trimOutput(actual)))
}

func pattern(expected []string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`\A`)
	lines := trimLines(expected)
	anyLines := false // the line before was a lone "…"
	for i, l := range lines {
		m := mask(l)
		if strings.TrimSpace(m) == "…" {
			if i == len(lines)-1 {
				b.WriteString(`(?:\n[^\n]*)*`)
			}
			anyLines = true
			continue
		}
		switch {
		case anyLines && i > 1:
			b.WriteString(`\n(?:[^\n]*\n)*?`)
		case anyLines:
			b.WriteString(`(?:[^\n]*\n)*?`)
		case i > 0:
			b.WriteString(`\n`)
		}
		anyLines = false
		for j, p := range strings.Split(m, "…") {
			if j > 0 {
				b.WriteString(`[^\n]*?`)
			}
			b.WriteString(regexp.QuoteMeta(p))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// trimLines drops trailing blank lines and trailing spaces.
func trimLines(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, strings.TrimRight(l, " \t\r"))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func trimOutput(s string) string {
	return strings.Join(trimLines(strings.Split(s, "\n")), "\n")
}

// Shortening for -update: ids and secrets keep their prefix and six
// characters, as the README shows them.
var shorten = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b((?:app|key|usr|acc|ses|con|evt|req)_[a-z2-7]{6})[a-z2-7]{10,}`), "${1}…"},
	{regexp.MustCompile(`\b((?:pk|pst|prt|pcc|whsec)_[A-Za-z0-9_-]{6})[A-Za-z0-9_-]{10,}`), "${1}…"},
	{regexp.MustCompile(`(t=\d+,v1=[0-9a-f]{6})[0-9a-f]+`), "${1}…"},
}

func shortened(s string) []string {
	for _, v := range shorten {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return trimLines(strings.Split(s, "\n"))
}
