package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store"
)

// An interrupted rotation says so, and that running it again finishes it;
// a rotation with one key does not speak of other keys.
func TestRotate_InterruptedAndSingleKey(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ring, err := secret.ParseKeys(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	svc := portico.NewService(db, &portico.Service{Sealer: ring, Now: time.Now})
	app, _, err := svc.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	secretValue := "client-secret"
	if _, _, err := svc.PutIntegration(ctx, app.ID, "github", portico.IntegrationInput{Template: "github",
		Auth: &portico.AuthInput{OAuth2: &portico.OAuth2Input{ClientID: &secretValue, ClientSecret: &secretValue}}}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	var out bytes.Buffer
	if err := rotate(cancelled, db, ring, 100, 0, &out); err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "run the command again") {
		t.Fatalf("interrupted: %v", err)
	}
	out.Reset()
	if err := rotate(ctx, db, ring, 100, 0, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "done: every stored secret is encrypted with key "+ring.PrimaryID()+"\n") || strings.Contains(out.String(), "other keys") {
		t.Fatalf("one key:\n%s", out.String())
	}
}
