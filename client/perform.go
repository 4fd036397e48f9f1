package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/porticohq/portico/api"
)

// Perform calls an integration's action (in.Action with in.Input) or
// sends a raw request (in.Request) for a user, with the user's stored
// credentials. Any upstream answer, 4xx and 5xx included, is a result:
// its Response.Status is the upstream's status.
//
// A user without a usable connection is an *Error 409
// connection_required whose Details hold integration, reason ("missing",
// "expired" or "revoked"), configuration_url,
// configuration_url_expires_at and assistant_hint. Input that fails the
// action's schema is a 422 whose Field is the path ("input.repo"); an
// unknown integration or action a 404 (Details["value"], and for an
// action Details["available"]); an integration restricted to accounts the
// user is not in a 403; a user named by an email that a user with an
// external_id has a 409 conflict (Details["user_id"]). Transport failures are 502
// upstream_unreachable (Details["reason"] says why: blocked_address,
// redirect_refused, response_too_large …), timeouts 504 upstream_timeout.
func (c *Client) Perform(ctx context.Context, in api.PerformRequest) (*api.PerformResult, error) {
	var out api.PerformResult
	if _, err := c.do(ctx, http.MethodPost, "/v1/perform", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Tools lists the app's actions as function definitions named
// <integration>__<action>. With a userID, only the actions of the
// integrations that user may use (an unknown user is a 404), each with
// Connected set: false means a Perform would answer connection_required
// until the user connects the integration. With "", every action, without
// Connected.
func (c *Client) Tools(ctx context.Context, userID string) ([]api.Tool, error) {
	var q url.Values
	if userID != "" {
		q = url.Values{"user_id": {userID}}
	}
	var out []api.Tool
	if _, err := c.do(ctx, http.MethodGet, "/v1/tools", q, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
