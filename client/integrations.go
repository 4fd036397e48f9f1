package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/porticohq/portico/api"
)

// PutIntegration creates the integration slug, or replaces its whole
// definition, and reports which: created is true when it did not exist.
// With in.Template set, the catalogue's definition is the base and the
// fields in sets replace its own, so that
//
//	c.PutIntegration(ctx, "github", api.IntegrationPut{Template: ptr("github"),
//		Auth: &api.IntegrationAuthPut{OAuth2: &api.OAuth2Put{ClientID: ptr(id), ClientSecret: ptr(secret)}}})
//
// is enough; without a template, Name, BaseURL and Auth are required. The
// client secret is write-only: the answer shows it as "********" (nil when
// none is stored); leaving ClientSecret nil, or setting it to "********",
// keeps the stored one, and "" removes it. An invalid definition is an
// *Error 422 validation_failed whose Field names the offending field
// ("slug", "base_url", "auth.inject.format", "actions[0].path"…).
func (c *Client) PutIntegration(ctx context.Context, slug string, in api.IntegrationPut) (integ *api.Integration, created bool, err error) {
	return c.putIntegration(ctx, slug, in, nil)
}

// PutIntegrationForce is PutIntegration for a definition that sends users'
// credentials to a new host (of base_url or token_url): it erases their
// connections, where PutIntegration gets an *Error 409 conflict whose
// Details["connections"] says how many (docs/perform.md, "Where
// credentials go").
func (c *Client) PutIntegrationForce(ctx context.Context, slug string, in api.IntegrationPut) (integ *api.Integration, created bool, err error) {
	return c.putIntegration(ctx, slug, in, url.Values{"force": {"true"}})
}

func (c *Client) putIntegration(ctx context.Context, slug string, in api.IntegrationPut, q url.Values) (*api.Integration, bool, error) {
	var out api.Integration
	status, err := c.do(ctx, http.MethodPut, "/v1/integrations/"+escape(slug), q, in, &out)
	if err != nil {
		return nil, false, err
	}
	return &out, status == http.StatusCreated, nil
}

// GetIntegration returns the integration slug (an *Error 404 not_found when
// the app has none of that slug).
func (c *Client) GetIntegration(ctx context.Context, slug string) (*api.Integration, error) {
	var out api.Integration
	if _, err := c.do(ctx, http.MethodGet, "/v1/integrations/"+escape(slug), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListIntegrationsParams pages ListIntegrations.
type ListIntegrationsParams struct {
	// PageSize is the number of integrations per page (1–100; 0: the
	// server's default of 20).
	PageSize int
	// PageToken is the NextPageToken of the previous page; empty for the
	// first.
	PageToken string
}

// ListIntegrations returns one page of the app's integrations, oldest
// first. The page's NextPageToken is nil on the last page.
func (c *Client) ListIntegrations(ctx context.Context, p ListIntegrationsParams) (*api.List[api.Integration], error) {
	var out api.List[api.Integration]
	if _, err := c.do(ctx, http.MethodGet, "/v1/integrations", pageQuery(nil, p.PageSize, p.PageToken), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteIntegration deletes the integration slug. While users have
// connections to it that are not revoked, the server refuses with an
// *Error 409 conflict whose Details["connections"] says how many, unless
// force, which erases those connections and their credentials too.
func (c *Client) DeleteIntegration(ctx context.Context, slug string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	_, err := c.do(ctx, http.MethodDelete, "/v1/integrations/"+escape(slug), q, nil, nil)
	return err
}
