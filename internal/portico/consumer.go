package portico

import "context"

// This file holds what a caller needs to manage a user's connections
// without a session: the integrations offered to one user and the state of
// each, and the server-side changes to one of them. The Apideck Vault
// surface (docs/compat/apideck.md) is built on it; the rules stay here.

// FindUserByKey returns the user a caller names by its key: the user with
// this external_id, else the user keyed by this email (one without an
// external_id). CodeNotFound when there is none.
func (s *Service) FindUserByKey(ctx context.Context, appID, key string) (*User, error) {
	if CheckExternalID(key) != nil {
		return nil, NotFound("User")
	}
	u, _, err := s.lookupUser(ctx, appID, UserRef{ExternalID: &key})
	if err != nil || u != nil {
		return u, err
	}
	email, err := NormalizeEmail(key)
	if err != nil {
		return nil, NotFound("User")
	}
	u, _, err = s.lookupUser(ctx, appID, UserRef{Email: &email})
	if err == nil && u == nil {
		return nil, NotFound("User")
	}
	return u, err
}

// KeyInput is in naming the user that key names for FindUserByKey: the
// user keyed by this email when no user has it as an external id and one
// is keyed by it as an email; else the user with this external id, found
// or, when in is used to create, created. So every endpoint of a surface
// that names users by one key (Vault's consumer id) means one user by it.
func (s *Service) KeyInput(ctx context.Context, appID, key string, in UserInput) (UserInput, error) {
	in.ExternalID = &key
	u, err := s.FindUserByKey(ctx, appID, key)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return in, nil
	case err != nil:
		return in, err
	case u.ExternalID == nil:
		in.ExternalID, in.Email = nil, u.Email
	}
	return in, nil
}

// FindInputUser returns the user that finding or creating in would find,
// or nil when it would create one.
func (s *Service) FindInputUser(ctx context.Context, appID string, in UserInput) (*User, error) {
	// As the store finds or creates: by the external id when there is one.
	ref := UserRef{ExternalID: in.ExternalID}
	if in.ExternalID == nil {
		ref.Email = in.Email
	}
	u, _, err := s.lookupUser(ctx, appID, ref)
	return u, err
}

// lookupUser is the one way the domain finds a user by a key (FindUserByKey,
// Perform's user, the external-id lookups of userlink.go): by id
// (CodeNotFound when unknown), by external id, or by email, the user keyed
// by it (one without an external id). For an external id or an email no
// user is keyed by, user is nil; for an email, holder is then the oldest
// user with an external id who has it (nil when none has).
func (s *Service) lookupUser(ctx context.Context, appID string, r UserRef) (user, holder *User, err error) {
	switch {
	case r.ID != nil:
		user, err = s.store.FindUserByID(ctx, appID, *r.ID)
		return user, nil, err
	case r.Email != nil:
		return s.emailUser(ctx, appID, *r.Email)
	}
	user, err = s.store.FindUserByExternalID(ctx, appID, *r.ExternalID)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil, nil
	}
	return user, nil, err
}

// emailUser returns the user keyed by email (one without an external id),
// or nil and the oldest user with an external id who has the email (nil
// when none has). Users with an external id may share the email; the scan
// is bounded by the users holding this one address.
func (s *Service) emailUser(ctx context.Context, appID, email string) (keyed, holder *User, err error) {
	q := ListQuery{Limit: MaxPageSize}
	for {
		users, err := s.store.ListUsers(ctx, appID, UserFilter{Email: &email}, q)
		if err != nil {
			return nil, nil, err
		}
		for i := range users {
			if users[i].ExternalID == nil {
				return &users[i], nil, nil
			}
			if holder == nil {
				holder = &users[i]
			}
		}
		if len(users) < q.Limit {
			return nil, holder, nil
		}
		last := users[len(users)-1]
		q.After = &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// UserKey is the key a caller knows a user by: its external_id, else its
// email.
func UserKey(u *User) string {
	if u.ExternalID != nil {
		return *u.ExternalID
	}
	if u.Email != nil {
		return *u.Email
	}
	return ""
}

// UserIntegrations returns the app's integrations offered to user, oldest
// first, each with the user's connection to it: those whose account
// restriction admits the user and, when category is not empty, of that
// category. A nil user is someone not known yet: in no account, with no
// connection.
func (s *Service) UserIntegrations(ctx context.Context, appID string, user *User, category string) ([]IntegrationState, error) {
	all, err := s.store.ListIntegrations(ctx, appID, ListQuery{Limit: MaxIntegrationsPerApp + 1})
	if err != nil {
		return nil, err
	}
	ins := []Integration{}
	for _, in := range all {
		if (category == "" || in.Category == category) && openTo(&in, user) {
			ins = append(ins, in)
		}
	}
	return s.integrationStates(ctx, appID, user, ins)
}

// UserIntegration returns one integration offered to user with the user's
// connection to it (none when user is nil: someone not known yet). An
// integration the user may not see is CodeNotFound, as if it did not exist.
func (s *Service) UserIntegration(ctx context.Context, appID string, user *User, slug string) (*IntegrationState, error) {
	integ, err := s.FindIntegration(ctx, appID, slug)
	if err != nil {
		return nil, err
	}
	if !openTo(integ, user) {
		return nil, NotFound("Integration")
	}
	out := &IntegrationState{Integration: *integ}
	if user == nil {
		return out, nil
	}
	c, err := s.store.FindConnection(ctx, appID, user.ID, slug)
	switch {
	case ErrorCode(err) == CodeNotFound:
		return out, nil
	case err != nil:
		return nil, err
	}
	out.Connection, out.Status = c, c.StatusAt(s.now())
	return out, nil
}

// MergeConnectionCredentials changes some credential values of the user's
// connection to slug: values given replace the stored ones, an empty value
// removes one, the others stay. The result must satisfy the integration's
// fields as a whole, as ImportConnection requires; a connection that was
// revoked or never made starts from nothing. An integration the user may
// not see is CodeNotFound.
func (s *Service) MergeConnectionCredentials(ctx context.Context, appID string, user *User, slug string, creds Credentials) (*Connection, bool, error) {
	st, err := s.UserIntegration(ctx, appID, user, slug)
	if err != nil {
		return nil, false, err
	}
	merged := Credentials{}
	if st.Connection != nil && st.Connection.Status != StatusRevoked {
		old, err := s.OpenCredentials(st.Connection)
		if err != nil {
			return nil, false, err
		}
		for k, v := range old {
			// An expiry belongs to the token it came with: new tokens
			// without one must not inherit it.
			if k == TokenExpiresAt && (creds[TokenAccess] != "" || creds[TokenRefresh] != "") {
				continue
			}
			merged[k] = v
		}
	}
	// An empty value stays in the map: CheckCredentials drops it (which
	// removes the stored one) after checking that the field exists.
	for k, v := range creds {
		merged[k] = v
	}
	var settings map[string]string
	if st.Connection != nil {
		settings = st.Connection.Settings
	}
	return s.putConnection(ctx, user, &st.Integration, merged, settings, nil)
}

// MergeConnectionCredentialsByKey is MergeConnectionCredentials for the
// user keyed by key (as FindUserByKey finds it), created with this external
// id when there is none yet, only once the credentials passed the
// integration's checks: a refused change leaves no user behind.
func (s *Service) MergeConnectionCredentialsByKey(ctx context.Context, appID, key, slug string, creds Credentials) (*User, *Connection, error) {
	user, err := s.FindUserByKey(ctx, appID, key)
	if ErrorCode(err) == CodeNotFound {
		// A new user has nothing to merge with: the credential is checked
		// and verified with the provider first, and the user created only
		// once it passed.
		st, err := s.UserIntegration(ctx, appID, nil, slug)
		if err != nil {
			return nil, nil, err
		}
		cc, err := s.checkConnection(ctx, &st.Integration, creds, nil)
		if err != nil {
			return nil, nil, err
		}
		var created bool
		user, created, err = s.FindOrCreateUser(ctx, appID, UserInput{ExternalID: &key})
		if err != nil {
			return nil, nil, err
		}
		if created {
			c, _, err := s.storeConnection(ctx, user, &st.Integration, cc, nil)
			if err != nil {
				return nil, nil, err
			}
			return user, c, nil
		}
	} else if err != nil {
		return nil, nil, err
	}
	c, _, err := s.MergeConnectionCredentials(ctx, appID, user, slug, creds)
	if err != nil {
		return nil, nil, err
	}
	return user, c, nil
}

// RevokeUserConnection erases the credentials of the user's connection to
// slug and marks it revoked. CodeNotFound when the user has no connection
// to it, or only a revoked one.
func (s *Service) RevokeUserConnection(ctx context.Context, appID string, user *User, slug string) (*Connection, error) {
	st, err := s.UserIntegration(ctx, appID, user, slug)
	if err != nil {
		return nil, err
	}
	if st.Connection == nil || st.Connection.Status == StatusRevoked {
		return nil, NotFound("Connection")
	}
	return s.revoked(ctx)(s.store.RevokeConnection(ctx, appID, st.Connection.ID, user.ID))
}

// openTo is VisibleTo for a user that may not exist yet (nil: in no
// account).
func openTo(in *Integration, user *User) bool {
	if user == nil {
		return len(in.AccountIDs) == 0
	}
	return in.VisibleTo(user)
}
