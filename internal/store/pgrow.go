package store

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// pgRow reads a row of a shared statement (pglookup.go) from the bytes
// pgx received, as meRow reads SQLite's columns: no value is boxed in an
// interface, and only what the answer keeps is copied. pgx asks for
// bigint, boolean and bytea in binary and for text as text; a column in
// the other format (the simple protocol) reads the same. A value that
// cannot be read as asked sets err, which the statement's caller checks.
type pgRow struct {
	vals   [][]byte
	fields []pgconn.FieldDescription
	col    int
	err    error
}

// next returns the next column's bytes (nil for NULL) and whether they
// are in binary.
func (r *pgRow) next() ([]byte, bool) {
	if r.col >= len(r.vals) {
		r.fail("no column %d in a row of %d", r.col, len(r.vals))
		return nil, false
	}
	v, binary := r.vals[r.col], r.fields[r.col].Format == pgx.BinaryFormatCode
	r.col++
	return v, binary
}

func (r *pgRow) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("read row: "+format, args...)
	}
}

func (r *pgRow) null() bool { return r.col < len(r.vals) && r.vals[r.col] == nil }

func (r *pgRow) int() int64 {
	v, bin := r.next()
	switch {
	case v == nil:
		return 0
	case bin && len(v) == 8:
		return int64(binary.BigEndian.Uint64(v))
	case bin && len(v) == 4:
		return int64(int32(binary.BigEndian.Uint32(v)))
	case bin && len(v) == 1:
		return int64(v[0])
	case !bin && (string(v) == "t" || string(v) == "f"):
		if v[0] == 't' {
			return 1
		}
		return 0
	case !bin:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			r.fail("column %d: %v", r.col-1, err)
		}
		return n
	}
	r.fail("column %d: %d bytes are not an integer", r.col-1, len(v))
	return 0
}

func (r *pgRow) boolean() bool { return r.int() != 0 }

// intPtr reads a nullable integer.
func (r *pgRow) intPtr() (int64, bool) {
	if r.null() {
		r.col++
		return 0, false
	}
	return r.int(), true
}

func (r *pgRow) text() string {
	v, _ := r.next()
	return string(v)
}

// textPtr reads a nullable text.
func (r *pgRow) textPtr() (string, bool) {
	if r.null() {
		r.col++
		return "", false
	}
	return r.text(), true
}

// bytes reads a text or bytea as bytes, a copy of its own.
func (r *pgRow) bytes() []byte {
	i := r.col
	if r.next(); i >= len(r.vals) {
		return nil
	}
	return append([]byte{}, r.bytea(i)...)
}

// bytea returns column i's bytes, decoded from hex when a bytea came as
// text; in binary they are pgx's, valid until the next row.
func (r *pgRow) bytea(i int) []byte {
	v, f := r.vals[i], r.fields[i]
	if v == nil || f.Format == pgx.BinaryFormatCode || f.DataTypeOID != pgtype.ByteaOID {
		return v
	}
	b, err := hex.DecodeString(strings.TrimPrefix(string(v), `\x`))
	if err != nil {
		r.fail("column %d: %v", i, err)
	}
	return b
}

// timePtr reads a nullable timestamp in microseconds.
func (r *pgRow) timePtr() *time.Time {
	v, ok := r.intPtr()
	if !ok {
		return nil
	}
	t := fromUS(v)
	return &t
}

// Scan reads the row's next columns into dest, as database/sql's Scan
// would for the types the lookups' scanners use.
func (r *pgRow) Scan(dest ...any) error {
	if err := scanInto(r, dest); err != nil {
		return err
	}
	return r.err
}
