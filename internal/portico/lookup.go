package portico

import "context"

// The reads and deletions below hold no rule beyond the store's own; they
// are here so that adapters reach the store only through the service.

// Ping checks that the database answers (CodeUnavailable).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// ListApps returns every app, oldest first.
func (s *Service) ListApps(ctx context.Context) ([]App, error) { return s.store.ListApps(ctx) }

// FindApp returns an app (CodeNotFound).
func (s *Service) FindApp(ctx context.Context, id string) (*App, error) {
	return s.store.FindAppByID(ctx, id)
}

// CountAppRows counts an app's rows (CodeNotFound).
func (s *Service) CountAppRows(ctx context.Context, id string) (AppRows, error) {
	return s.store.CountAppRows(ctx, id)
}

// DeleteApp erases an app and everything it holds (AppAdminStore.DeleteApp).
func (s *Service) DeleteApp(ctx context.Context, id string, batch int, progress func(AppRows)) (AppRows, error) {
	return s.store.DeleteApp(ctx, id, batch, progress)
}

// ListAPIKeys returns an app's keys, revoked ones included, oldest first
// (CodeNotFound for an unknown app).
func (s *Service) ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error) {
	if _, err := s.store.FindAppByID(ctx, appID); err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, appID)
}

// RevokeAPIKey revokes one of the app's keys (CodeNotFound for a key of
// another app, an unknown or an already revoked one).
func (s *Service) RevokeAPIKey(ctx context.Context, appID, keyID string) error {
	return s.store.RevokeAPIKey(ctx, appID, keyID)
}

// FindUser returns one of the app's users (CodeNotFound).
func (s *Service) FindUser(ctx context.Context, appID, id string) (*User, error) {
	return s.store.FindUserByID(ctx, appID, id)
}

// DeleteUser erases a user with everything it owns (CodeNotFound).
func (s *Service) DeleteUser(ctx context.Context, appID, id string) error {
	return s.store.DeleteUser(ctx, appID, id)
}

// FindAccount returns one of the app's accounts (CodeNotFound).
func (s *Service) FindAccount(ctx context.Context, appID, id string) (*Account, error) {
	return s.store.FindAccountByID(ctx, appID, id)
}

// DeleteAccount deletes an account and its memberships (CodeNotFound).
func (s *Service) DeleteAccount(ctx context.Context, appID, id string) error {
	return s.store.DeleteAccount(ctx, appID, id)
}
