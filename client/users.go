package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/porticohq/portico/api"
)

// CreateUser finds or creates the end user identified by u's external_id
// (or, without one, its email). created tells which: a found user keeps its
// name, email and metadata, and gains u's account_ids. An email alone that
// no user is keyed by but a user with an external_id has is an *Error 409
// conflict whose Details["user_id"] names that user.
func (c *Client) CreateUser(ctx context.Context, u api.UserCreate) (user *api.User, created bool, err error) {
	var out api.User
	status, err := c.do(ctx, http.MethodPost, "/v1/users", nil, u, &out)
	if err != nil {
		return nil, false, err
	}
	return &out, status == http.StatusCreated, nil
}

// ListUsersParams narrows and pages ListUsers. Empty fields do not filter.
type ListUsersParams struct {
	// ExternalID selects the user with this external id.
	ExternalID string
	// Email selects users with this email (compared normalised).
	Email string
	// AccountID selects the members of this account.
	AccountID string
	// PageSize is the number of users per page (1–100; 0: the server's
	// default of 20).
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first.
	PageToken string
}

// ListUsers returns one page of the app's users, oldest first. The page's
// NextPageToken is nil on the last page.
func (c *Client) ListUsers(ctx context.Context, p ListUsersParams) (*api.List[api.User], error) {
	q := url.Values{}
	for name, v := range map[string]string{"external_id": p.ExternalID, "email": p.Email, "account_id": p.AccountID} {
		if v != "" {
			q.Set(name, v)
		}
	}
	var out api.List[api.User]
	if _, err := c.do(ctx, http.MethodGet, "/v1/users", pageQuery(q, p.PageSize, p.PageToken), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetUser returns the user with Portico id id (an *Error 404 not_found
// when the app has no such user).
func (c *Client) GetUser(ctx context.Context, id string) (*api.User, error) {
	var out api.User
	if _, err := c.do(ctx, http.MethodGet, "/v1/users/"+escape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateUser changes the fields u sets; AccountIDs, when set, replaces the
// user's memberships.
func (c *Client) UpdateUser(ctx context.Context, id string, u api.UserUpdate) (*api.User, error) {
	var out api.User
	if _, err := c.do(ctx, http.MethodPatch, "/v1/users/"+escape(id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteUser erases the user with its sessions, connections and stored
// credentials.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/users/"+escape(id), nil, nil, nil)
	return err
}
