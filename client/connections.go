package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/porticohq/portico/api"
)

// ImportConnection stores credentials the app already holds for a user
// (server-side import) and reports whether the connection was created; an
// existing connection of the user to the integration keeps its id and has
// its credentials replaced. credentials holds the values by field name; for
// an OAuth2 integration access_token and optionally refresh_token,
// expires_at (RFC 3339), token_type and scope. A nil map is sent as an
// empty object (what an integration of auth type none takes).
//
// Values that do not fit the integration's fields are an *Error 422
// validation_failed whose Field is "credentials.<key>"; an integration
// restricted to accounts the user is not in is a 403 forbidden; an unknown
// user or integration is a 404 not_found. The values are never answered.
func (c *Client) ImportConnection(ctx context.Context, userID, slug string, credentials map[string]string) (conn *api.Connection, created bool, err error) {
	if credentials == nil {
		credentials = map[string]string{}
	}
	var out api.Connection
	status, err := c.do(ctx, http.MethodPut, "/v1/users/"+escape(userID)+"/connections/"+escape(slug), nil,
		api.ConnectionImport{Credentials: credentials}, &out)
	if err != nil {
		return nil, false, err
	}
	return &out, status == http.StatusCreated, nil
}

// ListConnectionsParams narrows and pages ListConnections. Empty fields do
// not filter.
type ListConnectionsParams struct {
	// UserID selects the connections of the user with this Portico id.
	UserID string
	// Integration selects the connections to the integration with this
	// slug.
	Integration string
	// Status selects the connections showing this status: "connected",
	// "expired", "revoked" or "error" (another value is a 400).
	Status string
	// PageSize is the number of connections per page (1–100; 0: the
	// server's default of 20).
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first.
	PageToken string
}

// ListConnections returns one page of the app's connections, revoked ones
// included, oldest first. The page's NextPageToken is nil on the last page.
func (c *Client) ListConnections(ctx context.Context, p ListConnectionsParams) (*api.List[api.Connection], error) {
	q := url.Values{}
	for name, v := range map[string]string{"user_id": p.UserID, "integration": p.Integration, "status": p.Status} {
		if v != "" {
			q.Set(name, v)
		}
	}
	var out api.List[api.Connection]
	if _, err := c.do(ctx, http.MethodGet, "/v1/connections", pageQuery(q, p.PageSize, p.PageToken), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetConnection returns the connection with id id, with its status as of
// now and the names of its credential fields, never their values.
func (c *Client) GetConnection(ctx context.Context, id string) (*api.Connection, error) {
	var out api.Connection
	if _, err := c.do(ctx, http.MethodGet, "/v1/connections/"+escape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeConnection erases the connection's credentials and sets its status
// to "revoked" (the server answers 204). The connection stays visible to
// GetConnection; revoking it again succeeds the same, and
// ImportConnection reconnects it under the same id. An unknown id is an
// *Error 404 not_found.
func (c *Client) RevokeConnection(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/connections/"+escape(id), nil, nil, nil)
	return err
}

// MyConnectionsParams pages MyConnections.
type MyConnectionsParams struct {
	// PageSize is the number of connections per page (1–100; 0: the
	// server's default of 20).
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first.
	PageToken string
}

// MyConnections returns one page of the session user's own connections,
// oldest first, to the integrations the session may show (its
// settings.integrations and settings.categories, and the integrations'
// account restrictions). Use a client made WithSessionToken; an API key is
// an *Error 401 invalid_token here.
func (c *Client) MyConnections(ctx context.Context, p MyConnectionsParams) (*api.List[api.Connection], error) {
	var out api.List[api.Connection]
	if _, err := c.do(ctx, http.MethodGet, "/v1/me/connections", pageQuery(nil, p.PageSize, p.PageToken), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeMyConnection lets the session user revoke one of its own
// connections, as RevokeConnection does, and returns it (this endpoint
// answers 200 with the connection). Use a client made
// WithSessionToken. Another user's connection, or one the session may not
// show, is an *Error 404 not_found; a session whose allow_actions name
// neither "disconnect" nor "delete" gets 403 forbidden.
func (c *Client) RevokeMyConnection(ctx context.Context, id string) (*api.Connection, error) {
	var out api.Connection
	if _, err := c.do(ctx, http.MethodDelete, "/v1/me/connections/"+escape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
