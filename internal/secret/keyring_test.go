package secret_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/secret"
)

func mustRing(t *testing.T, keys ...string) *secret.Keyring {
	t.Helper()
	r, err := secret.ParseKeys(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const aadA = "portico:connection:app_a:usr_a:con_a"

func TestKeyring_SealOpen(t *testing.T) {
	r := mustRing(t, secret.NewKey())
	plain := []byte(`{"api_key":"sk_live_1234567890"}`)
	sealed, err := r.Seal(plain, aadA)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "sk_live") || bytes.Contains([]byte(sealed), plain) {
		t.Fatalf("the sealed form shows the plaintext: %s", sealed)
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len("v1:")+9:])
	if err != nil || bytes.Contains(raw, plain) || bytes.Contains(raw, []byte("sk_live")) {
		t.Fatalf("the stored bytes hold the plaintext (err %v)", err)
	}
	if id, ok := secret.SealedKeyID(sealed); !ok || id != r.PrimaryID() || !strings.HasPrefix(sealed, "v1:"+id+":") {
		t.Fatalf("sealed %q does not name key %s", sealed, r.PrimaryID())
	}
	got, err := r.Open(sealed, aadA)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open: %q %v", got, err)
	}
	again, _ := r.Seal(plain, aadA)
	if again == sealed {
		t.Fatal("two seals of one plaintext are identical: the nonce is not fresh")
	}
}

// TestKeyring_TamperedFails flips every byte of the stored form in turn:
// none may open, and none may open to a different plaintext.
func TestKeyring_TamperedFails(t *testing.T) {
	// A key whose id has a letter in it, so that upper-casing the id
	// changes it (one id in 43 is digits only).
	r := mustRing(t, secret.NewKey())
	for strings.ToUpper(r.PrimaryID()) == r.PrimaryID() {
		r = mustRing(t, secret.NewKey())
	}
	sealed, _ := r.Seal([]byte("hunter2-hunter2"), aadA)
	prefix := len("v1:") + 9
	raw, _ := base64.RawStdEncoding.DecodeString(sealed[prefix:])
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			b := append([]byte{}, raw...)
			b[i] ^= bit
			bad := sealed[:prefix] + base64.RawStdEncoding.EncodeToString(b)
			if pt, err := r.Open(bad, aadA); !errors.Is(err, secret.ErrDecrypt) {
				t.Fatalf("byte %d bit %#x flipped: opened %q, %v", i, bit, pt, err)
			}
		}
	}
	for name, bad := range map[string]string{
		"truncated":          sealed[:len(sealed)-4],
		"nonce only":         sealed[:prefix+16],
		"empty body":         sealed[:prefix],
		"no version":         sealed[3:],
		"other version":      "v2" + sealed[2:],
		"padded base64":      sealed + "==",
		"not base64":         sealed[:prefix] + "!!!!" + sealed[prefix+4:],
		"empty":              "",
		"short key id":       "v1:abc:" + sealed[prefix:],
		"trailing garbage":   sealed + "AAAA",
		"upper-case key id":  "v1:" + strings.ToUpper(r.PrimaryID()) + sealed[len("v1:")+8:],
		"plaintext fallback": "hunter2-hunter2",
	} {
		if _, err := r.Open(bad, aadA); !errors.Is(err, secret.ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", name, err)
		}
	}
}

// TestKeyring_AADBindsRow: a ciphertext moved to another row (another app,
// user or connection) does not open.
func TestKeyring_AADBindsRow(t *testing.T) {
	r := mustRing(t, secret.NewKey())
	sealed, _ := r.Seal([]byte("token"), aadA)
	for _, other := range []string{
		"portico:connection:app_a:usr_a:con_b",
		"portico:connection:app_a:usr_b:con_a",
		"portico:connection:app_b:usr_a:con_a",
		"portico:webhook:app_a",
		"",
		aadA + " ",
	} {
		if _, err := r.Open(sealed, other); !errors.Is(err, secret.ErrDecrypt) {
			t.Errorf("opened with aad %q: %v", other, err)
		}
	}
}

func TestKeyring_UnknownKeyFails(t *testing.T) {
	a, b := mustRing(t, secret.NewKey()), mustRing(t, secret.NewKey())
	sealed, _ := a.Seal([]byte("x"), aadA)
	if _, err := b.Open(sealed, aadA); !errors.Is(err, secret.ErrDecrypt) {
		t.Fatalf("another key opened it: %v", err)
	}
	// The key id names key a; claiming it was sealed with b's key changes
	// nothing: b's key still cannot open it.
	forged := "v1:" + b.PrimaryID() + sealed[len("v1:")+8:]
	if _, err := b.Open(forged, aadA); !errors.Is(err, secret.ErrDecrypt) {
		t.Fatalf("a relabelled ciphertext opened: %v", err)
	}
	if b.Has(a.PrimaryID()) || !a.Has(a.PrimaryID()) {
		t.Fatal("Has is wrong")
	}
}

// TestKeyring_Rotation: with "new,old" the ring seals with the new key and
// opens both; once every value is re-sealed, "new" alone opens them all,
// and "old" alone opens none of the re-sealed ones.
func TestKeyring_Rotation(t *testing.T) {
	oldKey, newKey := secret.NewKey(), secret.NewKey()
	before := mustRing(t, oldKey)
	var sealed []string
	for i := range 10 {
		s, _ := before.Seal([]byte(fmt.Sprint("secret ", i)), fmt.Sprint(aadA, i))
		sealed = append(sealed, s)
	}
	during := mustRing(t, newKey, oldKey)
	if during.PrimaryID() == before.PrimaryID() || fmt.Sprint(during.KeyIDs()) != fmt.Sprint([]string{during.PrimaryID(), before.PrimaryID()}) {
		t.Fatalf("ring ids %v, primary %s", during.KeyIDs(), during.PrimaryID())
	}
	after := mustRing(t, newKey)
	for i, s := range sealed {
		if _, err := after.Open(s, fmt.Sprint(aadA, i)); err == nil {
			t.Fatal("the new key alone opened an old value")
		}
		pt, err := during.Open(s, fmt.Sprint(aadA, i))
		if err != nil || string(pt) != fmt.Sprint("secret ", i) {
			t.Fatalf("during rotation an old value does not open: %v", err)
		}
		re, _ := during.Seal(pt, fmt.Sprint(aadA, i))
		if id, _ := secret.SealedKeyID(re); id != during.PrimaryID() {
			t.Fatalf("re-sealed with %s, want the new primary", id)
		}
		sealed[i] = re
	}
	for i, s := range sealed {
		if pt, err := after.Open(s, fmt.Sprint(aadA, i)); err != nil || string(pt) != fmt.Sprint("secret ", i) {
			t.Fatalf("after rotation: %q %v", pt, err)
		}
		if _, err := before.Open(s, fmt.Sprint(aadA, i)); err == nil {
			t.Fatal("the old key opened a re-sealed value")
		}
	}
}

func TestParseKeys(t *testing.T) {
	k := secret.NewKey()
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for _, bad := range []string{"", " ", "not base64", short, k + ",", k + "," + short} {
		if _, err := secret.ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), k) {
			t.Errorf("the error repeats a key: %v", err)
		}
	}
	r := mustRing(t, k, " "+k+" ")
	if len(r.KeyIDs()) != 1 {
		t.Fatalf("a repeated key counts twice: %v", r.KeyIDs())
	}
}

// TestKeyring_NeverPrintsKeys: formatting or logging a ring shows key ids,
// never key material.
func TestKeyring_NeverPrintsKeys(t *testing.T) {
	k := secret.NewKey()
	r := mustRing(t, k)
	raw, _ := base64.StdEncoding.DecodeString(k)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", slog.Any("ring", r))
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), logs.String()} {
		if strings.Contains(s, k) || strings.Contains(s, fmt.Sprint(raw[:8])) || strings.Contains(s, fmt.Sprintf("%x", raw[:8])) {
			t.Fatalf("key material printed: %s", s)
		}
		if !strings.Contains(s, r.PrimaryID()) {
			t.Errorf("%q does not name the key id", s)
		}
	}
}
