package storetest

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// newAccount creates an account of appID.
func (f *Fixture) newAccount(t testing.TB, appID, id string) *portico.Account {
	t.Helper()
	a := &portico.Account{AppID: appID, ID: id, Name: "Account " + id}
	if err := f.Store.CreateAccount(f.Ctx, a); err != nil {
		t.Fatalf("create account %s: %v", id, err)
	}
	return a
}

// listAllAccounts pages through every account of appID, size rows at a
// time, as the service does: ask for one row more than the page.
func (f *Fixture) listAllAccounts(t testing.TB, appID string, size int) []portico.Account {
	t.Helper()
	var all []portico.Account
	var after *portico.Cursor
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		rows, err := f.Store.ListAccounts(f.Ctx, appID, portico.ListQuery{After: after, Limit: size + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) <= size {
			return append(all, rows...)
		}
		rows = rows[:size]
		all = append(all, rows...)
		last := rows[size-1]
		after = &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

func accountIDs(as []portico.Account) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

func testAccountCreateFind(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.Clock.Advance(time.Second)
	t1 := f.Clock.Now()
	a := f.newAccount(t, app.ID, "acme-Corp_1")
	if !a.CreatedAt.Equal(t1) || !a.UpdatedAt.Equal(t1) {
		t.Fatalf("timestamps %v/%v, want %v", a.CreatedAt, a.UpdatedAt, t1)
	}
	got, err := f.Store.FindAccountByID(f.Ctx, app.ID, "acme-Corp_1")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("found (-want +got):\n%s", d)
	}
	// Ids are case-sensitive.
	_, err = f.Store.FindAccountByID(f.Ctx, app.ID, "ACME-CORP_1")
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.FindAccountByID(f.Ctx, app.ID, "nope")
	WantCode(t, err, portico.CodeNotFound)
}

func testAccountDuplicateID(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	orig := f.newAccount(t, app.ID, "team")
	f.Clock.Advance(time.Second)
	err := f.Store.CreateAccount(f.Ctx, &portico.Account{AppID: app.ID, ID: "team", Name: "Impostor"})
	WantCode(t, err, portico.CodeConflict)
	got, err := f.Store.FindAccountByID(f.Ctx, app.ID, "team")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(orig, got); d != "" {
		t.Fatalf("the conflicting create changed the account (-want +got):\n%s", d)
	}
	// The same id in another app is another account.
	other := f.NewApp(t, "b")
	f.newAccount(t, other.ID, "team")
	if all := f.listAllAccounts(t, app.ID, 10); len(all) != 1 {
		t.Fatalf("app a has %d accounts, want 1", len(all))
	}
}

func testAccountListPagination(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	f.newAccount(t, other.ID, "foreign")
	// Many accounts share created_at (the clock stands still), and
	// their ids differ in case and punctuation, so both the keyset
	// tie-break and the collation are exercised.
	var want []portico.Account
	for i := 0; i < 23; i++ {
		id := []string{"b", "B", "a", "A", "_x", "-x", "0", "z9", "Z9", "m"}[i%10] + fmt.Sprint(i/10)
		want = append(want, *f.newAccount(t, app.ID, id))
	}
	f.Clock.Advance(time.Millisecond)
	for i := 0; i < 7; i++ {
		want = append(want, *f.newAccount(t, app.ID, fmt.Sprintf("later-%d", i)))
	}
	sort.SliceStable(want, func(i, j int) bool {
		if !want[i].CreatedAt.Equal(want[j].CreatedAt) {
			return want[i].CreatedAt.Before(want[j].CreatedAt)
		}
		return want[i].ID < want[j].ID // byte order
	})
	for _, size := range []int{1, 4, 7, 30, 100} {
		got := f.listAllAccounts(t, app.ID, size)
		if !reflect.DeepEqual(accountIDs(got), accountIDs(want)) {
			t.Fatalf("page size %d:\n got %v\nwant %v", size, accountIDs(got), accountIDs(want))
		}
	}
	// A cursor after the last row gives an empty page.
	last := want[len(want)-1]
	rows, err := f.Store.ListAccounts(f.Ctx, app.ID, portico.ListQuery{After: &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}, Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Fatalf("after the last row: %v %v", accountIDs(rows), err)
	}
}

func testAccountUpdate(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	t0 := f.Clock.Now()
	f.newAccount(t, app.ID, "team")
	f.Clock.Advance(time.Minute)
	t1 := f.Clock.Now()
	a, err := f.Store.UpdateAccount(f.Ctx, app.ID, "team", "Renamed")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(&portico.Account{AppID: app.ID, ID: "team", Name: "Renamed", CreatedAt: t0, UpdatedAt: t1}, a); d != "" {
		t.Fatalf("updated (-want +got):\n%s", d)
	}
	got, err := f.Store.FindAccountByID(f.Ctx, app.ID, "team")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(a, got); d != "" {
		t.Fatalf("found (-want +got):\n%s", d)
	}
	_, err = f.Store.UpdateAccount(f.Ctx, app.ID, "nope", "x")
	WantCode(t, err, portico.CodeNotFound)
	if all := f.listAllAccounts(t, app.ID, 10); len(all) != 1 {
		t.Fatalf("an update of an unknown account created one: %v", accountIDs(all))
	}
}

func testAccountDeleteRemovesMemberships(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newAccount(t, app.ID, "team")
	f.newAccount(t, app.ID, "keep")
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1"), AccountIDs: []string{"team", "keep"}})
	if err := f.Store.DeleteAccount(f.Ctx, app.ID, "team"); err != nil {
		t.Fatal(err)
	}
	_, err := f.Store.FindAccountByID(f.Ctx, app.ID, "team")
	WantCode(t, err, portico.CodeNotFound)
	WantCode(t, f.Store.DeleteAccount(f.Ctx, app.ID, "team"), portico.CodeNotFound)
	got, err := f.Store.FindUserByID(f.Ctx, app.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{"keep"}, got.AccountIDs); d != "" {
		t.Fatalf("user's accounts after account deletion (-want +got):\n%s", d)
	}
	// An account created again under the same id starts empty.
	f.newAccount(t, app.ID, "team")
	got, err = f.Store.FindUserByID(f.Ctx, app.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{"keep"}, got.AccountIDs); d != "" {
		t.Fatalf("a recreated account inherited members (-want +got):\n%s", d)
	}
	if members := f.listAllUsers(t, app.ID, portico.UserFilter{AccountID: ptr("team")}, 10); len(members) != 0 {
		t.Fatalf("recreated account lists members %v", userIDs(members))
	}
}

func testAccountOtherAppCannotSeeChangeOrDeleteIt(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	orig := f.newAccount(t, a.ID, "team")
	_, err := f.Store.FindAccountByID(f.Ctx, b.ID, "team")
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.UpdateAccount(f.Ctx, b.ID, "team", "evil")
	WantCode(t, err, portico.CodeNotFound)
	WantCode(t, f.Store.DeleteAccount(f.Ctx, b.ID, "team"), portico.CodeNotFound)
	if all := f.listAllAccounts(t, b.ID, 10); len(all) != 0 {
		t.Fatalf("app b lists %v", accountIDs(all))
	}
	got, err := f.Store.FindAccountByID(f.Ctx, a.ID, "team")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(orig, got); d != "" {
		t.Fatalf("account changed by another app (-want +got):\n%s", d)
	}
	// Nor can b put its users in a's account.
	_, _, err = f.Store.FindOrCreateUser(f.Ctx, b.ID, portico.NewID(portico.PrefixUser),
		portico.UserInput{ExternalID: ptr("u"), Metadata: []byte(`{}`), AccountIDs: []string{"team"}})
	WantCode(t, err, portico.CodeValidation)
	if members := f.listAllUsers(t, a.ID, portico.UserFilter{AccountID: ptr("team")}, 10); len(members) != 0 {
		t.Fatalf("a's account has members %v", userIDs(members))
	}
}
