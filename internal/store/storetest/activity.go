package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/portico"
)

// activityRow is a complete row of app, at the fixture's time plus d.
func (f *Fixture) activityRow(appID, userID, integration, outcome string, d time.Duration) *portico.Activity {
	return &portico.Activity{ID: portico.NewID(portico.PrefixActivity), AppID: appID, UserID: userID, SessionID: "ses_1",
		KeyID: "key_1", Client: portico.ClientAPI, Integration: integration, Action: "list-repos", Method: "GET",
		Path: "/repos/{owner}", UpstreamStatus: 200, Outcome: outcome, DryRun: outcome == portico.OutcomeFailed,
		Duration: 1500 * time.Microsecond, RequestID: "req_1", CreatedAt: f.Clock.Now().Add(d).Truncate(time.Microsecond)}
}

func (f *Fixture) record(t *testing.T, rows ...*portico.Activity) {
	t.Helper()
	for _, a := range rows {
		if err := f.Store.RecordActivity(f.Ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Store.FlushActivity(f.Ctx); err != nil {
		t.Fatal(err)
	}
}

func (f *Fixture) listActivity(t *testing.T, appID string, flt portico.ActivityFilter, q portico.ListQuery) []portico.Activity {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	rows, err := f.Store.ListActivity(f.Ctx, appID, flt, q)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func ids(rows []portico.Activity) []string {
	out := []string{}
	for _, a := range rows {
		out = append(out, a.ID)
	}
	return out
}

// Rows come back whole, newest first, narrowed by each filter.
func testActivityListNewestFirstWithFilters(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	a := f.activityRow(app.ID, "usr_a", "github", portico.OutcomeSuccess, 0)
	b := f.activityRow(app.ID, "usr_b", "github", portico.OutcomeUpstreamError, time.Second)
	c := f.activityRow(app.ID, "usr_a", "slack", portico.OutcomeFailed, 2*time.Second)
	f.record(t, a, b, c)
	all := f.listActivity(t, app.ID, portico.ActivityFilter{}, portico.ListQuery{})
	if diff := cmp.Diff([]portico.Activity{*c, *b, *a}, all); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	str := func(s string) *string { return &s }
	at := func(d time.Duration) *time.Time { v := f.Clock.Now().Add(d); return &v }
	for _, tc := range []struct {
		name string
		flt  portico.ActivityFilter
		want []string
	}{
		{"user", portico.ActivityFilter{UserID: str("usr_a")}, []string{c.ID, a.ID}},
		{"integration", portico.ActivityFilter{Integration: str("github")}, []string{b.ID, a.ID}},
		{"outcome", portico.ActivityFilter{Outcome: str(portico.OutcomeUpstreamError)}, []string{b.ID}},
		{"since inclusive", portico.ActivityFilter{Since: at(time.Second)}, []string{c.ID, b.ID}},
		{"until exclusive", portico.ActivityFilter{Until: at(2 * time.Second)}, []string{b.ID, a.ID}},
		{"all together", portico.ActivityFilter{UserID: str("usr_a"), Integration: str("slack"), Since: at(0), Until: at(time.Hour)}, []string{c.ID}},
		{"nothing", portico.ActivityFilter{UserID: str("usr_z")}, []string{}},
	} {
		if got := ids(f.listActivity(t, app.ID, tc.flt, portico.ListQuery{})); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// A set of integrations keeps the rows of no integration too.
	d := f.activityRow(app.ID, "usr_a", "", portico.OutcomeSuccess, 3*time.Second)
	f.record(t, d)
	for _, tc := range []struct {
		name string
		flt  portico.ActivityFilter
		want []string
	}{
		{"integrations", portico.ActivityFilter{Integrations: []string{"github", "notion"}}, []string{d.ID, b.ID, a.ID}},
		{"integrations and user", portico.ActivityFilter{UserID: str("usr_b"), Integrations: []string{"slack", "github"}}, []string{b.ID}},
		{"no integrations", portico.ActivityFilter{Integrations: []string{}}, []string{d.ID}},
	} {
		if got := ids(f.listActivity(t, app.ID, tc.flt, portico.ListQuery{})); !cmp.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// Rows of the same microsecond are paged by id, none lost or repeated.
func testActivityKeysetPagesOverTies(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	var want []string
	for i := range 7 {
		a := f.activityRow(app.ID, "usr_a", "github", portico.OutcomeSuccess, time.Duration(i/3)*time.Second)
		f.record(t, a)
		want = append(want, a.ID)
	}
	var got []string
	q := portico.ListQuery{Limit: 2}
	for {
		page := f.listActivity(t, app.ID, portico.ActivityFilter{}, q)
		got = append(got, ids(page)...)
		if len(page) < 2 {
			break
		}
		last := page[len(page)-1]
		q.After = &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	all := ids(f.listActivity(t, app.ID, portico.ActivityFilter{}, portico.ListQuery{}))
	if !cmp.Equal(got, all) || len(got) != len(want) {
		t.Fatalf("paged %v, listed %v (%d written)", got, all, len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("row %s twice", got[i])
		}
	}
}

// Another app lists none of an app's rows, whatever it filters by.
func testActivityOtherAppCannotSeeIt(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	mine := f.activityRow(app.ID, "usr_a", "github", portico.OutcomeSuccess, 0)
	f.record(t, mine)
	user := "usr_a"
	for _, flt := range []portico.ActivityFilter{{}, {UserID: &user}} {
		if got := f.listActivity(t, other.ID, flt, portico.ListQuery{}); len(got) != 0 {
			t.Fatalf("other app sees %v", ids(got))
		}
	}
	if got := ids(f.listActivity(t, app.ID, portico.ActivityFilter{}, portico.ListQuery{})); !cmp.Equal(got, []string{mine.ID}) {
		t.Fatalf("own app sees %v", got)
	}
}

// A queued row is committed by the writer on its own within a second.
func testActivityCommittedWithinASecondWithoutFlush(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	a := f.activityRow(app.ID, "usr_a", "github", portico.OutcomeSuccess, 0)
	start := time.Now()
	if err := f.Store.RecordActivity(f.Ctx, a); err != nil {
		t.Fatal(err)
	}
	for {
		if got := f.listActivity(t, app.ID, portico.ActivityFilter{}, portico.ListQuery{}); len(got) == 1 {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("row not committed within a second")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The purge deletes each app's rows older than its own retention, batch by
// batch, and nothing younger.
func testActivityPurgeByEachAppsRetention(t *testing.T, f *Fixture) {
	short, long := f.NewApp(t, "short"), f.NewApp(t, "long")
	short.Settings.ActivityRetentionDays = 1
	if err := f.Store.UpdateApp(f.Ctx, short); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	var old []*portico.Activity
	for range 3 {
		old = append(old, f.activityRow(short.ID, "usr_a", "github", portico.OutcomeSuccess, -2*day))
	}
	fresh := f.activityRow(short.ID, "usr_a", "github", portico.OutcomeSuccess, -time.Hour)
	kept := f.activityRow(long.ID, "usr_a", "github", portico.OutcomeSuccess, -2*day)
	gone := f.activityRow(long.ID, "usr_a", "github", portico.OutcomeSuccess, -31*day)
	f.record(t, append(old, fresh, kept, gone)...)
	now := f.Clock.Now()
	total := 0
	for {
		n, err := f.Store.PurgeActivity(f.Ctx, now, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n > 2 {
			t.Fatalf("purged %d in a batch of 2", n)
		}
		total += n
		if n == 0 {
			break
		}
	}
	if total != 4 {
		t.Fatalf("purged %d rows, want 4", total)
	}
	if got := ids(f.listActivity(t, short.ID, portico.ActivityFilter{}, portico.ListQuery{})); !cmp.Equal(got, []string{fresh.ID}) {
		t.Fatalf("short keeps %v, want %v", got, fresh.ID)
	}
	if got := ids(f.listActivity(t, long.ID, portico.ActivityFilter{}, portico.ListQuery{})); !cmp.Equal(got, []string{kept.ID}) {
		t.Fatalf("long keeps %v, want %v", got, kept.ID)
	}
}

// Rows queued from many goroutines at once are all committed, once each.
func testActivityManyConcurrentWriters(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	const writers, each = 8, 150
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				a := f.activityRow(app.ID, fmt.Sprintf("usr_%d", w), "github", portico.OutcomeSuccess, time.Duration(i)*time.Millisecond)
				if err := f.Store.RecordActivity(f.Ctx, a); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := f.Store.FlushActivity(f.Ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	q := portico.ListQuery{Limit: 100}
	for {
		page := f.listActivity(t, app.ID, portico.ActivityFilter{}, q)
		n += len(page)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if n != writers*each {
		t.Fatalf("%d rows, want %d", n, writers*each)
	}
}
