package client

import (
	"context"
	"net/http"

	"github.com/porticohq/portico/api"
)

// CreateAccount creates an account. An empty a.ID lets the server choose
// one; a taken id is an *Error 409 conflict.
func (c *Client) CreateAccount(ctx context.Context, a api.AccountCreate) (*api.Account, error) {
	var out api.Account
	if _, err := c.do(ctx, http.MethodPost, "/v1/accounts", nil, a, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAccountsParams pages ListAccounts.
type ListAccountsParams struct {
	// PageSize is the number of accounts per page (1–100; 0: the server's
	// default of 20).
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first.
	PageToken string
}

// ListAccounts returns one page of the app's accounts, oldest first. The
// page's NextPageToken is nil on the last page.
func (c *Client) ListAccounts(ctx context.Context, p ListAccountsParams) (*api.List[api.Account], error) {
	var out api.List[api.Account]
	if _, err := c.do(ctx, http.MethodGet, "/v1/accounts", pageQuery(nil, p.PageSize, p.PageToken), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAccount returns the account with id id.
func (c *Client) GetAccount(ctx context.Context, id string) (*api.Account, error) {
	var out api.Account
	if _, err := c.do(ctx, http.MethodGet, "/v1/accounts/"+escape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAccount renames the account with id id.
func (c *Client) UpdateAccount(ctx context.Context, id string, u api.AccountUpdate) (*api.Account, error) {
	var out api.Account
	if _, err := c.do(ctx, http.MethodPatch, "/v1/accounts/"+escape(id), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAccount deletes the account; its users stay, without that
// membership.
func (c *Client) DeleteAccount(ctx context.Context, id string) error {
	_, err := c.do(ctx, http.MethodDelete, "/v1/accounts/"+escape(id), nil, nil, nil)
	return err
}
