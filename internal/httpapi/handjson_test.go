package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// viaWriteJSON is what writeJSON writes for v.
func viaWriteJSON(t testing.TB, v any) []byte {
	w := httptest.NewRecorder()
	writeJSON(w, 200, v)
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
			want := viaWriteJSON(t, me)
			if got := appendMe(nil, me); !bytes.Equal(got, want) {
				t.Fatalf("appendMe:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestWriteSession(t *testing.T) {
	for _, me := range []*api.Me{
		meFixture("u-42", "ann@example.com", json.RawMessage(`{"plan":"pro"}`), nil, true),
		meFixture("quote\"back\\slash\x01", "<b>&amp;</b>\u2028", json.RawMessage("{ \"a\" : [ 1 ] }"), nil, false),
	} {
		want := httptest.NewRecorder()
		writeJSON(want, 200, me.Session)
		got := httptest.NewRecorder()
		writeSession(got, &me.Session)
		if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Fatalf("writeSession: %d %s\nwriteJSON: %d %s", got.Code, got.Body, want.Code, want.Body)
		}
		for k := range want.Header() {
			if got.Header().Get(k) != want.Header().Get(k) {
				t.Fatalf("header %s: %q, writeJSON %q", k, got.Header().Get(k), want.Header().Get(k))
			}
		}
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
		want := viaWriteJSON(t, me)
		if got := appendMe(nil, me); !bytes.Equal(got, want) {
			t.Fatalf("appendMe:\n got %q\nwant %q", got, want)
		}
	})
}

func sessionListFixture(s1, s2 string, raw json.RawMessage, n int, next *string) *api.List[api.Session] {
	l := &api.List[api.Session]{Data: []api.Session{}, NextPageToken: next}
	for i := range n {
		me := meFixture(s1, s2, raw, nil, i%2 == 0)
		me.Session.ID += strconv.Itoa(i)
		l.Data = append(l.Data, me.Session)
	}
	return l
}

func TestAppendSessionList(t *testing.T) {
	token := "pt_Zm9v\"/<&>"
	cases := map[string]*api.List[api.Session]{
		"empty":      sessionListFixture("a", "b", json.RawMessage(`{}`), 0, nil),
		"nil data":   {NextPageToken: &token},
		"one":        sessionListFixture("u-42", "ann@example.com", json.RawMessage(`{"plan":"pro"}`), 1, nil),
		"page":       sessionListFixture("u-42", "ann@example.com", json.RawMessage(`{"integrations":["a","b"],"n":[1,{"x":null}]}`), 100, &token),
		"escapes":    sessionListFixture("quote\"back\\slash\ttab\nnl\x01ctl", "<b>&amp;</b>", json.RawMessage(`{}`), 3, &token),
		"unicode":    sessionListFixture("é😀\u2028\u2029", "bad\xffutf8", json.RawMessage(`{"k":"é\u2028<>&"}`), 2, nil),
		"spaced raw": sessionListFixture("a", "b", json.RawMessage("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\": \"x y\" }"), 2, nil),
		"nil raw":    sessionListFixture("a", "b", nil, 2, nil),
	}
	for name, l := range cases {
		t.Run(name, func(t *testing.T) {
			want := viaWriteJSON(t, l)
			// Twice: the second time the stored values are known compact.
			for range 2 {
				if got := appendSessionList(nil, l); !bytes.Equal(got, want) {
					t.Fatalf("appendSessionList:\n got %s\nwant %s", got, want)
				}
			}
		})
	}
}

// FuzzAppendSessionList: for any strings and any valid stored JSON object,
// appendSessionList writes exactly what encoding/json writes.
func FuzzAppendSessionList(f *testing.F) {
	f.Add("u-42", "ann@example.com", `{"plan":"pro"}`, "pt_next", true)
	f.Add("\"\\\x00\u2028", "\xff\xfe", `{ "a" : "<&>" }`, "", false)
	f.Fuzz(func(t *testing.T, s1, s2, raw, next string, hasNext bool) {
		if !json.Valid([]byte(raw)) {
			return
		}
		var token *string
		if hasNext {
			token = &next
		}
		l := sessionListFixture(s1, s2, json.RawMessage(raw), 2, token)
		want := viaWriteJSON(t, l)
		if got := appendSessionList(nil, l); !bytes.Equal(got, want) {
			t.Fatalf("appendSessionList:\n got %q\nwant %q", got, want)
		}
	})
}

func TestWriteBody_HeadersOfWriteJSON(t *testing.T) {
	l := sessionListFixture("a", "b", json.RawMessage(`{}`), 1, nil)
	want := httptest.NewRecorder()
	writeJSON(want, 200, l)
	got := httptest.NewRecorder()
	writeSessionList(got, l)
	for _, h := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options"} {
		if got.Header().Get(h) != want.Header().Get(h) || got.Header().Get(h) == "" {
			t.Errorf("%s: got %q, writeJSON sets %q", h, got.Header().Get(h), want.Header().Get(h))
		}
	}
	if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("got %d %s, writeJSON wrote %d %s", got.Code, got.Body, want.Code, want.Body)
	}
}

func TestValueSet_Bounded(t *testing.T) {
	s := valueSet{max: 3, maxLen: 8}
	for _, v := range []string{"a", "b", "c"} {
		s.add([]byte(v))
	}
	if !s.known([]byte("a")) || !s.known([]byte("c")) || s.known([]byte("d")) {
		t.Fatal("want a and c known, d not")
	}
	s.add([]byte("d")) // full: emptied, then d added
	if s.known([]byte("a")) || !s.known([]byte("d")) || len(s.m) != 1 {
		t.Fatalf("after the fourth value: %v", s.m)
	}
	s.add([]byte("123456789"))
	if s.known([]byte("123456789")) {
		t.Fatal("a value longer than maxLen was kept")
	}
}

// Concurrent lookups and additions, the answers of many requests at once:
// no race, and the set never holds more than max values.
func TestValueSet_Concurrent(t *testing.T) {
	s := valueSet{max: 16, maxLen: 64}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				v := []byte(strconv.Itoa(g*10000 + i%40))
				if !s.known(v) {
					s.add(v)
				}
			}
		}()
	}
	wg.Wait()
	if len(s.m) > s.max {
		t.Fatalf("%d values kept, max %d", len(s.m), s.max)
	}
}

// A value appendRaw has written as is once is not taken as known when it
// differs by a byte, and a value it had to compact is never remembered.
func TestAppendRaw_RemembersOnlyCompactValues(t *testing.T) {
	compact := json.RawMessage(`{"memo_test":[1,2]}`)
	if got := string(appendRaw(nil, compact)); got != string(compact) || !compactValues.known(compact) {
		t.Fatalf("compact value: wrote %s, known %v", got, compactValues.known(compact))
	}
	spaced := json.RawMessage(`{"memo_test": [1,2]}`)
	if got := string(appendRaw(nil, spaced)); got != string(compact) || compactValues.known(spaced) {
		t.Fatalf("spaced value: wrote %s, known %v", got, compactValues.known(spaced))
	}
	invalid := json.RawMessage(`{"memo_test":[1,2]`)
	if got := string(appendRaw(nil, invalid)); got != "null" || compactValues.known(invalid) {
		t.Fatalf("invalid value: wrote %s, known %v", got, compactValues.known(invalid))
	}
}

func TestAppendTime(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 12, 5, 21, 30, 7, 999999999, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", -5*3600)),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(7, 2, 3, 4, 5, 6, 0, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 12, 0, 0, 0, time.UTC),
		{},
	} {
		want, err := api.Time{Time: at}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if got := appendTime(nil, api.Time{Time: at}); !bytes.Equal(got, want) {
			t.Errorf("%v: got %s, want %s", at, got, want)
		}
	}
}

// FuzzAppendTime: any instant is written as api.Time.MarshalJSON writes it.
func FuzzAppendTime(f *testing.F) {
	f.Add(int64(1796500285), int64(580235))
	f.Add(int64(-62135596800), int64(0))
	f.Add(int64(253402300800), int64(1))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		at := api.Time{Time: time.Unix(sec, nsec)}
		want, err := at.MarshalJSON()
		if err != nil {
			return
		}
		if got := appendTime(nil, at); !bytes.Equal(got, want) {
			t.Fatalf("%d.%d: got %s, want %s", sec, nsec, got, want)
		}
	})
}

func BenchmarkWriteSessionList(b *testing.B) {
	// Every session's settings: the defaults, as stored.
	var st portico.SessionSettings
	if err := st.Normalize(""); err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(st)
	if err != nil {
		b.Fatal(err)
	}
	l := sessionListFixture("u-42", "ann@example.com", raw, 100, nil)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), 200, l)
		}
	})
	b.Run("by hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeSessionList(httptest.NewRecorder(), l)
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

func BenchmarkAppendTime(b *testing.B) {
	at := api.NewTime(time.Date(2026, 12, 5, 21, 30, 7, 0, time.UTC))
	buf := make([]byte, 0, 64)
	b.Run("AppendFormat", func(b *testing.B) {
		for b.Loop() {
			buf = append(buf[:0], '"')
			buf = at.UTC().AppendFormat(buf, api.TimeFormat)
			buf = append(buf, '"')
		}
	})
	b.Run("by hand", func(b *testing.B) {
		for b.Loop() {
			buf = appendTime(buf[:0], at)
		}
	})
}
