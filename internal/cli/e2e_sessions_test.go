package cli_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/client"
)

// testSessions drives the session lifecycle through the Go client: create,
// validate as the user, list, extend, new configuration URL, refresh,
// revoke, sign out everywhere.
func testSessions(t *testing.T, s *testServer, w *leakWatch, c *client.Client) {
	ctx := context.Background()
	ext := "e2e-user"
	created, err := c.CreateSession(ctx, api.SessionCreate{User: api.UserCreate{ExternalID: &ext, Name: "Ann"}, Refreshable: true, TTLSeconds: ptr(600)})
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	w.secret(created.Token, created.RefreshToken)
	if !strings.HasPrefix(created.ConfigurationURL, s.URL+"/connect/") || created.AssistantHint == "" {
		t.Fatalf("configuration URL %q / hint %q", created.ConfigurationURL, created.AssistantHint)
	}
	w.secret(strings.TrimPrefix(created.ConfigurationURL, s.URL+"/connect/"))

	me, err := client.New(s.URL, client.WithSessionToken(created.Token)).Me(ctx)
	if err != nil || me.Session.ID != created.Session.ID || me.User.Name != "Ann" {
		t.Fatalf("me: %+v %v", me, err)
	}
	list, err := c.ListSessions(ctx, client.ListSessionsParams{ExternalUserID: ext})
	if err != nil || len(list.Data) != 1 || list.NextPageToken != nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := c.ExtendSession(ctx, created.Session.ID, 1200); err != nil {
		t.Fatalf("extend: %v", err)
	}
	var e *client.Error
	if _, err := c.ExtendSession(ctx, created.Session.ID, 10*365*24*3600); !errors.As(err, &e) || e.Status != 422 || e.Field() != "ttl_seconds" {
		t.Fatalf("extend past the cap: %v", err)
	}
	link, err := c.NewConfigurationURL(ctx, created.Session.ID)
	if err != nil || link.ConfigurationURL == created.ConfigurationURL {
		t.Fatalf("new configuration URL: %+v %v", link, err)
	}
	w.secret(strings.TrimPrefix(link.ConfigurationURL, s.URL+"/connect/"))
	refreshed, err := c.RefreshToken(ctx, created.RefreshToken)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	w.secret(refreshed.Token, refreshed.RefreshToken)
	if _, err := client.New(s.URL, client.WithSessionToken(created.Token)).Me(ctx); !errors.As(err, &e) || e.Code != "invalid_token" {
		t.Fatalf("the rotated token still works: %v", err)
	}
	user := me.User.ID
	n, err := c.RevokeUserSessions(ctx, user)
	if err != nil || n != 1 {
		t.Fatalf("sign out everywhere: %d %v", n, err)
	}
	if _, err := client.New(s.URL, client.WithSessionToken(refreshed.Token)).Me(ctx); !errors.As(err, &e) || e.Status != 401 {
		t.Fatalf("token after sign-out: %v", err)
	}
	if err := c.RevokeSession(ctx, created.Session.ID); !errors.As(err, &e) || e.Code != "not_found" {
		t.Fatalf("revoke twice: %v", err)
	}
}
