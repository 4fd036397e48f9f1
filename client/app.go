package client

import (
	"context"
	"net/http"

	"github.com/porticohq/portico/api"
)

// GetApp returns the caller's app and its settings.
func (c *Client) GetApp(ctx context.Context) (*api.App, error) {
	var out api.App
	if _, err := c.do(ctx, http.MethodGet, "/v1/app", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateApp changes the app's name and the settings u names. When u sets a
// new webhook_url, the returned app's WebhookSecret holds the signing
// secret; it is shown only this once. An invalid setting is an *Error 422
// validation_failed whose Field names it.
func (c *Client) UpdateApp(ctx context.Context, u api.AppUpdate) (*api.App, error) {
	var out api.App
	if _, err := c.do(ctx, http.MethodPatch, "/v1/app", nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
