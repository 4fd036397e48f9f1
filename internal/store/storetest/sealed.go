package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
)

// service returns a Service over the fixture's store sealing with ring.
func (f *Fixture) service(ring *secret.Keyring) *portico.Service {
	return portico.NewService(f.Store, &portico.Service{Sealer: ring, Now: f.Clock.Now,
		Pages: portico.NewPageCodec([]byte("0123456789abcdef0123456789abcdef"))})
}

func mustRing(t testing.TB, keys ...string) *secret.Keyring {
	t.Helper()
	list := ""
	for i, k := range keys {
		if i > 0 {
			list += ","
		}
		list += k
	}
	r, err := secret.ParseKeys(list)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sealedWorld is a store holding one value of every sealed kind, several
// of some, sealed by the service it was built with.
type sealedWorld struct {
	app, other  *portico.App
	connections []*portico.Connection
	creds       map[string]portico.Credentials // by connection id
	webhook     string                         // the raw webhook secret of app
	clientSec   string
}

func (f *Fixture) buildSealedWorld(t *testing.T, svc *portico.Service, users int) *sealedWorld {
	t.Helper()
	w := &sealedWorld{app: f.NewApp(t, "a"), other: f.NewApp(t, "b"), creds: map[string]portico.Credentials{}, clientSec: "gh-client-secret"}
	for _, app := range []*portico.App{w.app, w.other} {
		if _, _, err := svc.PutIntegration(f.Ctx, app.ID, "stripe", portico.IntegrationInput{Template: "stripe"}); err != nil {
			t.Fatal(err)
		}
		sec := w.clientSec
		if _, _, err := svc.PutIntegration(f.Ctx, app.ID, "github", portico.IntegrationInput{Template: "github",
			Auth: &portico.AuthInput{OAuth2: &portico.OAuth2Input{ClientID: ptr("cid"), ClientSecret: &sec}}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range users {
		for _, app := range []*portico.App{w.app, w.other} {
			u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr(fmt.Sprint("u", i))})
			creds := portico.Credentials{"api_key": fmt.Sprintf("sk_live_%s_%d", app.Name, i)}
			c, created, err := svc.ImportConnection(f.Ctx, app.ID, u.ID, "stripe", creds)
			if err != nil || !created {
				t.Fatalf("import: %v %v", created, err)
			}
			w.connections = append(w.connections, c)
			w.creds[c.ID] = creds
		}
	}
	_, raw, err := svc.UpdateApp(f.Ctx, w.app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{WebhookURL: ptr("https://hooks.example.com/x")}})
	if err != nil || raw == "" {
		t.Fatalf("webhook: %q %v", raw, err)
	}
	w.webhook = raw
	return w
}

// checkReadable opens every sealed value of the world with svc's ring.
func (w *sealedWorld) checkReadable(t *testing.T, f *Fixture, svc *portico.Service) {
	t.Helper()
	for _, c := range w.connections {
		got, err := f.Store.FindConnectionByID(f.Ctx, c.AppID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := svc.OpenCredentials(got)
		if err != nil || !reflect.DeepEqual(creds, w.creds[c.ID]) {
			t.Fatalf("connection %s: %v %v", c.ID, creds, err)
		}
	}
	for _, app := range []*portico.App{w.app, w.other} {
		in, err := f.Store.FindIntegration(f.Ctx, app.ID, "github")
		if err != nil {
			t.Fatal(err)
		}
		if sec, err := svc.OAuth2ClientSecret(in); err != nil || sec != w.clientSec {
			t.Fatalf("client secret of %s: %q %v", app.ID, sec, err)
		}
	}
	app, err := f.Store.FindAppByID(f.Ctx, w.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := svc.Sealer.Open(app.WebhookSecret, portico.WebhookSecretAAD(app.ID)); err != nil || string(raw) != w.webhook {
		t.Fatalf("webhook secret: %v", err)
	}
}

func testSealedCiphertextMovedToAnotherRowFails(t *testing.T, f *Fixture) {
	ring := mustRing(t, secret.NewKey())
	svc := f.service(ring)
	w := f.buildSealedWorld(t, svc, 2)
	w.checkReadable(t, f, svc)
	src, dst := w.connections[0], w.connections[2] // same app, two users
	other := w.connections[1]                      // another app
	for _, target := range []*portico.Connection{dst, other} {
		cur, _ := f.Store.FindConnectionByID(f.Ctx, target.AppID, target.ID)
		orig, _ := f.Store.FindConnectionByID(f.Ctx, src.AppID, src.ID)
		n, err := f.Store.ReplaceSealed(f.Ctx, []portico.SealedSwap{{
			SealedValue: portico.SealedValue{Kind: portico.SealedConnection, AppID: cur.AppID, UserID: cur.UserID, ID: cur.ID, Value: cur.Credentials},
			New:         orig.Credentials}})
		if err != nil || n != 1 {
			t.Fatalf("move: %d %v", n, err)
		}
		moved, _ := f.Store.FindConnectionByID(f.Ctx, target.AppID, target.ID)
		if moved.Credentials != orig.Credentials {
			t.Fatal("the ciphertext was not moved")
		}
		if creds, err := svc.OpenCredentials(moved); err == nil {
			t.Fatalf("a ciphertext moved to connection %s opened: %v", target.ID, creds)
		}
	}
	// The stored value is not the plaintext, and never contains it.
	c, _ := f.Store.FindConnectionByID(f.Ctx, src.AppID, src.ID)
	for _, v := range w.creds[src.ID] {
		if c.Credentials == "" || strings.Contains(c.Credentials, v) {
			t.Fatalf("stored credentials show the value: %s", c.Credentials)
		}
	}
	// A client secret moved to another integration does not open either.
	gh, _ := f.Store.FindIntegration(f.Ctx, w.app.ID, "github")
	moved := *gh
	moved.AppID = w.other.ID
	if _, err := svc.OAuth2ClientSecret(&moved); err == nil {
		t.Fatal("a client secret opened for another app")
	}
}

func testSealedRotationWhileServing(t *testing.T, f *Fixture) {
	oldKey, newKey := secret.NewKey(), secret.NewKey()
	before := f.service(mustRing(t, oldKey))
	w := f.buildSealedWorld(t, before, 12)
	oldID := mustRing(t, oldKey).PrimaryID()
	ids, err := f.Store.SealedKeyIDs(f.Ctx)
	if err != nil || !reflect.DeepEqual(ids, []string{oldID}) {
		t.Fatalf("key ids before: %v %v", ids, err)
	}

	during := f.service(mustRing(t, newKey, oldKey))
	newID := mustRing(t, newKey).PrimaryID()
	// Servers restarted with "new,old" read every old value …
	w.checkReadable(t, f, during)
	// … and seal what they write with the new key.
	u := f.newUser(t, w.app.ID, portico.UserInput{ExternalID: ptr("late")})
	late, _, err := during.ImportConnection(f.Ctx, w.app.ID, u.ID, "stripe", portico.Credentials{"api_key": "sk_late"})
	if err != nil || portico.SealedKeyID(late.Credentials) != newID {
		t.Fatalf("a write during rotation: %v, key %s", err, portico.SealedKeyID(late.Credentials))
	}
	w.connections = append(w.connections, late)
	w.creds[late.ID] = portico.Credentials{"api_key": "sk_late"}

	// A value rewritten after the rotation read it is left as written.
	var progress []portico.ResealStats
	raced := false
	st, err := during.Reseal(f.Ctx, portico.SealedConnection, newID, 5, func(s portico.ResealStats) {
		progress = append(progress, s)
		if !raced {
			raced = true
			// Simulate a server replacing a not yet rotated row.
			c := w.connections[len(w.connections)-2]
			if _, _, err := before.ImportConnection(f.Ctx, c.AppID, c.UserID, "stripe", w.creds[c.ID]); err != nil {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Scanned != 24 || st.Failed != 0 || st.Resealed+st.Changed != 24 || len(progress) != 5 {
		t.Fatalf("scanned %d, resealed %d, changed %d, failed %d after %d batches", st.Scanned, st.Resealed, st.Changed, st.Failed, len(progress))
	}
	for _, kind := range []portico.SealedKind{portico.SealedClientSecret, portico.SealedWebhook} {
		st, err := during.Reseal(f.Ctx, kind, newID, 1, nil)
		if err != nil || st.Failed != 0 || st.Resealed == 0 {
			t.Fatalf("%s: resealed %d, failed %d: %v", kind, st.Resealed, st.Failed, err)
		}
	}
	// A second pass picks up the row rewritten with the old key.
	st, err = during.Reseal(f.Ctx, portico.SealedConnection, newID, 100, nil)
	if err != nil || st.Failed != 0 || st.Scanned != st.Resealed {
		t.Fatalf("second pass: scanned %d, resealed %d, failed %d: %v", st.Scanned, st.Resealed, st.Failed, err)
	}
	for _, kind := range portico.SealedKinds {
		if left, err := f.Store.ListSealed(f.Ctx, kind, newID, nil, 10); err != nil || len(left) != 0 {
			t.Fatalf("%s values left on other keys: %v %v", kind, left, err)
		}
	}
	ids, err = f.Store.SealedKeyIDs(f.Ctx)
	if err != nil || !reflect.DeepEqual(ids, []string{newID}) {
		t.Fatalf("key ids after: %v %v (new %s)", ids, err, newID)
	}
	// The old key can go: the new one alone reads everything.
	after := f.service(mustRing(t, newKey))
	w.checkReadable(t, f, after)
}

func testSealedUnopenableValuesAreCountedAndLeft(t *testing.T, f *Fixture) {
	lost := f.service(mustRing(t, secret.NewKey()))
	w := f.buildSealedWorld(t, lost, 3)
	// A ring that never held the key: nothing opens, nothing changes.
	stranger := f.service(mustRing(t, secret.NewKey()))
	primary := stranger.Sealer.(*secret.Keyring).PrimaryID()
	st, err := stranger.Reseal(f.Ctx, portico.SealedConnection, primary, 2, nil)
	if err != nil || st.Failed != 6 || st.Resealed != 0 || len(st.FailedIDs) != 6 {
		t.Fatalf("resealed %d, failed %d (ids %v): %v", st.Resealed, st.Failed, st.FailedIDs, err)
	}
	w.checkReadable(t, f, lost)
}

func testSealedReplaceComparesTheOldValue(t *testing.T, f *Fixture) {
	svc := f.service(mustRing(t, secret.NewKey()))
	w := f.buildSealedWorld(t, svc, 1)
	c, _ := f.Store.FindConnectionByID(f.Ctx, w.app.ID, w.connections[0].ID)
	gh, _ := f.Store.FindIntegration(f.Ctx, w.app.ID, "github")
	app, _ := f.Store.FindAppByID(f.Ctx, w.app.ID)
	stale := []portico.SealedSwap{
		{SealedValue: portico.SealedValue{Kind: portico.SealedConnection, AppID: c.AppID, UserID: c.UserID, ID: c.ID, Value: "v1:stale:x"}, New: "v1:new:x"},
		{SealedValue: portico.SealedValue{Kind: portico.SealedClientSecret, AppID: gh.AppID, ID: gh.Slug, Value: "v1:stale:x"}, New: "v1:new:x"},
		{SealedValue: portico.SealedValue{Kind: portico.SealedWebhook, AppID: app.ID, ID: app.ID, Value: "v1:stale:x"}, New: "v1:new:x"},
		// The right value, but another app's row.
		{SealedValue: portico.SealedValue{Kind: portico.SealedConnection, AppID: w.other.ID, UserID: c.UserID, ID: c.ID, Value: c.Credentials}, New: "v1:new:x"},
	}
	if n, err := f.Store.ReplaceSealed(f.Ctx, stale); err != nil || n != 0 {
		t.Fatalf("applied %d stale swaps: %v", n, err)
	}
	w.checkReadable(t, f, svc)
}

func testMetaCompareAndSwap(t *testing.T, f *Fixture) {
	if _, err := f.Store.SetMetaIfAbsent(f.Ctx, "k", "one"); err != nil {
		t.Fatal(err)
	}
	if ok, err := f.Store.CompareAndSwapMeta(f.Ctx, "k", "zero", "two"); err != nil || ok {
		t.Fatalf("swapped from a wrong value: %v %v", ok, err)
	}
	if ok, err := f.Store.CompareAndSwapMeta(f.Ctx, "k", "one", "two"); err != nil || !ok {
		t.Fatalf("swap: %v %v", ok, err)
	}
	if ok, _ := f.Store.CompareAndSwapMeta(f.Ctx, "absent", "", "x"); ok {
		t.Fatal("swapped an absent key")
	}
	if v, ok, err := f.Store.Meta(f.Ctx, "k"); v != "two" || !ok || err != nil {
		t.Fatalf("meta %q %v %v", v, ok, err)
	}
}
