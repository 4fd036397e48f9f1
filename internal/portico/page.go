package portico

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Page size bounds of every list (docs/openapi.json, "Lists").
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Cursor is a keyset position: the (created_at, id) of the last row of a page.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Page is one page of a list. Next is nil on the last page.
type Page[T any] struct {
	Data []T
	Next *string
}

// PageRequest is what a caller asks of a list.
type PageRequest struct {
	Size  int
	Token string
}

// PageCodec turns cursors into opaque page tokens and back. A token is bound
// by an HMAC to the list it came from (app, list name, filters), so a token
// that was altered, forged or taken from another query is refused.
type PageCodec struct{ key []byte }

// NewPageCodec returns a codec keyed by key (at least 32 bytes, identical on
// every node of a deployment).
func NewPageCodec(key []byte) *PageCodec { return &PageCodec{key: key} }

const pageMACSize = 16

// Encode returns the token for the position after c in the list named scope.
func (p *PageCodec) Encode(scope string, c Cursor) string {
	buf := binary.AppendVarint(nil, c.CreatedAt.UnixMicro())
	buf = append(buf, c.ID...)
	buf = append(buf, p.mac(scope, buf)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode parses a token made by Encode for the same scope.
func (p *PageCodec) Decode(scope, token string) (Cursor, error) {
	bad := Invalid("page_token", "The page token is invalid; use the next_page_token of a previous page of the same list.")
	// Strict: a lenient decoder ignores the spare low bits of the last
	// character, so several spellings of one token would all pass the MAC.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) <= pageMACSize || len(token) > 512 {
		return Cursor{}, bad
	}
	body, mac := raw[:len(raw)-pageMACSize], raw[len(raw)-pageMACSize:]
	if !hmac.Equal(mac, p.mac(scope, body)) {
		return Cursor{}, bad
	}
	us, n := binary.Varint(body)
	if n <= 0 || n == len(body) {
		return Cursor{}, bad
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: string(body[n:])}, nil
}

func (p *PageCodec) mac(scope string, body []byte) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:pageMACSize]
}

// Size validates a requested page size (0 means the default).
func (r PageRequest) size() (int, error) {
	switch {
	case r.Size == 0:
		return DefaultPageSize, nil
	case r.Size < 1 || r.Size > MaxPageSize:
		return 0, Invalid("page_size", "page_size must be between 1 and %d.", MaxPageSize)
	}
	return r.Size, nil
}

// ListQuery is the store-level form of a page request: fetch Limit rows after
// After (nil: from the start).
type ListQuery struct {
	After *Cursor
	Limit int
}

// listQuery validates a PageRequest for the list named scope and asks for one
// row more than the page size, which tells whether a next page exists.
func (p *PageCodec) listQuery(scope string, r PageRequest) (ListQuery, int, error) {
	size, err := r.size()
	if err != nil {
		return ListQuery{}, 0, err
	}
	q := ListQuery{Limit: size + 1}
	if r.Token != "" {
		c, err := p.Decode(scope, r.Token)
		if err != nil {
			return ListQuery{}, 0, err
		}
		q.After = &c
	}
	return q, size, nil
}

// paginate runs fetch with the validated query and builds the page.
func paginate[T any](p *PageCodec, scope string, r PageRequest, cursor func(T) Cursor, fetch func(ListQuery) ([]T, error)) (Page[T], error) {
	q, size, err := p.listQuery(scope, r)
	if err != nil {
		return Page[T]{}, err
	}
	rows, err := fetch(q)
	if err != nil {
		return Page[T]{}, err
	}
	page := Page[T]{Data: rows}
	if len(rows) > size {
		page.Data = rows[:size]
		next := p.Encode(scope, cursor(rows[size-1]))
		page.Next = &next
	}
	if page.Data == nil {
		page.Data = []T{}
	}
	return page, nil
}
