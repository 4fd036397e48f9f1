// Package secret holds the encryption key ring: AES-256-GCM with a key id
// beside every ciphertext and associated data binding it to its row.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of an encryption key in bytes.
const KeySize = 32

// Keyring seals with its primary key and opens with any of its keys.
type Keyring struct {
	primary string
	aeads   map[string]cipher.AEAD
	order   []string
}

// ErrDecrypt is returned for any ciphertext that does not open: unknown key,
// altered bytes, or associated data of another row.
var ErrDecrypt = errors.New("secret: ciphertext cannot be decrypted")

// ParseKeys builds a key ring from a comma-separated list of base64 keys of
// 32 bytes each; the first is the primary.
func ParseKeys(s string) (*Keyring, error) {
	r := &Keyring{aeads: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(strings.TrimSpace(s), ",") {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("encryption key %d: must be the base64 encoding of %d bytes", i+1, KeySize)
		}
		id := KeyID(key)
		block, _ := aes.NewCipher(key)
		gcm, _ := cipher.NewGCM(block)
		if _, dup := r.aeads[id]; dup {
			continue
		}
		r.aeads[id] = gcm
		r.order = append(r.order, id)
		if i == 0 {
			r.primary = id
		}
	}
	return r, nil
}

// KeyID names a key without revealing it: 8 hex digits of a hash.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("portico key id\x00"), key...))
	return hex.EncodeToString(h[:4])
}

// PrimaryID returns the id of the key that seals.
func (r *Keyring) PrimaryID() string { return r.primary }

// Has reports whether the ring holds the key with this id, so that values
// sealed with it can be opened.
func (r *Keyring) Has(id string) bool {
	_, ok := r.aeads[id]
	return ok
}

// KeyIDs returns the ids of the ring's keys, primary first.
func (r *Keyring) KeyIDs() []string { return append([]string{}, r.order...) }

// String, GoString and LogValue name the keys by id only: the AEADs hold
// the expanded keys, which %v or a log attribute would otherwise print.
func (r *Keyring) String() string { return "Keyring" + fmt.Sprint(r.order) }

// GoString implements fmt.GoStringer.
func (r *Keyring) GoString() string { return r.String() }

// LogValue implements slog.LogValuer.
func (r *Keyring) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Seal encrypts plaintext bound to aad: "v1:<key id>:<base64(nonce|ciphertext)>".
func (r *Keyring) Seal(plaintext []byte, aad string) (string, error) {
	gcm := r.aeads[r.primary]
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := gcm.Seal(nonce, nonce, plaintext, []byte(aad))
	return "v1:" + r.primary + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same aad.
func (r *Keyring) Open(ciphertext, aad string) ([]byte, error) {
	id, ok := SealedKeyID(ciphertext)
	if !ok {
		return nil, ErrDecrypt
	}
	gcm, ok := r.aeads[id]
	if !ok {
		return nil, ErrDecrypt
	}
	raw, err := base64.RawStdEncoding.DecodeString(ciphertext[len("v1:")+len(id)+1:])
	if err != nil || len(raw) < gcm.NonceSize()+gcm.Overhead() {
		return nil, ErrDecrypt
	}
	pt, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(aad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// SealedKeyID returns the key id a sealed value names.
func SealedKeyID(ciphertext string) (string, bool) {
	rest, ok := strings.CutPrefix(ciphertext, "v1:")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, ":")
	return id, ok && len(id) == 8
}

// NewKey returns a fresh random key in its base64 text form.
func NewKey() string {
	b := make([]byte, KeySize)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// KeyFileName is the generated key's file in the data directory.
const KeyFileName = "encryption.key"

// LoadOrCreateKeyFile reads dir/encryption.key, creating it (mode 0600,
// exclusively, so two processes starting together agree) when absent.
func LoadOrCreateKeyFile(dir string) (keys string, created bool, err error) {
	path := filepath.Join(dir, KeyFileName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		k := NewKey()
		_, werr := f.WriteString(k + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			os.Remove(path)
			return "", false, fmt.Errorf("write %s: %w", path, err)
		}
		return k, true, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return "", false, fmt.Errorf("create the key file: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("read the key file: %w", err)
	}
	return strings.TrimSpace(string(b)), false, nil
}
