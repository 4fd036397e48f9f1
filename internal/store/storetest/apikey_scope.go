package storetest

import (
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// testAPIKeyOtherAppCannotRevokeIt: revoking names the key's app; another
// app's id finds no key, and the key keeps working.
func testAPIKeyOtherAppCannotRevokeIt(t *testing.T, f *Fixture) {
	a, b := f.NewApp(t, "a"), f.NewApp(t, "b")
	k := f.newKey(t, a.ID)
	WantCode(t, f.Store.RevokeAPIKey(f.Ctx, b.ID, k.ID), portico.CodeNotFound)
	if _, _, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, k.Hash); err != nil {
		t.Fatalf("the key after another app's revoke: %v", err)
	}
	if err := f.Store.RevokeAPIKey(f.Ctx, a.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.Store.FindActiveAPIKeyByHash(f.Ctx, k.Hash)
	WantCode(t, err, portico.CodeNotFound)
}
