package storetest

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// newVerification stores a pending flow for sess.
func (f *Fixture) newVerification(t testing.TB, sess *portico.Session) *portico.Verification {
	t.Helper()
	now := f.Clock.Now()
	v := &portico.Verification{ID: portico.NewID(portico.PrefixVerification), AppID: sess.AppID, Kind: portico.FlowLink, SessionID: sess.ID,
		UserID: sess.UserID, Status: portico.VerificationPending, Request: []byte("{}"), CreatedAt: now, ExpiresAt: now.Add(portico.VerificationTTL)}
	if err := f.Store.CreateVerification(f.Ctx, v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Of concurrent settlements of one flow exactly one applies; its return
// code is used once; a failed flow queues its event and returns nothing.
func testVerificationSettledAndUsedOnce(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.hookApp(t, app)
	ext := "u1"
	sess, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext}, nil)
	v := f.newVerification(t, sess)
	var settled atomic.Int32
	var wg sync.WaitGroup
	hashes := make([][]byte, 8)
	for i := range hashes {
		_, hashes[i] = portico.NewToken(portico.PrefixReturnCode)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := f.Store.SettleVerification(f.Ctx, app.ID, v.ID, portico.VerificationConfirmed, sess.UserID, hashes[i], f.Clock.Now(), nil)
			if err != nil {
				t.Error(err)
			}
			if ok {
				settled.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := settled.Load(); n != 1 {
		t.Fatalf("%d settlements of one flow, want 1", n)
	}
	used := 0
	for _, h := range hashes {
		got, err := f.Store.UseReturnCode(f.Ctx, h, f.Clock.Now())
		if err == nil {
			used++
			if got.ID != v.ID || got.SessionID != sess.ID || got.Status != portico.VerificationUsed {
				t.Fatalf("used flow %+v", got)
			}
			_, err = f.Store.UseReturnCode(f.Ctx, h, f.Clock.Now())
			WantCode(t, err, portico.CodeConflict)
			continue
		}
		WantCode(t, err, portico.CodeNotFound)
	}
	if used != 1 {
		t.Fatalf("%d return codes worked, want 1", used)
	}

	failed := f.newVerification(t, sess)
	ok, err := f.Store.SettleVerification(f.Ctx, app.ID, failed.ID, portico.VerificationFailed, sess.UserID, nil, f.Clock.Now(), &portico.VerificationFailure{Session: sess, FlowID: failed.ID, Reason: "user_mismatch"})
	if err != nil || !ok {
		t.Fatalf("fail the flow: %v %v", ok, err)
	}
	es := f.events(t, app.ID)
	last := es[len(es)-1]
	if last.Type != portico.EventSessionVerificationFailed || last.UserID != sess.UserID || eventBody(t, last).Data["flow_id"] != failed.ID {
		t.Fatalf("last event %s %s", last.Type, last.Body)
	}
	if ok, err := f.Store.SettleVerification(f.Ctx, app.ID, failed.ID, portico.VerificationConfirmed, sess.UserID, hashes[0], f.Clock.Now(), nil); ok || err != nil {
		t.Fatalf("a failed flow confirmed: %v %v", ok, err)
	}
}

// A flow expires: it can no longer be settled, and its return code no
// longer used.
func testVerificationExpires(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	ext := "u1"
	sess, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext}, nil)
	late := f.newVerification(t, sess)
	confirmed := f.newVerification(t, sess)
	_, hash := portico.NewToken(portico.PrefixReturnCode)
	if ok, err := f.Store.SettleVerification(f.Ctx, app.ID, confirmed.ID, portico.VerificationConfirmed, sess.UserID, hash, f.Clock.Now(), nil); !ok || err != nil {
		t.Fatalf("confirm: %v %v", ok, err)
	}
	f.Clock.Advance(portico.VerificationTTL)
	if ok, err := f.Store.SettleVerification(f.Ctx, app.ID, late.ID, portico.VerificationConfirmed, sess.UserID, nil, f.Clock.Now(), nil); ok || err != nil {
		t.Fatalf("an expired flow settled: %v %v", ok, err)
	}
	_, err := f.Store.UseReturnCode(f.Ctx, hash, f.Clock.Now())
	WantCode(t, err, portico.CodeConflict)
	f.Clock.Advance(portico.VerificationTTL)
	if n, err := f.Store.PurgeVerifications(f.Ctx, f.Clock.Now().Add(-portico.VerificationTTL/2), 100); n != 2 || err != nil {
		t.Fatalf("purged %d: %v", n, err)
	}
}

// Another app neither sees nor settles a flow.
func testVerificationOtherAppCannotSeeOrSettleIt(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	ext := "u1"
	sess, _ := f.TokenSession(t, app.ID, portico.UserInput{ExternalID: &ext}, nil)
	v := f.newVerification(t, sess)
	_, err := f.Store.FindVerification(f.Ctx, other.ID, v.ID)
	WantCode(t, err, portico.CodeNotFound)
	if ok, err := f.Store.SettleVerification(f.Ctx, other.ID, v.ID, portico.VerificationFailed, sess.UserID, nil, f.Clock.Now(), &portico.VerificationFailure{Session: sess, FlowID: v.ID, Reason: "user_mismatch"}); ok || err != nil {
		t.Fatalf("another app settled the flow: %v %v", ok, err)
	}
	got, err := f.Store.FindVerification(f.Ctx, app.ID, v.ID)
	if err != nil || got.Status != portico.VerificationPending || got.UserID != sess.UserID {
		t.Fatalf("after another app's attempt: %+v %v", got, err)
	}
}
