package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

func (f *Fixture) newApproval(t *testing.T, appID, userID, digest string) *portico.Approval {
	t.Helper()
	now := f.Clock.Now()
	a := &portico.Approval{ID: portico.NewID(portico.PrefixApproval), AppID: appID, UserID: userID, Integration: "repos",
		Action: "delete-repo", Digest: digest, Summary: portico.ApprovalSummary{Method: "DELETE", Path: "/repos/web"},
		Status: portico.ApprovalPending, CreatedAt: now, ExpiresAt: now.Add(portico.ApprovalTTL)}
	got, err := f.Store.RequestApproval(f.Ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Concurrent requests for one call store one approval, which each of them
// gets; a request after it expired stores another.
func testApprovalOnePerCallUnderConcurrency(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			now := f.Clock.Now()
			a, err := f.Store.RequestApproval(f.Ctx, &portico.Approval{ID: portico.NewID(portico.PrefixApproval), AppID: app.ID, UserID: "usr_a",
				Integration: "repos", Action: "delete-repo", Digest: "d1", Summary: portico.ApprovalSummary{Method: "DELETE", Path: "/repos/web"},
				Status: portico.ApprovalPending, CreatedAt: now, ExpiresAt: now.Add(portico.ApprovalTTL)})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = a.ID
		})
	}
	wg.Wait()
	list, err := f.Store.ListPendingApprovals(f.Ctx, app.ID, "usr_a", f.Clock.Now())
	if err != nil || len(list) != 1 {
		t.Fatalf("%d pending approvals for one call, want 1 (%v)", len(list), err)
	}
	for i, id := range ids {
		if id != list[0].ID {
			t.Fatalf("request %d got approval %q, the pending one is %q", i, id, list[0].ID)
		}
	}
	f.Clock.Advance(portico.ApprovalTTL + time.Second)
	if again := f.newApproval(t, app.ID, "usr_a", "d1"); again.ID == list[0].ID {
		t.Fatal("a request after the approval expired got the expired approval")
	}
}

// Of many concurrent uses of one approved approval, exactly one succeeds.
func testApprovalUsedOnceUnderConcurrency(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	a := f.newApproval(t, app.ID, "usr_a", "d1")
	if _, err := f.Store.DecideApproval(f.Ctx, app.ID, "usr_a", a.ID, true, f.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	var used atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := f.Store.UseApproval(f.Ctx, app.ID, "usr_a", "d1", f.Clock.Now())
			if err != nil {
				t.Error(err)
			}
			if ok {
				used.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := used.Load(); n != 1 {
		t.Fatalf("%d uses of one approval, want 1", n)
	}
	got, err := f.Store.FindApproval(f.Ctx, app.ID, "usr_a", a.ID)
	if err != nil || got.Status != portico.ApprovalUsed {
		t.Fatalf("after use: %+v %v", got, err)
	}
}

// A declined, an expired and a pending approval are never used; an expired
// one cannot be decided; a decided one cannot be decided again.
func testApprovalDeclinedExpiredOrPendingNeverUsed(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	use := func(digest string) bool {
		t.Helper()
		ok, err := f.Store.UseApproval(f.Ctx, app.ID, "usr_a", digest, f.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	pending := f.newApproval(t, app.ID, "usr_a", "pending")
	if use("pending") {
		t.Error("a pending approval was used")
	}
	if p := f.newApproval(t, app.ID, "usr_a", "pending"); p.ID != pending.ID {
		t.Errorf("the same call made again got another approval, %s, not %s", p.ID, pending.ID)
	}
	declined := f.newApproval(t, app.ID, "usr_a", "declined")
	if _, err := f.Store.DecideApproval(f.Ctx, app.ID, "usr_a", declined.ID, false, f.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if use("declined") {
		t.Error("a declined approval was used")
	}
	_, err := f.Store.DecideApproval(f.Ctx, app.ID, "usr_a", declined.ID, true, f.Clock.Now())
	WantCode(t, err, portico.CodeConflict)
	late := f.newApproval(t, app.ID, "usr_a", "late")
	if _, err := f.Store.DecideApproval(f.Ctx, app.ID, "usr_a", late.ID, true, f.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	never := f.newApproval(t, app.ID, "usr_a", "never")
	f.Clock.Advance(portico.ApprovalTTL + time.Second)
	if use("late") {
		t.Error("an expired approval was used")
	}
	_, err = f.Store.DecideApproval(f.Ctx, app.ID, "usr_a", never.ID, true, f.Clock.Now())
	WantCode(t, err, portico.CodeConflict)
	if list, err := f.Store.ListPendingApprovals(f.Ctx, app.ID, "usr_a", f.Clock.Now()); err != nil || len(list) != 0 {
		t.Errorf("pending after expiry: %v %v", list, err)
	}
	if p := f.newApproval(t, app.ID, "usr_a", "never"); p.ID == never.ID {
		t.Error("an expired approval is still pending")
	}
}

// Another app, or another user of the app, neither sees, decides nor uses
// an approval.
func testApprovalOtherAppOrUserCannotSeeOrDecideIt(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	a := f.newApproval(t, app.ID, "usr_a", "d1")
	_, err := f.Store.FindApproval(f.Ctx, other.ID, "usr_a", a.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.FindApproval(f.Ctx, app.ID, "usr_b", a.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.DecideApproval(f.Ctx, other.ID, "usr_a", a.ID, true, f.Clock.Now())
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.DecideApproval(f.Ctx, app.ID, "usr_b", a.ID, true, f.Clock.Now())
	WantCode(t, err, portico.CodeNotFound)
	if list, err := f.Store.ListPendingApprovals(f.Ctx, other.ID, "usr_a", f.Clock.Now()); err != nil || len(list) != 0 {
		t.Errorf("another app lists %v (%v)", list, err)
	}
	if _, err := f.Store.DecideApproval(f.Ctx, app.ID, "usr_a", a.ID, true, f.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, who := range [][2]string{{other.ID, "usr_a"}, {app.ID, "usr_b"}} {
		if ok, err := f.Store.UseApproval(f.Ctx, who[0], who[1], "d1", f.Clock.Now()); ok || err != nil {
			t.Errorf("%v used it: %v %v", who, ok, err)
		}
	}
}

// Approvals expired before the instant are deleted, in batches.
func testApprovalPurge(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	for i := range 3 {
		f.newApproval(t, app.ID, "usr_a", fmt.Sprintf("old-%d", i))
	}
	f.Clock.Advance(time.Hour)
	fresh := f.newApproval(t, app.ID, "usr_a", "new")
	before := f.Clock.Now()
	if n, err := f.Store.PurgeApprovals(f.Ctx, before, 2); err != nil || n != 2 {
		t.Fatalf("first batch: %d %v", n, err)
	}
	if n, err := f.Store.PurgeApprovals(f.Ctx, before, 2); err != nil || n != 1 {
		t.Fatalf("second batch: %d %v", n, err)
	}
	if _, err := f.Store.FindApproval(f.Ctx, app.ID, "usr_a", fresh.ID); err != nil {
		t.Fatalf("the fresh approval went: %v", err)
	}
}
