package store

import (
	"slices"
	"testing"
)

// Settings decoded from the same stored JSON come from the cache, each
// call its own copy: changing one's lists or max_users leaves the next
// call's alone.
func TestDecodeSettings_EachCallItsOwnCopy(t *testing.T) {
	raw := `{"allowed_redirect_uris":["https://a.example/cb"],"allowed_frame_origins":["https://a.example"],"max_users":5,"max_sessions_per_user":7}`
	first, err := decodeSettings(raw)
	if err != nil {
		t.Fatal(err)
	}
	first.AllowedRedirectURIs[0] = "https://evil.example/cb"
	first.AllowedFrameOrigins = append(first.AllowedFrameOrigins[:0], "https://evil.example")
	*first.MaxUsers = 500
	second, err := decodeSettings(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.AllowedRedirectURIs, []string{"https://a.example/cb"}) || !slices.Equal(second.AllowedFrameOrigins, []string{"https://a.example"}) ||
		second.MaxUsers == nil || *second.MaxUsers != 5 || second.MaxSessionsPerUser != 7 {
		t.Fatalf("second decode %+v: the first one's changes reached it", second)
	}
	if _, err := decodeSettings(`{"max_users":`); err == nil {
		t.Fatal("broken JSON decoded")
	}
}
