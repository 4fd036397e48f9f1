package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store"
	"github.com/porticohq/portico/internal/store/storetest"
)

// cutProxy forwards TCP connections to a server and, once armed, closes
// the first connection on which the client sends anything, both ways,
// dropping what it sent: a connection that breaks after a statement was
// written and before its answer.
type cutProxy struct {
	ln    net.Listener
	to    string
	armed atomic.Bool
	cuts  atomic.Int32
}

func newCutProxy(t *testing.T, to string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, to: to}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c)
			}()
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.to)
	if err != nil {
		return
	}
	defer s.Close()
	go io.Copy(c, s)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 && p.armed.CompareAndSwap(true, false) {
			p.cuts.Add(1)
			return
		}
		if n > 0 {
			if _, err := s.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// On PostgreSQL, token lookups made at once share one statement on a
// connection of their own, and so do API-key lookups and extensions. When
// that connection
// breaks after the statement was sent, every lookup it carried answers
// unavailable (a 503), none gets a row that is not its own, and lookups
// work again afterwards.
func TestPGLookup_BrokenConnectionMidBatchIsUnavailable(t *testing.T) {
	base := os.Getenv(storetest.PostgresEnv)
	if base == "" {
		t.Skipf("%s is not set", storetest.PostgresEnv)
	}
	ctx := context.Background()
	u, err := url.Parse(storetest.FreshPostgres(t, base))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	db, err := store.Open(ctx, store.Config{DatabaseURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Without the activity log: its writer flushes the creations' rows in
	// the background every half second, and the proxy would cut that
	// write instead of a lookup's statement.
	svc := portico.NewService(db, &portico.Service{Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PublicURL: "http://portico.test",
		NoActivity: true})
	app, _, err := svc.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	sessionIDs, keyIDs := make([]string, n), make([]string, n)
	sessionHashes, keyHashes := make([][]byte, n), make([][]byte, n)
	for i := range n {
		ext := "u" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		cs, err := svc.CreateSession(ctx, app, portico.SessionInput{User: portico.UserInput{ExternalID: &ext}})
		if err != nil {
			t.Fatal(err)
		}
		sessionIDs[i], sessionHashes[i] = cs.Session.ID, portico.HashToken(cs.Token)
		k, secret, err := svc.CreateAPIKey(ctx, app.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		keyIDs[i], keyHashes[i] = k.ID, portico.HashToken(secret)
	}
	kinds := []struct {
		name   string
		ids    []string
		lookup func(i int) (string, error)
	}{
		{"sessions", sessionIDs, func(i int) (string, error) {
			s, _, err := db.FindSessionByTokenHash(ctx, sessionHashes[i])
			if err != nil {
				return "", err
			}
			return s.ID, nil
		}},
		{"extensions", sessionIDs, func(i int) (string, error) {
			s, err := db.ExtendSession(ctx, app.ID, sessionIDs[i], time.Now().Add(time.Hour), app.Settings.MaxSessionTTLSeconds)
			if err != nil {
				return "", err
			}
			return s.ID, nil
		}},
		{"keys", keyIDs, func(i int) (string, error) {
			k, a, err := db.FindActiveAPIKeyByHash(ctx, keyHashes[i])
			if err != nil {
				return "", err
			}
			if a.ID != app.ID {
				return "", fmt.Errorf("key %s came with app %s", k.ID, a.ID)
			}
			return k.ID, nil
		}},
	}
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			lookupAll := func() []error {
				errs := make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						id, err := kind.lookup(i)
						if err == nil && id != kind.ids[i] {
							t.Errorf("lookup %d got %s, want %s", i, id, kind.ids[i])
						}
						errs[i] = err
					}()
				}
				wg.Wait()
				return errs
			}
			// The lookup connections are open and warm.
			for _, err := range lookupAll() {
				if err != nil {
					t.Fatal(err)
				}
			}
			for round := range 5 {
				proxy.armed.Store(true)
				unavailable := 0
				for i, err := range lookupAll() {
					switch portico.ErrorCode(err) {
					case "":
					case portico.CodeUnavailable:
						unavailable++
					default:
						t.Errorf("round %d, lookup %d: %v, want its row or unavailable", round, i, err)
					}
				}
				if proxy.armed.Load() || unavailable == 0 {
					t.Fatalf("round %d: the proxy cut %d connections (armed %v) and %d lookups were unavailable", round, proxy.cuts.Load(), proxy.armed.Load(), unavailable)
				}
				for i, err := range lookupAll() {
					if err != nil {
						t.Fatalf("round %d, lookup %d after the cut: %v", round, i, err)
					}
				}
			}
		})
	}
}
