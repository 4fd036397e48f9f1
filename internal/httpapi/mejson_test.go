package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
)

// viaEncoding is what writeJSON writes for me.
func viaEncoding(t testing.TB, me *api.Me) []byte {
	w := httptest.NewRecorder()
	writeJSON(w, 200, me)
	if w.Code != 200 {
		t.Fatalf("writeJSON: %d %s", w.Code, w.Body)
	}
	return w.Body.Bytes()
}

func meFixture(s1, s2 string, raw json.RawMessage, accounts []string, refreshable bool) *api.Me {
	at := api.NewTime(time.Date(2026, 11, 21, 9, 2, 56, 999, time.UTC))
	return &api.Me{
		User: api.User{ID: "usr_" + s1, ExternalID: &s1, Email: &s2, Name: s2, Metadata: raw, AccountIDs: accounts,
			CreatedAt: at, UpdatedAt: api.NewTime(at.Add(time.Hour))},
		Session: api.Session{ID: "ses_" + s2, UserID: "usr_" + s1, ExternalUserID: &s1, CreatedAt: at, UpdatedAt: at,
			ExpiresAt: api.NewTime(at.Add(24 * time.Hour)), Refreshable: refreshable, RedirectURI: &s2,
			Settings: raw, Theme: json.RawMessage(`{"name":"Acme","primary_color":"#286efa"}`), CustomSettings: raw},
	}
}

func TestAppendMe(t *testing.T) {
	cases := map[string]*api.Me{
		"plain":      meFixture("u-42", "ann@example.com", json.RawMessage(`{"plan":"pro","n":[1,2,{"x":null}]}`), []string{"acc_1", "acme"}, true),
		"escapes":    meFixture("quote\"back\\slash\ttab\nnl\x01ctl", "<b>&amp;</b>", json.RawMessage(`{}`), []string{}, false),
		"unicode":    meFixture("é😀\u2028\u2029", "bad\xffutf8", json.RawMessage(`{"k":"é\u2028<>&"}`), nil, false),
		"spaced raw": meFixture("a", "b", json.RawMessage("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\": \"x y\" }"), []string{"x"}, true),
		"nil raw":    meFixture("a", "b", nil, nil, false),
	}
	nulls := meFixture("a", "b", json.RawMessage(`{}`), []string{}, false)
	nulls.User.ExternalID, nulls.User.Email, nulls.Session.ExternalUserID, nulls.Session.RedirectURI = nil, nil, nil, nil
	cases["null pointers"] = nulls
	for name, me := range cases {
		t.Run(name, func(t *testing.T) {
			want := viaEncoding(t, me)
			if got := appendMe(nil, me); !bytes.Equal(got, want) {
				t.Fatalf("appendMe:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzAppendMe: for any strings and any valid stored JSON object,
// appendMe writes exactly what encoding/json writes.
func FuzzAppendMe(f *testing.F) {
	f.Add("u-42", "ann@example.com", `{"plan":"pro"}`, true)
	f.Add("\"\\\x00\u2028", "\xff\xfe", `{ "a" : "<&>" }`, false)
	f.Fuzz(func(t *testing.T, s1, s2, raw string, refreshable bool) {
		if !json.Valid([]byte(raw)) {
			return
		}
		me := meFixture(s1, s2, json.RawMessage(raw), []string{s1, s2}, refreshable)
		want := viaEncoding(t, me)
		if got := appendMe(nil, me); !bytes.Equal(got, want) {
			t.Fatalf("appendMe:\n got %q\nwant %q", got, want)
		}
	})
}

func BenchmarkWriteMe(b *testing.B) {
	me := meFixture("u-42", "ann@example.com", json.RawMessage(`{"plan":"pro"}`), []string{"acc_1"}, false)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), 200, me)
		}
	})
	b.Run("by hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeMe(httptest.NewRecorder(), me)
		}
	})
}
