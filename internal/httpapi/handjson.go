package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/compat"
)

// GET /v1/me is the hot path (bench/README.md), and a page of GET
// /v1/sessions the heaviest common answer: both are written by hand, byte
// for byte what writeJSON would write for api.Me and api.List[api.Session]
// (TestAppendMe, TestAppendSessionList and their fuzz targets hold them to
// that). A session alone, as extending one answers, is written the same
// way (TestWriteSession). encoding/json's reflection and its re-validation
// of every RawMessage were an eighth of the server's CPU per /v1/me, over
// half of it per page of 100 sessions, and 6 % of all CPU per extend.

// writeMe writes the answer of GET /v1/me.
func writeMe(w http.ResponseWriter, me *api.Me) {
	compat.WriteJSONBody(w, http.StatusOK, appendMe(make([]byte, 0, 1024), me))
}

// writeSession writes a session: GET /v1/sessions/{id} and its extend.
func writeSession(w http.ResponseWriter, s *api.Session) {
	b := appendSession(make([]byte, 0, 800), s)
	compat.WriteJSONBody(w, http.StatusOK, append(b, '\n'))
}

// writeSessionList writes a page of GET /v1/sessions.
func writeSessionList(w http.ResponseWriter, l *api.List[api.Session]) {
	compat.WriteJSONBody(w, http.StatusOK, appendSessionList(make([]byte, 0, 1024+800*len(l.Data)), l))
}

// appendSessionList appends l as json.Encoder with SetEscapeHTML(false)
// encodes it, trailing newline included.
func appendSessionList(b []byte, l *api.List[api.Session]) []byte {
	b = append(b, `{"data":`...)
	if l.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range l.Data {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSession(b, &l.Data[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_page_token":`...)
	b = appendStringPtr(b, l.NextPageToken)
	return append(b, "}\n"...)
}

// appendMe appends me as json.Encoder with SetEscapeHTML(false) encodes
// it, trailing newline included.
func appendMe(b []byte, me *api.Me) []byte {
	b = append(b, `{"user":`...)
	b = appendUser(b, &me.User)
	b = append(b, `,"session":`...)
	b = appendSession(b, &me.Session)
	return append(b, "}\n"...)
}

func appendUser(b []byte, u *api.User) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, u.ID)
	b = append(b, `,"external_id":`...)
	b = appendStringPtr(b, u.ExternalID)
	b = append(b, `,"email":`...)
	b = appendStringPtr(b, u.Email)
	b = append(b, `,"name":`...)
	b = appendString(b, u.Name)
	b = append(b, `,"metadata":`...)
	b = appendRaw(b, u.Metadata)
	b = append(b, `,"account_ids":`...)
	if u.AccountIDs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range u.AccountIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, id)
		}
		b = append(b, ']')
	}
	b = append(b, `,"created_at":`...)
	b = appendTime(b, u.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, u.UpdatedAt)
	return append(b, '}')
}

func appendSession(b []byte, s *api.Session) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, s.ID)
	b = append(b, `,"user_id":`...)
	b = appendString(b, s.UserID)
	b = append(b, `,"external_user_id":`...)
	b = appendStringPtr(b, s.ExternalUserID)
	b = append(b, `,"created_at":`...)
	b = appendTime(b, s.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, s.UpdatedAt)
	b = append(b, `,"expires_at":`...)
	b = appendTime(b, s.ExpiresAt)
	b = append(b, `,"refreshable":`...)
	b = strconv.AppendBool(b, s.Refreshable)
	b = append(b, `,"redirect_uri":`...)
	b = appendStringPtr(b, s.RedirectURI)
	b = append(b, `,"settings":`...)
	b = appendRaw(b, s.Settings)
	b = append(b, `,"theme":`...)
	b = appendRaw(b, s.Theme)
	b = append(b, `,"custom_settings":`...)
	b = appendRaw(b, s.CustomSettings)
	return append(b, '}')
}

// appendTime writes t as api.Time.MarshalJSON does; the digits of a year
// between 0 and 9999 by hand, at a third of time.Time.AppendFormat's cost.
func appendTime(b []byte, t api.Time) []byte {
	u := t.UTC()
	y, mo, d := u.Date()
	if y < 0 || y > 9999 {
		b = append(b, '"')
		b = u.AppendFormat(b, api.TimeFormat)
		return append(b, '"')
	}
	h, mi, s := u.Clock()
	return append(b, '"', digit(y/1000), digit(y/100), digit(y/10), digit(y), '-', digit(int(mo)/10), digit(int(mo)), '-',
		digit(d/10), digit(d), 'T', digit(h/10), digit(h), ':', digit(mi/10), digit(mi), ':', digit(s/10), digit(s), 'Z', '"')
}

// digit is the last decimal digit of n ≥ 0.
func digit(n int) byte { return byte('0' + n%10) }

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendString writes printable ASCII without quotes or backslashes as
// is, and leaves anything else (escapes, UTF-8 checks, U+2028) to
// encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendSlow(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendRaw writes a stored JSON value: as is when it holds no
// whitespace (values are stored compact), else compacted as encoding/json
// does; nil is null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	if compactValues.known(raw) {
		return append(b, raw...)
	}
	if !bytes.ContainsAny(raw, " \t\r\n") && json.Valid(raw) {
		compactValues.add(raw)
		return append(b, raw...)
	}
	return appendSlow(b, raw)
}

// compactValues remembers stored JSON values found valid and compact, so
// that the ones most sessions share (the default settings, an app's theme)
// are checked once rather than in every answer: checking 400 bytes costs
// microseconds, finding them here a hash and a comparison.
var compactValues = valueSet{max: 256, maxLen: 4 << 10}

// valueSet is a bounded set of byte strings, emptied when full. Adding
// never waits: a value that finds the set locked is not remembered, so
// answers whose stored values are all different (and never found here)
// do not queue on one lock.
type valueSet struct {
	max, maxLen int
	mu          sync.RWMutex
	m           map[string]struct{}
}

func (s *valueSet) known(v []byte) bool {
	s.mu.RLock()
	_, ok := s.m[string(v)]
	s.mu.RUnlock()
	return ok
}

func (s *valueSet) add(v []byte) {
	if len(v) > s.maxLen {
		return
	}
	if !s.mu.TryLock() {
		return
	}
	if s.m == nil || len(s.m) >= s.max {
		s.m = make(map[string]struct{}, s.max)
	}
	s.m[string(v)] = struct{}{}
	s.mu.Unlock()
}

// appendSlow encodes v with encoding/json, HTML left unescaped, without
// the encoder's newline.
func appendSlow(b []byte, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return append(b, "null"...)
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
