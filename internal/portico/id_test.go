package portico

import (
	"strings"
	"testing"
	"time"
)

// IDs made in the same millisecond share their first nine characters (the
// time), and differ after them (the random part).
func TestNewTimeID(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	a, b := NewTimeID(PrefixActivity, at), NewTimeID(PrefixActivity, at)
	c := NewTimeID(PrefixActivity, at.Add(time.Hour))
	if len(a) != len(NewID(PrefixActivity)) || !strings.HasPrefix(a, PrefixActivity) {
		t.Fatalf("%q is not shaped like an ID", a)
	}
	n := len(PrefixActivity) + 9
	if a[:n] != b[:n] || a == b {
		t.Errorf("same millisecond: %q and %q", a, b)
	}
	if a[:n] == c[:n] {
		t.Errorf("an hour apart, same time part: %q and %q", a, c)
	}
}
