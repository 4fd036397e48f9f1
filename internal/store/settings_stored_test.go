package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// A session with the default settings stores an empty text in their stead
// (session.go), and every way of reading it (by id, by token, in a list)
// gives the defaults back; other settings, and rows that hold the defaults
// as JSON, read as they are stored.
func TestSessionSettings_DefaultsStoredAsNothing(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			c := newCountEnv(t, e)
			create := func(ext string, settings json.RawMessage) (*portico.Session, []byte) {
				t.Helper()
				now := c.clock.Now()
				s := &portico.Session{ID: portico.NewID(portico.PrefixSession), AppID: c.app.ID, TTLSeconds: 3600,
					Settings: settings, Theme: json.RawMessage(`{}`), CustomSettings: json.RawMessage(`{}`), ExpiresAt: now.Add(time.Hour)}
				_, hash := portico.NewToken(portico.PrefixSessionToken)
				_, codeHash := portico.NewToken("code_")
				_, _, err := c.db.CreateSession(ctx, portico.NewSession{Session: s, UserID: portico.NewID(portico.PrefixUser),
					User: portico.UserInput{ExternalID: &ext, Metadata: json.RawMessage(`{}`)}, TokenHash: hash,
					Limit: portico.SessionLimit{Max: 10, Policy: portico.PolicyReject},
					Code:  &portico.ConfigCode{Hash: codeHash, AppID: c.app.ID, SessionID: s.ID, ExpiresAt: now.Add(time.Minute)}})
				if err != nil {
					t.Fatal(err)
				}
				return s, hash
			}
			stored := func(id string) string {
				t.Helper()
				var v string
				if err := c.raw.QueryRow(q(c.dbURL, `SELECT settings FROM sessions WHERE id = ?`), id).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			reads := func(s *portico.Session, hash []byte, want json.RawMessage) {
				t.Helper()
				byID, err := c.db.FindSessionByID(ctx, c.app.ID, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				byToken, _, err := c.db.FindSessionByTokenHash(ctx, hash)
				if err != nil {
					t.Fatal(err)
				}
				user := s.UserID
				list, err := c.db.ListActiveSessions(ctx, c.app.ID, portico.SessionFilter{UserID: &user}, c.clock.Now(), portico.ListQuery{Limit: 10})
				if err != nil || len(list) != 1 {
					t.Fatalf("list: %d sessions, %v", len(list), err)
				}
				for how, got := range map[string]json.RawMessage{"by id": byID.Settings, "by token": byToken.Settings, "listed": list[0].Settings} {
					if !bytes.Equal(got, want) {
						t.Errorf("settings read %s = %s, want %s", how, got, want)
					}
				}
			}

			def, defHash := create("defaults", portico.DefaultSessionSettings)
			if v := stored(def.ID); v != "" {
				t.Errorf("default settings stored as %q, want an empty text", v)
			}
			reads(def, defHash, portico.DefaultSessionSettings)

			// The defaults read are shared: an append to them copies.
			got, err := c.db.FindSessionByID(ctx, c.app.ID, def.ID)
			if err != nil {
				t.Fatal(err)
			}
			_ = append(got.Settings, '!')
			if !json.Valid(portico.DefaultSessionSettings) {
				t.Fatalf("an append to settings read changed the defaults: %s", portico.DefaultSessionSettings)
			}

			custom := json.RawMessage(`{"integrations":["github"]}`)
			own, ownHash := create("custom", custom)
			if v := stored(own.ID); v != string(custom) {
				t.Errorf("custom settings stored as %q, want them as they are", v)
			}
			reads(own, ownHash, custom)

			// A row that holds the defaults as JSON, as every row did
			// before, reads the same.
			if _, err := c.raw.Exec(q(c.dbURL, `UPDATE sessions SET settings = ? WHERE id = ?`), string(portico.DefaultSessionSettings), def.ID); err != nil {
				t.Fatal(err)
			}
			reads(def, defHash, portico.DefaultSessionSettings)
		})
	}
}
