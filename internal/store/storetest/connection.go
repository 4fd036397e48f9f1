package storetest

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// testKeyID is the key id fakeSeal names.
const testKeyID = "0000test"

// fakeSeal stands for sealing in cases that do not decrypt: the value names
// the row id it was made for, so a case can tell which id it was sealed for.
func fakeSeal(id string) (string, error) {
	return "v1:" + testKeyID + ":" + base64.RawStdEncoding.EncodeToString([]byte("for "+id)), nil
}

// putConnection stores connected api_key credentials of user for slug,
// expiring at exp (nil: never), and fails unless they are stored.
func (f *Fixture) putConnection(t testing.TB, appID, userID, slug string, exp *time.Time) *portico.Connection {
	t.Helper()
	c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: appID, UserID: userID, Integration: slug,
		Status: portico.StatusConnected, Fields: []string{"api_key"}, ExpiresAt: exp}
	if _, err := f.Store.PutConnection(f.Ctx, c, fakeSeal, nil); err != nil {
		t.Fatalf("put connection: %v", err)
	}
	return c
}

func connectionIDs(cs []portico.Connection) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// listAllConnections pages through a filtered list, size rows at a time.
func (f *Fixture) listAllConnections(t testing.TB, appID string, filter portico.ConnectionFilter, size int) []portico.Connection {
	t.Helper()
	var all []portico.Connection
	var after *portico.Cursor
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		rows, err := f.Store.ListConnections(f.Ctx, appID, filter, f.Clock.Now(), portico.ListQuery{After: after, Limit: size + 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) <= size {
			return append(all, rows...)
		}
		all = append(all, rows[:size]...)
		last := rows[size-1]
		after = &portico.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

func testConnectionPutFindReplace(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newIntegration(t, app.ID, "crm")
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	t1 := f.Clock.Now()
	exp := t1.Add(time.Hour)
	c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: app.ID, UserID: u.ID, Integration: "crm",
		Status: portico.StatusConnected, Fields: []string{"api_key", "region"}, ExpiresAt: &exp, Refreshable: true,
		Settings: map[string]string{"site": "acme", "region": "eu"}, AccountLabel: ptr("Ann Lee")}
	firstID := c.ID
	var sealedFor []string
	seal := func(id string) (string, error) {
		sealedFor = append(sealedFor, id)
		return fakeSeal(id)
	}
	created, err := f.Store.PutConnection(f.Ctx, c, seal, nil)
	if err != nil || !created {
		t.Fatalf("put: %v %v", created, err)
	}
	want, _ := fakeSeal(firstID)
	if !reflect.DeepEqual(sealedFor, []string{firstID}) {
		t.Fatalf("sealed for %v, want %s", sealedFor, firstID)
	}
	wantC := &portico.Connection{ID: firstID, AppID: app.ID, UserID: u.ID, Integration: "crm", Status: portico.StatusConnected,
		Fields: []string{"api_key", "region"}, Credentials: want, Refreshable: true, ExpiresAt: &exp, CreatedAt: t1, UpdatedAt: t1,
		Settings: map[string]string{"site": "acme", "region": "eu"}, AccountLabel: ptr("Ann Lee")}
	if d := diff(wantC, c); d != "" {
		t.Fatalf("created (-want +got):\n%s", d)
	}
	byID, err := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(c, byID); d != "" {
		t.Fatalf("by id (-want +got):\n%s", d)
	}
	byKey, err := f.Store.FindConnection(f.Ctx, app.ID, u.ID, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(c, byKey); d != "" {
		t.Fatalf("by user and integration (-want +got):\n%s", d)
	}

	// Putting again replaces the credentials, settings and label of the
	// same row: same id, sealed for that id, created_at kept.
	f.Clock.Advance(time.Minute)
	sealedFor = nil
	again := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: app.ID, UserID: u.ID, Integration: "crm",
		Status: portico.StatusConnected, Fields: []string{"api_key"}}
	created, err = f.Store.PutConnection(f.Ctx, again, seal, nil)
	if err != nil || created {
		t.Fatalf("replace: %v %v", created, err)
	}
	if !reflect.DeepEqual(sealedFor, []string{firstID}) {
		t.Fatalf("replaced: sealed for %v, want %s", sealedFor, firstID)
	}
	wantAgain := &portico.Connection{ID: firstID, AppID: app.ID, UserID: u.ID, Integration: "crm", Status: portico.StatusConnected,
		Fields: []string{"api_key"}, Credentials: want, CreatedAt: t1, UpdatedAt: f.Clock.Now(), Settings: map[string]string{}}
	if d := diff(wantAgain, again); d != "" {
		t.Fatalf("replaced (-want +got):\n%s", d)
	}
	got, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, firstID)
	if d := diff(again, got); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
	_, err = f.Store.FindConnectionByID(f.Ctx, app.ID, "con_nope")
	WantCode(t, err, portico.CodeNotFound)
}

func testConnectionUnknownUserOrIntegration(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	f.newIntegration(t, app.ID, "crm")
	f.newIntegration(t, other.ID, "theirs")
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	stranger := f.newUser(t, other.ID, portico.UserInput{ExternalID: ptr("u1")})
	for _, tc := range []struct{ name, user, slug string }{
		{"unknown user", "usr_nope", "crm"},
		{"another app's user", stranger.ID, "crm"},
		{"unknown integration", u.ID, "nope"},
		{"another app's integration", u.ID, "theirs"},
	} {
		c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: app.ID, UserID: tc.user, Integration: tc.slug, Status: portico.StatusConnected}
		_, err := f.Store.PutConnection(f.Ctx, c, fakeSeal, nil)
		if portico.ErrorCode(err) != portico.CodeNotFound {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	rows, _ := f.Store.ListConnections(f.Ctx, app.ID, portico.ConnectionFilter{}, f.Clock.Now(), portico.ListQuery{Limit: 10})
	if len(rows) != 0 {
		t.Fatalf("stored %v", rows)
	}
}

func testConnectionConcurrentPutsMakeOneRow(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newIntegration(t, app.ID, "crm")
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]bool{}
		creates int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: app.ID, UserID: u.ID, Integration: "crm",
				Status: portico.StatusConnected, Fields: []string{"api_key"}}
			created, err := f.Store.PutConnection(f.Ctx, c, fakeSeal, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("put: %v", err)
				return
			}
			ids[c.ID] = true
			if created {
				creates++
			}
			if want, _ := fakeSeal(c.ID); c.Credentials != want {
				t.Errorf("row %s holds credentials sealed for another id", c.ID)
			}
		}()
	}
	wg.Wait()
	if creates != 1 || len(ids) != 1 {
		t.Fatalf("%d creations, ids %v", creates, ids)
	}
}

func testConnectionListFiltersAndStatus(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	for _, s := range []string{"crm", "mail", "chat"} {
		f.newIntegration(t, app.ID, s)
	}
	f.newIntegration(t, other.ID, "crm")
	u1 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	u2 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u2")})
	ou := f.newUser(t, other.ID, portico.UserInput{ExternalID: ptr("u1")})
	f.putConnection(t, other.ID, ou.ID, "crm", nil)
	soon := f.Clock.Now().Add(time.Hour)
	c1 := f.putConnection(t, app.ID, u1.ID, "crm", nil)
	f.Clock.Advance(time.Second)
	c2 := f.putConnection(t, app.ID, u1.ID, "mail", &soon) // will expire
	c3 := f.putConnection(t, app.ID, u2.ID, "crm", nil)
	f.Clock.Advance(time.Second)
	// Refreshable: passing expires_at does not expire it.
	c4 := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: app.ID, UserID: u2.ID, Integration: "mail",
		Status: portico.StatusConnected, Fields: []string{"access_token", "refresh_token"}, ExpiresAt: &soon, Refreshable: true}
	if _, err := f.Store.PutConnection(f.Ctx, c4, fakeSeal, nil); err != nil {
		t.Fatal(err)
	}
	c5 := f.putConnection(t, app.ID, u2.ID, "chat", nil)
	if _, err := f.Store.RevokeConnection(f.Ctx, app.ID, c5.ID, ""); err != nil {
		t.Fatal(err)
	}
	// Within one instant, ids break the tie.
	order := func(cs ...*portico.Connection) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	all := order(c1)
	if c2.ID < c3.ID {
		all = append(all, c2.ID, c3.ID)
	} else {
		all = append(all, c3.ID, c2.ID)
	}
	if c4.ID < c5.ID {
		all = append(all, c4.ID, c5.ID)
	} else {
		all = append(all, c5.ID, c4.ID)
	}
	pick := func(keep ...*portico.Connection) []string {
		var out []string
		for _, id := range all {
			for _, c := range keep {
				if c.ID == id {
					out = append(out, id)
				}
			}
		}
		if out == nil {
			out = []string{}
		}
		return out
	}
	st := func(s string) *string { return &s }
	check := func(when string, cases map[string]struct {
		f    portico.ConnectionFilter
		want []string
	}) {
		for name, tc := range cases {
			for _, size := range []int{1, 2, 100} {
				got := connectionIDs(f.listAllConnections(t, app.ID, tc.f, size))
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s, %s, size %d: %v, want %v", when, name, size, got, tc.want)
				}
			}
		}
	}
	type tc = struct {
		f    portico.ConnectionFilter
		want []string
	}
	check("now", map[string]tc{
		"all":                  {portico.ConnectionFilter{}, all},
		"user":                 {portico.ConnectionFilter{UserID: &u1.ID}, pick(c1, c2)},
		"integration":          {portico.ConnectionFilter{Integration: st("crm")}, pick(c1, c3)},
		"user and integration": {portico.ConnectionFilter{UserID: &u2.ID, Integration: st("mail")}, pick(c4)},
		"integration set":      {portico.ConnectionFilter{Integrations: []string{"mail", "chat"}}, pick(c2, c4, c5)},
		"empty set":            {portico.ConnectionFilter{Integrations: []string{}}, []string{}},
		"connected":            {portico.ConnectionFilter{Status: st(portico.StatusConnected)}, pick(c1, c2, c3, c4)},
		"expired":              {portico.ConnectionFilter{Status: st(portico.StatusExpired)}, []string{}},
		"revoked":              {portico.ConnectionFilter{Status: st(portico.StatusRevoked)}, pick(c5)},
		"error":                {portico.ConnectionFilter{Status: st(portico.StatusError)}, []string{}},
		"another app's user":   {portico.ConnectionFilter{UserID: &ou.ID}, []string{}},
	})
	f.Clock.Advance(time.Hour)
	check("an hour later", map[string]tc{
		"connected": {portico.ConnectionFilter{Status: st(portico.StatusConnected)}, pick(c1, c3, c4)},
		"expired":   {portico.ConnectionFilter{Status: st(portico.StatusExpired)}, pick(c2)},
	})
	got, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, c2.ID)
	if got.Status != portico.StatusConnected || got.StatusAt(f.Clock.Now()) != portico.StatusExpired {
		t.Fatalf("stored %q, shown %q", got.Status, got.StatusAt(f.Clock.Now()))
	}
}

func testConnectionRevokeErasesCredentials(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newIntegration(t, app.ID, "crm")
	u1 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	u2 := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u2")})
	exp := f.Clock.Now().Add(time.Hour)
	c := f.putConnection(t, app.ID, u1.ID, "crm", &exp)
	_, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, u2.ID)
	WantCode(t, err, portico.CodeNotFound)
	f.Clock.Advance(time.Minute)
	r, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, u1.ID)
	if err != nil || r.Status != portico.StatusRevoked || r.Credentials != "" || len(r.Fields) != 0 || r.ExpiresAt != nil ||
		!r.UpdatedAt.Equal(f.Clock.Now()) || r.ID != c.ID || r.UserID != u1.ID {
		t.Fatalf("revoked: %v; status %q, credentials %q, fields %v, expires_at %v, updated_at %v, id %s, user %s",
			err, r.Status, r.Credentials, r.Fields, r.ExpiresAt, r.UpdatedAt, r.ID, r.UserID)
	}
	stored, _ := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if d := diff(r, stored); d != "" {
		t.Fatalf("stored (-want +got):\n%s", d)
	}
	// Revoking again changes nothing.
	f.Clock.Advance(time.Minute)
	again, err := f.Store.RevokeConnection(f.Ctx, app.ID, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(r, again); d != "" {
		t.Fatalf("revoked again (-want +got):\n%s", d)
	}
	vals, err := f.Store.ListSealed(f.Ctx, portico.SealedConnection, "other", nil, 10)
	if err != nil || len(vals) != 0 {
		t.Fatalf("a revoked connection still holds a sealed value: %v %v", vals, err)
	}
	// Connecting again brings the same row back.
	back := f.putConnection(t, app.ID, u1.ID, "crm", nil)
	if back.ID != c.ID || back.Status != portico.StatusConnected || back.Credentials == "" {
		t.Fatalf("reconnected: id %s (want %s), status %q, credentials %q", back.ID, c.ID, back.Status, back.Credentials)
	}
}

func testConnectionAnotherAppCannotSeeChangeOrRevokeIt(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	other := f.NewApp(t, "b")
	f.newIntegration(t, app.ID, "crm")
	f.newIntegration(t, other.ID, "crm")
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	c := f.putConnection(t, app.ID, u.ID, "crm", nil)
	_, err := f.Store.FindConnectionByID(f.Ctx, other.ID, c.ID)
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.FindConnection(f.Ctx, other.ID, u.ID, "crm")
	WantCode(t, err, portico.CodeNotFound)
	_, err = f.Store.RevokeConnection(f.Ctx, other.ID, c.ID, "")
	WantCode(t, err, portico.CodeNotFound)
	rows, err := f.Store.ListConnections(f.Ctx, other.ID, portico.ConnectionFilter{UserID: &u.ID}, f.Clock.Now(), portico.ListQuery{Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Fatalf("listed %v %v", rows, err)
	}
	// Putting for the user through the other app is refused.
	x := &portico.Connection{ID: portico.NewID(portico.PrefixConnection), AppID: other.ID, UserID: u.ID, Integration: "crm", Status: portico.StatusConnected}
	_, err = f.Store.PutConnection(f.Ctx, x, fakeSeal, nil)
	WantCode(t, err, portico.CodeNotFound)
	// The other app deleting its own integration of the same slug
	// leaves this one alone.
	if err := f.Store.DeleteIntegration(f.Ctx, other.ID, "crm", true); err != nil {
		t.Fatal(err)
	}
	got, err := f.Store.FindConnectionByID(f.Ctx, app.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(c, got); d != "" {
		t.Fatalf("changed (-want +got):\n%s", d)
	}
}

func testConnectionDeletingTheUserErasesIt(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	f.newIntegration(t, app.ID, "crm")
	f.newIntegration(t, app.ID, "mail")
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u1")})
	keep := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u2")})
	c1 := f.putConnection(t, app.ID, u.ID, "crm", nil)
	c2 := f.putConnection(t, app.ID, u.ID, "mail", nil)
	k := f.putConnection(t, app.ID, keep.ID, "crm", nil)
	if err := f.Store.DeleteUser(f.Ctx, app.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{c1.ID, c2.ID} {
		_, err := f.Store.FindConnectionByID(f.Ctx, app.ID, id)
		WantCode(t, err, portico.CodeNotFound)
	}
	vals, err := f.Store.ListSealed(f.Ctx, portico.SealedConnection, "other", nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, v := range vals {
		left = append(left, v.ID)
	}
	if !reflect.DeepEqual(left, []string{k.ID}) {
		t.Fatalf("sealed values left for %v, want %s's alone", left, k.ID)
	}
	for _, v := range vals {
		if strings.Contains(v.Value, base64.RawStdEncoding.EncodeToString([]byte("for "+c1.ID))) {
			t.Fatal("the deleted user's credentials survive")
		}
	}
}

func testConnectionListOrderUnderLoad(t *testing.T, f *Fixture) {
	app := f.NewApp(t, "a")
	var ids []string
	u := f.newUser(t, app.ID, portico.UserInput{ExternalID: ptr("u")})
	for i := range 25 {
		slug := fmt.Sprint("i", i)
		f.newIntegration(t, app.ID, slug)
		if i%4 == 0 {
			f.Clock.Advance(time.Millisecond)
		}
		ids = append(ids, f.putConnection(t, app.ID, u.ID, slug, nil).ID)
	}
	got := connectionIDs(f.listAllConnections(t, app.ID, portico.ConnectionFilter{UserID: &u.ID}, 3))
	if len(got) != len(ids) {
		t.Fatalf("%d of %d listed", len(got), len(ids))
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
	}
}
