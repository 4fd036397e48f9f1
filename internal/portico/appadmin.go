package portico

import (
	"context"
)

// AppRows counts an app's rows by kind: what `portico app delete` would
// erase, or erased. Rows that go with a session (rotated refresh tokens,
// configuration codes, OAuth2 states) are not counted apart.
type AppRows struct {
	APIKeys       int `json:"api_keys"`
	Users         int `json:"users"`
	Accounts      int `json:"accounts"`
	Memberships   int `json:"account_memberships"`
	Sessions      int `json:"sessions"`
	Integrations  int `json:"integrations"`
	Connections   int `json:"connections"`
	WebhookEvents int `json:"webhook_events"`
	Activity      int `json:"activity"`
}

// Total is the number of rows counted.
func (r AppRows) Total() int {
	return r.APIKeys + r.Users + r.Accounts + r.Memberships + r.Sessions + r.Integrations + r.Connections + r.WebhookEvents + r.Activity
}

// AppAdminStore is what the operator's commands on whole apps need.
type AppAdminStore interface {
	// RenameApp sets an app's name, and nothing else (CodeNotFound).
	RenameApp(ctx context.Context, id, name string) (*App, error)
	// CountAppRows counts an app's rows (CodeNotFound).
	CountAppRows(ctx context.Context, id string) (AppRows, error)
	// DeleteApp erases an app and everything it holds, table by table, in
	// transactions of at most batch rows (1 to 10000) and the rows that go
	// with them: its API keys first, so that it stops authenticating at
	// once, and the app itself last, with whatever was written meanwhile.
	// After each transaction it calls progress (when set) with the rows
	// erased so far; progress may pause, to leave the database to the
	// servers. It returns the rows erased (CodeNotFound for an unknown
	// app). An interrupted erasure leaves the app in place, to be deleted
	// again.
	DeleteApp(ctx context.Context, id string, batch int, progress func(AppRows)) (AppRows, error)
}

// RenameApp gives an app a new name; nothing else of it changes.
func (s *Service) RenameApp(ctx context.Context, appID, name string) (*App, error) {
	name, err := appName(name)
	if err != nil {
		return nil, err
	}
	return s.store.RenameApp(ctx, appID, name)
}
