package portico

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// ID and token prefixes. A prefix tells a reader of a log or a support ticket
// what a value is; for tokens it also lets secret scanners find leaked ones.
const (
	PrefixApp     = "app_"
	PrefixAPIKey  = "key_"
	PrefixUser    = "usr_"
	PrefixAccount = "acc_"
	PrefixSession = "ses_"

	PrefixAPIKeySecret = "pk_"
	PrefixSessionToken = "pst_"
	PrefixRefreshToken = "prt_"
	PrefixConfigCode   = "pcc_"
	PrefixWebhookSec   = "whsec_"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix followed by 128 random bits in lower-case base32.
func NewID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + idEncoding.EncodeToString(b[:])
}

// timeIDEncoding is idEncoding's alphabet in byte order, so that the text
// order of IDs is the order of their bits.
var timeIDEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewTimeID is NewID whose first 56 bits are the microseconds of t since
// the Unix epoch, the other 72 random, written so that IDs sort as text in
// the order of their times. Lists are ordered by creation time, then id,
// and show times to the second: IDs made one after the other sort in the
// order they were made, so a list's order is the order of the times and
// ids it shows (SPEC §4). And the IDs of rows written in time order
// (sessions, users, connections, activity) land side by side in the
// indexes keyed by them instead of all over them, so that a write changes
// the same few pages as the last (bench/HISTORY.md: fresh creations on
// SQLite).
func NewTimeID(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMicro())<<8)
	rand.Read(b[7:])
	return prefix + timeIDEncoding.EncodeToString(b[:])
}

// NewToken returns a fresh secret of 256 random bits with its type prefix,
// and the SHA-256 hash under which it is stored.
func NewToken(prefix string) (raw string, hash []byte) {
	var b [32]byte
	rand.Read(b[:])
	raw = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return raw, HashToken(raw)
}

// HashToken is the storage form of a token: SHA-256 of its text.
func HashToken(raw string) []byte {
	h := sha256.Sum256([]byte(raw))
	return h[:]
}

// TokenHasPrefix reports whether raw looks like a token of the given type.
// Callers still hash and look up tokens of the wrong shape so that a
// malformed token costs the same time as an unknown one.
func TokenHasPrefix(raw, prefix string) bool {
	return strings.HasPrefix(raw, prefix) && len(raw) == len(prefix)+43
}

// EqualHash compares two hashes in constant time.
func EqualHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
