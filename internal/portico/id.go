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

// NewTimeID is NewID whose first 48 bits are the milliseconds of t since
// the Unix epoch, the other 80 random: the IDs of rows written in time
// order (sessions, users, activity) land side by side in the indexes keyed
// by them instead of all over them, so that a write changes the same few
// pages as the last (bench/README.md: fresh creations on SQLite).
func NewTimeID(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	rand.Read(b[6:])
	return prefix + idEncoding.EncodeToString(b[:])
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
