package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/porticohq/portico/internal/portico"
)

func ptr[T any](v T) *T { return &v }

// newUser finds or creates a user of appID and fails unless it was created.
func (f *Fixture) newUser(t testing.TB, appID string, in portico.UserInput) *portico.User {
	t.Helper()
	if in.Metadata == nil {
		in.Metadata = json.RawMessage(`{}`)
	}
	u, created, err := f.Store.FindOrCreateUser(f.Ctx, appID, portico.NewID(portico.PrefixUser), in)
	if err != nil || !created {
		t.Fatalf("create user: created=%v err=%v", created, err)
	}
	return u
}

// listAllUsers pages through the users of appID matching filter, size rows
// at a time, as the service does.
func (f *Fixture) listAllUsers(t testing.TB, appID string, filter portico.UserFilter, size int) []portico.User {
	t.Helper()
	var all []portico.User
	var after *portico.Cursor
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		rows, err := f.Store.ListUsers(f.Ctx, appID, filter, portico.ListQuery{After: after, Limit: size + 1})
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

func userIDs(us []portico.User) []string {
	ids := make([]string, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}

func sortedUserIDs(us []portico.User) []string {
	ids := userIDs(us)
	sort.Strings(ids)
	return ids
}

func testFindOrCreateUserCreatesThenFinds(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	in := portico.UserInput{ExternalID: ptr("u-1"), Name: "Ann", Metadata: []byte(`{}`)}
	u1, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), in)
	if err != nil || !created {
		t.Fatalf("first: created=%v err=%v", created, err)
	}
	in.Name = "Other"
	u2, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), in)
	if err != nil || created {
		t.Fatalf("second: created=%v err=%v", created, err)
	}
	if d := diff(u1, u2); d != "" {
		t.Fatalf("second, want the first user as it was (-want +got):\n%s", d)
	}
}

func testFindOrCreateUserByEmail(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	t0 := f.Clock.Now()
	id := portico.NewID(portico.PrefixUser)
	u1, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, id, portico.UserInput{Email: ptr("ann@example.com"), Name: "Ann", Metadata: []byte(`{"plan":"pro"}`)})
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	want := &portico.User{ID: id, AppID: app.ID, Email: ptr("ann@example.com"), Name: "Ann", Metadata: json.RawMessage(`{"plan":"pro"}`),
		CreatedAt: t0, UpdatedAt: t0}
	if d := diff(want, u1, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("created (-want +got):\n%s", d)
	}
	f.Clock.Advance(time.Minute)
	u2, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserInput{Email: ptr("ann@example.com"), Metadata: []byte(`{}`)})
	if err != nil || created {
		t.Fatalf("find: created=%v err=%v", created, err)
	}
	if d := diff(u1, u2); d != "" {
		t.Fatalf("found, want the user as created (-want +got):\n%s", d)
	}
}

func testFindOrCreateUserEmailAndExternalIDNamespacesAreSeparate(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	const s = "ann@example.com"
	byExt := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr(s)})
	byEmail := f.newUser(t, app.ID, portico.UserInput{Email: ptr(s)})
	if byExt.ID == byEmail.ID {
		t.Fatal("the same string as external_id and as email is one user")
	}
	// A user keyed by external id who has an email does not own that
	// email in the email namespace.
	withEmail := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u-2"), Email: ptr("bob@example.com")})
	bob := f.newUser(t, app.ID, portico.UserInput{Email: ptr("bob@example.com")})
	if bob.ID == withEmail.ID {
		t.Fatal("the email key found a user keyed by external id")
	}
	// Giving both finds by the external id, whatever the email.
	u, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser),
		portico.UserInput{ExternalID: ptr("u-2"), Email: ptr("other@example.com"), Metadata: []byte(`{}`)})
	if err != nil || created {
		t.Fatalf("find by external id: created=%v err=%v", created, err)
	}
	if d := diff(withEmail, u); d != "" {
		t.Fatalf("found by external id (-want +got):\n%s", d)
	}
	if all := f.listAllUsers(t, app.ID, portico.UserFilter{}, 10); len(all) != 4 {
		t.Fatalf("%d users, want 4", len(all))
	}
}

func testFindOrCreateUserFoundUserKeepsFieldsAndGainsAccounts(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	for _, id := range []string{"acc-1", "acc-2", "acc-3"} {
		f.newAccount(t, app.ID, id)
	}
	orig := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u"), Email: ptr("ann@example.com"), Name: "Ann",
		Metadata: []byte(`{"a":1}`), AccountIDs: []string{"acc-2"}})
	if !reflect.DeepEqual(orig.AccountIDs, []string{"acc-2"}) {
		t.Fatalf("created with accounts %v", orig.AccountIDs)
	}
	f.Clock.Advance(time.Minute)
	u, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserInput{
		ExternalID: ptr("u"), Email: ptr("bob@example.com"), Name: "Bob", Metadata: []byte(`{"b":2}`), AccountIDs: []string{"acc-3", "acc-1", "acc-2"}})
	if err != nil || created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	want := *orig
	want.AccountIDs = []string{"acc-1", "acc-2", "acc-3"}
	if d := diff(want, *u); d != "" {
		t.Fatalf("found (-want +got):\n%s", d)
	}
	got, err := f.Store.FindUserByID(f.Ctx, app.ID, orig.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(want, *got); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
}

func testFindOrCreateUserUnknownAccountWritesNothing(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newAccount(t, app.ID, "known")
	_, _, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser),
		portico.UserInput{ExternalID: ptr("u"), Metadata: []byte(`{}`), AccountIDs: []string{"known", "unknown"}})
	WantCode(t, err, portico.CodeValidation)
	if all := f.listAllUsers(t, app.ID, portico.UserFilter{}, 10); len(all) != 0 {
		t.Fatalf("a failed create left users %v", userIDs(all))
	}
	// For a found user, the known account listed first is not added.
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u")})
	_, _, err = f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser),
		portico.UserInput{ExternalID: ptr("u"), Metadata: []byte(`{}`), AccountIDs: []string{"known", "unknown"}})
	WantCode(t, err, portico.CodeValidation)
	got, err := f.Store.FindUserByID(f.Ctx, app.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AccountIDs) != 0 {
		t.Fatalf("a failed find-or-create changed memberships: %v", got.AccountIDs)
	}
}

func testFindOrCreateUserMaxUsers(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	app.Settings.MaxUsers = ptr(2)
	if err := f.Store.UpdateApp(f.Ctx, app); err != nil {
		t.Fatal(err)
	}
	first := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("1")})
	f.newUser(t, app.ID, portico.UserInput{Email: ptr("two@example.com")})
	_, _, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserInput{ExternalID: ptr("3"), Metadata: []byte(`{}`)})
	WantCode(t, err, portico.CodeQuotaExceeded)
	// At the limit, existing users are still found.
	u, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserInput{ExternalID: ptr("1"), Metadata: []byte(`{}`)})
	if err != nil || created {
		t.Fatalf("find at the limit: created=%v err=%v", created, err)
	}
	if d := diff(first, u); d != "" {
		t.Fatalf("found at the limit (-want +got):\n%s", d)
	}
	// The limit is per app.
	other := f.NewApp(t, "b")
	f.newUser(t, other.ID, portico.UserInput{ExternalID: ptr("3")})
	// Deleting a user makes room.
	if err := f.Store.DeleteUser(f.Ctx, app.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("3")})
	if all := f.listAllUsers(t, app.ID, portico.UserFilter{}, 10); len(all) != 2 {
		t.Fatalf("%d users, want 2", len(all))
	}
}

func testFindOrCreateUserMaxUsersHoldsUnderConcurrency(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	app.Settings.MaxUsers = ptr(5)
	if err := f.Store.UpdateApp(f.Ctx, app); err != nil {
		t.Fatal(err)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser),
				portico.UserInput{ExternalID: ptr(fmt.Sprint("u-", i)), Metadata: []byte(`{}`)})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch portico.ErrorCode(err) {
		case "":
			ok++
		case portico.CodeQuotaExceeded:
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 5 {
		t.Errorf("%d creations succeeded, want exactly 5", ok)
	}
	if all := f.listAllUsers(t, app.ID, portico.UserFilter{}, 100); len(all) != 5 {
		t.Errorf("%d users stored, want exactly 5", len(all))
	}
}

// concurrentSameKey races 20 find-or-creates of one external id, under
// max_users when set: one user is created, and every call finds it.
func concurrentSameKey(t *testing.T, f *Fixture, maxUsers *int) {
	app := f.NewApp(t, "a")
	if maxUsers != nil {
		app.Settings.MaxUsers = maxUsers
		if err := f.Store.UpdateApp(f.Ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	const n = 20
	type result struct {
		u       *portico.User
		created bool
		err     error
	}
	res := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			u, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser),
				portico.UserInput{ExternalID: ptr("same"), Metadata: []byte(`{}`)})
			res[i] = result{u, created, err}
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	ids := map[string]bool{}
	for _, r := range res {
		if r.err != nil {
			t.Errorf("find-or-create failed: %v", r.err)
			continue
		}
		ids[r.u.ID] = true
		if r.created {
			created++
		}
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("created=true %d times for %d distinct ids, want once for one id", created, len(ids))
	}
	if all := f.listAllUsers(t, app.ID, portico.UserFilter{}, 100); len(all) != 1 {
		t.Errorf("%d users stored, want 1", len(all))
	}
}

func testFindOrCreateUserConcurrentSameExternalID(t *testing.T, f *Fixture) {
	concurrentSameKey(t, f, nil)
}

func testFindOrCreateUserConcurrentSameExternalIDAtQuota(t *testing.T, f *Fixture) {
	concurrentSameKey(t, f, ptr(1))
}

func testListUsersFilters(t *testing.T, f *Fixture) {
	app, other := f.NewApp(t, "a"), f.NewApp(t, "b")
	f.newAccount(t, app.ID, "team")
	f.newAccount(t, other.ID, "team")
	ann := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("ann"), Email: ptr("shared@example.com"), AccountIDs: []string{"team"}})
	byEmail := f.newUser(t, app.ID, portico.UserInput{Email: ptr("shared@example.com")})
	bob := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("bob"), AccountIDs: []string{"team"}})
	f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("carl")})
	foreign := f.newUser(t, other.ID, portico.UserInput{ExternalID: ptr("ann"), Email: ptr("shared@example.com"), AccountIDs: []string{"team"}})
	for _, tc := range []struct {
		name   string
		filter portico.UserFilter
		want   []*portico.User
	}{
		{"external_id", portico.UserFilter{ExternalID: ptr("ann")}, []*portico.User{ann}},
		{"unknown external_id", portico.UserFilter{ExternalID: ptr("zed")}, nil},
		{"email", portico.UserFilter{Email: ptr("shared@example.com")}, []*portico.User{ann, byEmail}},
		{"account", portico.UserFilter{AccountID: ptr("team")}, []*portico.User{ann, bob}},
		{"account and external_id", portico.UserFilter{AccountID: ptr("team"), ExternalID: ptr("bob")}, []*portico.User{bob}},
		{"email and external_id", portico.UserFilter{Email: ptr("shared@example.com"), ExternalID: ptr("bob")}, nil},
		{"unknown account", portico.UserFilter{AccountID: ptr("nope")}, nil},
	} {
		got := f.listAllUsers(t, app.ID, tc.filter, 2)
		var want []string
		for _, u := range tc.want {
			want = append(want, u.ID)
		}
		sort.Strings(want)
		if g := sortedUserIDs(got); !reflect.DeepEqual(g, want) && (len(g) != 0 || len(want) != 0) {
			t.Errorf("%s: got %v, want %v", tc.name, g, want)
		}
		for _, u := range got {
			if u.ID == foreign.ID || u.AppID != app.ID {
				t.Errorf("%s: lists a user of another app", tc.name)
			}
		}
	}
	// Listed users carry their memberships.
	got := f.listAllUsers(t, app.ID, portico.UserFilter{ExternalID: ptr("ann")}, 10)
	if d := diff([]portico.User{*ann}, got); d != "" {
		t.Fatalf("listed (-want +got):\n%s", d)
	}
}

func testListUsersKeysetPaginationOverTies(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newAccount(t, app.ID, "even")
	var want []portico.User
	// The clock stands still: 25 users share one created_at, then 10
	// share the next, then 4 more.
	for i := 0; i < 39; i++ {
		if i == 25 || i == 35 {
			f.Clock.Advance(time.Microsecond)
		}
		in := portico.UserInput{ExternalID: ptr(fmt.Sprint("u-", i))}
		if i%2 == 0 {
			in.AccountIDs = []string{"even"}
		}
		want = append(want, *f.newUser(t, app.ID, in))
	}
	sort.SliceStable(want, func(i, j int) bool {
		if !want[i].CreatedAt.Equal(want[j].CreatedAt) {
			return want[i].CreatedAt.Before(want[j].CreatedAt)
		}
		return want[i].ID < want[j].ID
	})
	for _, size := range []int{1, 3, 10, 25, 100} {
		got := f.listAllUsers(t, app.ID, portico.UserFilter{}, size)
		if !reflect.DeepEqual(userIDs(got), userIDs(want)) {
			t.Fatalf("page size %d:\n got %v\nwant %v", size, userIDs(got), userIDs(want))
		}
	}
	var even []string
	for _, u := range want {
		if len(u.AccountIDs) == 1 {
			even = append(even, u.ID)
		}
	}
	got := f.listAllUsers(t, app.ID, portico.UserFilter{AccountID: ptr("even")}, 4)
	if !reflect.DeepEqual(userIDs(got), even) {
		t.Fatalf("filtered:\n got %v\nwant %v", userIDs(got), even)
	}
}

func testUpdateUserFields(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	t0 := f.Clock.Now()
	u := f.newUser(t, app.ID, portico.UserInput{Email: ptr("ann@example.com"), Name: "Ann", Metadata: []byte(`{"a":1}`)})
	f.Clock.Advance(time.Hour)
	t1 := f.Clock.Now()
	got, err := f.Store.UpdateUser(f.Ctx, app.ID, u.ID, portico.UserUpdate{Name: ptr("Annie"), Metadata: []byte(`{"b":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := *u
	want.Name, want.Metadata, want.CreatedAt, want.UpdatedAt = "Annie", json.RawMessage(`{"b":2}`), t0, t1
	if d := diff(&want, got, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("updated (-want +got):\n%s", d)
	}
	got, err = f.Store.UpdateUser(f.Ctx, app.ID, u.ID, portico.UserUpdate{ExternalID: ptr("ext-1"), Email: ptr("new@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	want.ExternalID, want.Email = ptr("ext-1"), ptr("new@example.com")
	if d := diff(&want, got, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("updated keys (-want +got):\n%s", d)
	}
	stored, err := f.Store.FindUserByID(f.Ctx, app.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, stored); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
	// It is found by its new key now.
	found, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserInput{ExternalID: ptr("ext-1"), Metadata: []byte(`{}`)})
	if err != nil || created {
		t.Fatalf("find by new external id: created=%v err=%v", created, err)
	}
	if d := diff(got, found); d != "" {
		t.Fatalf("found by new external id (-want +got):\n%s", d)
	}
	_, err = f.Store.UpdateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), portico.UserUpdate{Name: ptr("x")})
	WantCode(t, err, portico.CodeNotFound)
}

func testUpdateUserConflict(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("taken")})
	f.newUser(t, app.ID, portico.UserInput{Email: ptr("taken@example.com")})
	byExt := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("mine"), Name: "Mine"})
	byEmail := f.newUser(t, app.ID, portico.UserInput{Email: ptr("mine@example.com"), Name: "Mine"})
	f.Clock.Advance(time.Minute)
	for _, tc := range []struct {
		name string
		id   string
		upd  portico.UserUpdate
	}{
		{"external_id", byExt.ID, portico.UserUpdate{ExternalID: ptr("taken"), Name: ptr("changed")}},
		{"external_id of an email-keyed user", byEmail.ID, portico.UserUpdate{ExternalID: ptr("taken"), Name: ptr("changed")}},
		{"email", byEmail.ID, portico.UserUpdate{Email: ptr("taken@example.com"), Name: ptr("changed")}},
	} {
		before, err := f.Store.FindUserByID(f.Ctx, app.ID, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Store.UpdateUser(f.Ctx, app.ID, tc.id, tc.upd)
		WantCode(t, err, portico.CodeConflict)
		after, err := f.Store.FindUserByID(f.Ctx, app.ID, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(before, after); d != "" {
			t.Fatalf("%s: a conflicting update changed the user (-before +after):\n%s", tc.name, d)
		}
	}
	// An external-id-keyed user may carry an email that keys another
	// user: the namespaces are separate.
	got, err := f.Store.UpdateUser(f.Ctx, app.ID, byExt.ID, portico.UserUpdate{Email: ptr("taken@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(ptr("taken@example.com"), got.Email); d != "" {
		t.Fatalf("email on an external-id user (-want +got):\n%s", d)
	}
}

func testUpdateUserReplacesMemberships(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	for _, id := range []string{"a1", "a2", "a3"} {
		f.newAccount(t, app.ID, id)
	}
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u"), AccountIDs: []string{"a1", "a2"}})
	got, err := f.Store.UpdateUser(f.Ctx, app.ID, u.ID, portico.UserUpdate{AccountIDs: &[]string{"a3", "a2"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{"a2", "a3"}, got.AccountIDs); d != "" {
		t.Fatalf("replaced accounts (-want +got):\n%s", d)
	}
	// Without account_ids the memberships stay.
	got, err = f.Store.UpdateUser(f.Ctx, app.ID, u.ID, portico.UserUpdate{Name: ptr("n")})
	if err != nil {
		t.Fatal(err)
	}
	if d := diff([]string{"a2", "a3"}, got.AccountIDs); d != "" {
		t.Fatalf("untouched accounts (-want +got):\n%s", d)
	}
	// An unknown account fails the whole update.
	_, err = f.Store.UpdateUser(f.Ctx, app.ID, u.ID, portico.UserUpdate{Name: ptr("changed"), AccountIDs: &[]string{"a1", "nope"}})
	WantCode(t, err, portico.CodeValidation)
	stored, err := f.Store.FindUserByID(f.Ctx, app.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, stored); d != "" {
		t.Fatalf("a failed update changed the user (-want +got):\n%s", d)
	}
	got, err = f.Store.UpdateUser(f.Ctx, app.ID, u.ID, portico.UserUpdate{AccountIDs: &[]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AccountIDs) != 0 {
		t.Fatalf("cleared accounts: %v", got.AccountIDs)
	}
	if members := f.listAllUsers(t, app.ID, portico.UserFilter{AccountID: ptr("a2")}, 10); len(members) != 0 {
		t.Fatalf("a2 still lists %v", userIDs(members))
	}
}

func testDeleteUserCascadesMemberships(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newAccount(t, app.ID, "team")
	id := portico.NewID(portico.PrefixUser)
	in := portico.UserInput{ExternalID: ptr("u"), Metadata: []byte(`{}`), AccountIDs: []string{"team"}}
	if _, _, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, id, in); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.DeleteUser(f.Ctx, app.ID, id); err != nil {
		t.Fatal(err)
	}
	_, err := f.Store.FindUserByID(f.Ctx, app.ID, id)
	WantCode(t, err, portico.CodeNotFound)
	WantCode(t, f.Store.DeleteUser(f.Ctx, app.ID, id), portico.CodeNotFound)
	if members := f.listAllUsers(t, app.ID, portico.UserFilter{AccountID: ptr("team")}, 10); len(members) != 0 {
		t.Fatalf("deleted user still listed in its account: %v", userIDs(members))
	}
	// A new user under the very same id starts without the old
	// memberships, so none were left behind.
	u, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, id, portico.UserInput{ExternalID: ptr("u"), Metadata: []byte(`{}`)})
	if err != nil || !created {
		t.Fatalf("recreated: created=%v err=%v", created, err)
	}
	if u.ID != id || len(u.AccountIDs) != 0 {
		t.Fatalf("recreated: id %s (want %s), accounts %v", u.ID, id, u.AccountIDs)
	}
	// The account itself stays.
	if _, err := f.Store.FindAccountByID(f.Ctx, app.ID, "team"); err != nil {
		t.Fatal(err)
	}
}

func testFindUserByIDOtherAppCannotSeeIt(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	u, _, err := f.Store.FindOrCreateUser(f.Ctx, a.ID, portico.NewID(portico.PrefixUser), portico.UserInput{ExternalID: ptr("x"), Metadata: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Store.FindUserByID(f.Ctx, b.ID, u.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.UpdateUser(f.Ctx, b.ID, u.ID, portico.UserUpdate{Name: ptr("evil")})
	WantCode(t, err, portico.CodeNotFound)
	WantCode(t, f.Store.DeleteUser(f.Ctx, b.ID, u.ID), portico.CodeNotFound)
	got, err := f.Store.FindUserByID(f.Ctx, a.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(u, got); d != "" {
		t.Fatalf("user changed by another app (-want +got):\n%s", d)
	}
}

// FindUserByID and FindUserByExternalID return the user as ListUsers does,
// accounts included in their order, and nothing of another app.
func testFindUserByIDAndExternalID(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	for _, acc := range []string{"zeta", "alpha", "mid"} {
		f.newAccount(t, a.ID, acc)
	}
	member := f.newUser(t, a.ID, portico.UserInput{ExternalID: ptr("member"), AccountIDs: []string{"zeta", "alpha", "mid"}})
	loner := f.newUser(t, a.ID, portico.UserInput{ExternalID: ptr("loner")})
	listed := f.listAllUsers(t, a.ID, portico.UserFilter{}, 10)
	if len(listed) != 2 {
		t.Fatalf("ListUsers = %v, want 2 users", userIDs(listed))
	}
	for _, want := range listed {
		byID, err := f.Store.FindUserByID(f.Ctx, a.ID, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(&want, byID); d != "" {
			t.Fatalf("FindUserByID(%s) (-listed +found):\n%s", want.ID, d)
		}
		byExt, err := f.Store.FindUserByExternalID(f.Ctx, a.ID, *want.ExternalID)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(&want, byExt); d != "" {
			t.Fatalf("FindUserByExternalID(%s) (-listed +found):\n%s", *want.ExternalID, d)
		}
	}
	if got, _ := f.Store.FindUserByID(f.Ctx, a.ID, member.ID); got == nil || !slices.Equal(got.AccountIDs, []string{"alpha", "mid", "zeta"}) {
		t.Fatalf("member's accounts = %v, want alpha, mid, zeta", got)
	}
	if got, _ := f.Store.FindUserByID(f.Ctx, a.ID, loner.ID); got == nil || got.AccountIDs == nil || len(got.AccountIDs) != 0 {
		t.Fatalf("loner's accounts = %#v, want an empty list", got)
	}
	for _, ext := range []string{"nobody", "MEMBER", ""} {
		_, err := f.Store.FindUserByExternalID(f.Ctx, a.ID, ext)
		WantCode(t, err, portico.CodeNotFound)
	}
	_, err := f.Store.FindUserByExternalID(f.Ctx, b.ID, "member")
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.FindUserByID(f.Ctx, b.ID, member.ID)
	WantCode(t, err, portico.CodeNotFound)
}

func testUsersOtherAppCannotListOrFindByKey(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	ua := f.newUser(t, a.ID, portico.UserInput{ExternalID: ptr("x"), Email: ptr("x@example.com"), Name: "A's"})
	ea := f.newUser(t, a.ID, portico.UserInput{Email: ptr("y@example.com")})
	if got := f.listAllUsers(t, b.ID, portico.UserFilter{}, 10); len(got) != 0 {
		t.Fatalf("app b lists %v", userIDs(got))
	}
	if got := f.listAllUsers(t, b.ID, portico.UserFilter{ExternalID: ptr("x")}, 10); len(got) != 0 {
		t.Fatalf("app b finds a's user by external id: %v", userIDs(got))
	}
	// The same keys in app b are other users; a's stay untouched.
	ub := f.newUser(t, b.ID, portico.UserInput{ExternalID: ptr("x"), Name: "B's"})
	eb := f.newUser(t, b.ID, portico.UserInput{Email: ptr("y@example.com")})
	if ub.ID == ua.ID || eb.ID == ea.ID {
		t.Fatal("another app's find-or-create returned a's user")
	}
	got, err := f.Store.FindUserByID(f.Ctx, a.ID, ua.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(ua, got); d != "" {
		t.Fatalf("a's user changed (-want +got):\n%s", d)
	}
	// Nor can b take a user id of a by updating its own user with it.
	if _, err := f.Store.UpdateUser(f.Ctx, b.ID, ea.ID, portico.UserUpdate{AccountIDs: &[]string{}}); portico.ErrorCode(err) != portico.CodeNotFound {
		t.Fatalf("update of a's user by b: %v", err)
	}
}

func testFindOrCreateUserRefuseHeldEmail(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	holder := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u-1"), Email: ptr("ann@example.com")})
	f.Clock.Advance(time.Second)
	f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u-2"), Email: ptr("ann@example.com")})
	byEmail := portico.UserInput{Email: ptr("ann@example.com"), Metadata: []byte(`{}`), RefuseHeldEmail: true}
	_, _, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), byEmail)
	if e := portico.AsError(err); e.Code != portico.CodeConflict || e.Field != "email" || e.Details["user_id"] != holder.ID {
		t.Fatalf("err = %v (details %v), want a conflict naming the oldest holder %s", err, e.Details, holder.ID)
	}
	if all := f.listAllUsers(t, app.ID, portico.UserFilter{}, 10); len(all) != 2 {
		t.Fatalf("%d users after the refusal, want 2", len(all))
	}
	// Without the flag the email namespace is separate (Mindset).
	sep := f.newUser(t, app.ID, portico.UserInput{Email: ptr("ann@example.com")})
	// With a user keyed by the email, the flag finds it.
	u, created, err := f.Store.FindOrCreateUser(f.Ctx, app.ID, portico.NewID(portico.PrefixUser), byEmail)
	if err != nil || created || u.ID != sep.ID {
		t.Fatalf("find: %s created=%v err=%v, want %s", u.ID, created, err, sep.ID)
	}
	// Another app's holder does not count.
	other := f.NewApp(t, "b")
	byEmail.Metadata = []byte(`{}`)
	if _, created, err := f.Store.FindOrCreateUser(f.Ctx, other.ID, portico.NewID(portico.PrefixUser), byEmail); err != nil || !created {
		t.Fatalf("another app: created=%v err=%v", created, err)
	}
}
