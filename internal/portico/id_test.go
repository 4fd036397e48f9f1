package portico

import (
	"strings"
	"testing"
	"time"
)

// IDs made in the same microsecond share their first eleven characters
// (the time), and differ after them (the random part); IDs sort as text in
// the order of their times, to the microsecond.
func TestNewTimeID(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	a, b := NewTimeID(PrefixActivity, at), NewTimeID(PrefixActivity, at)
	c := NewTimeID(PrefixActivity, at.Add(time.Hour))
	if len(a) != len(NewID(PrefixActivity)) || !strings.HasPrefix(a, PrefixActivity) || strings.Trim(a[len(PrefixActivity):], "abcdefghijklmnopqrstuvwxyz234567") != "" {
		t.Fatalf("%q is not shaped like an ID", a)
	}
	n := len(PrefixActivity) + 11
	if a[:n] != b[:n] || a == b {
		t.Errorf("same microsecond: %q and %q", a, b)
	}
	if a[:n] == c[:n] {
		t.Errorf("an hour apart, same time part: %q and %q", a, c)
	}
	prev := NewTimeID(PrefixSession, at)
	for _, d := range []time.Duration{time.Microsecond, time.Millisecond, 999 * time.Millisecond, time.Second, 24 * time.Hour, 50 * 365 * 24 * time.Hour} {
		at = at.Add(d)
		for range 50 {
			next := NewTimeID(PrefixSession, at.Add(time.Microsecond))
			if next <= prev {
				t.Fatalf("%q, made %v later, sorts before %q", next, d, prev)
			}
			prev = next
			at = at.Add(time.Microsecond)
		}
	}
}
