package httpapi

import (
	"maps"
	"net/http"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// integrationJSON is the wire form of an integration: the client secret,
// when stored, only as a mask.
func integrationJSON(in *portico.Integration) api.Integration {
	out := api.Integration{Slug: in.Slug, Name: in.Name, BaseURL: in.BaseURL,
		AccountIDs: append([]string{}, in.AccountIDs...), Actions: make([]api.Action, 0, len(in.Actions)),
		CreatedAt: api.NewTime(in.CreatedAt), UpdatedAt: api.NewTime(in.UpdatedAt),
		Auth:        api.IntegrationAuth{Type: in.Auth.Type, Fields: make([]api.Field, 0, len(in.Auth.Fields))},
		Description: nonEmpty(in.Description), LogoURL: nonEmpty(in.LogoURL), BrandColor: nonEmpty(in.BrandColor),
		SourceURL: nonEmpty(in.SourceURL), SettingsFields: make([]api.SettingsField, 0, len(in.SettingsFields)),
		Headers: maps.Clone(in.Headers)}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	if in.Guide != nil {
		out.Guide = &api.Guide{Steps: append([]string{}, in.Guide.Steps...), URL: in.Guide.URL}
	}
	for _, f := range in.SettingsFields {
		out.SettingsFields = append(out.SettingsFields, api.SettingsField(f))
	}
	if in.Verify != nil {
		v := api.Verify(*in.Verify)
		out.Verify = &v
	}
	if in.Category != "" {
		out.Category = &in.Category
	}
	if in.Template != "" {
		out.Template = &in.Template
	}
	for _, f := range in.Auth.Fields {
		out.Auth.Fields = append(out.Auth.Fields, api.Field(f))
	}
	if in.Auth.Inject != nil {
		inj := api.Inject(*in.Auth.Inject)
		out.Auth.Inject = &inj
	}
	if o := in.Auth.OAuth2; o != nil {
		out.Auth.OAuth2 = &api.OAuth2{AuthorizeURL: o.AuthorizeURL, TokenURL: o.TokenURL, ClientID: o.ClientID,
			Scopes: make([]api.Scope, 0, len(o.Scopes)), ScopeSeparator: o.ScopeSeparator, AuthorizeParams: maps.Clone(o.AuthorizeParams),
			PKCE: o.UsesPKCE(), TokenEndpointAuthMethod: nonEmpty(o.TokenEndpointAuthMethod)}
		for _, sc := range o.Scopes {
			out.Auth.OAuth2.Scopes = append(out.Auth.OAuth2.Scopes, api.Scope(sc))
		}
		if out.Auth.OAuth2.ScopeSeparator == "" {
			out.Auth.OAuth2.ScopeSeparator = " "
		}
		if out.Auth.OAuth2.AuthorizeParams == nil {
			out.Auth.OAuth2.AuthorizeParams = map[string]string{}
		}
		if o.ClientSecret != "" {
			mask := portico.SecretMask
			out.Auth.OAuth2.ClientSecret = &mask
		}
	}
	for _, a := range in.Actions {
		act := api.Action{Name: a.Name, Description: a.Description, Method: a.Method, Path: a.Path, InputSchema: a.InputSchema,
			Query: a.Query, Body: a.Body, BodyInput: a.BodyInput, Approval: a.Approval}
		if a.Annotations != nil {
			ann := api.ActionAnnotations(*a.Annotations)
			act.Annotations = &ann
		}
		out.Actions = append(out.Actions, act)
	}
	return out
}

func integrationInput(in api.IntegrationPut) (portico.IntegrationInput, error) {
	out := portico.IntegrationInput{Name: in.Name, Category: in.Category, BaseURL: in.BaseURL, AccountIDs: in.AccountIDs,
		Description: in.Description, LogoURL: in.LogoURL, BrandColor: in.BrandColor, SourceURL: in.SourceURL, Headers: in.Headers}
	if in.Guide != nil {
		g := portico.Guide(*in.Guide)
		out.Guide = &g
	}
	if in.SettingsFields != nil {
		fs := make([]portico.SettingsField, len(*in.SettingsFields))
		for i, f := range *in.SettingsFields {
			fs[i] = portico.SettingsField(f)
		}
		out.SettingsFields = &fs
	}
	if in.Verify != nil {
		v := portico.Verify(*in.Verify)
		out.Verify = &v
	}
	if in.Template != nil {
		if *in.Template == "" {
			return out, portico.Invalidf("template", "template must name a catalogue template; leave it out for none.")
		}
		out.Template = *in.Template
	}
	if in.Actions != nil {
		acts := make([]portico.Action, len(*in.Actions))
		for i, a := range *in.Actions {
			acts[i] = portico.Action{Name: a.Name, Description: a.Description, Method: a.Method, Path: a.Path, InputSchema: a.InputSchema,
				Query: a.Query, Body: a.Body, BodyInput: a.BodyInput, Approval: a.Approval}
			if a.Annotations != nil {
				ann := portico.ActionAnnotations(*a.Annotations)
				acts[i].Annotations = &ann
			}
		}
		out.Actions = &acts
	}
	if o := in.OpenAPI; o != nil {
		out.OpenAPI = &portico.OpenAPIInput{Document: o.Document, URL: o.URL, Operations: o.Operations}
	}
	if a := in.Auth; a != nil {
		out.Auth = &portico.AuthInput{Type: a.Type}
		if a.Fields != nil {
			fs := make([]portico.Field, len(*a.Fields))
			for i, f := range *a.Fields {
				fs[i] = portico.Field(f)
			}
			out.Auth.Fields = &fs
		}
		if a.Inject != nil {
			inj := portico.Inject(*a.Inject)
			out.Auth.Inject = &inj
		}
		if o := a.OAuth2; o != nil {
			out.Auth.OAuth2 = &portico.OAuth2Input{AuthorizeURL: o.AuthorizeURL, TokenURL: o.TokenURL, ClientID: o.ClientID,
				ClientSecret: o.ClientSecret, ScopeSeparator: o.ScopeSeparator, AuthorizeParams: o.AuthorizeParams, PKCE: o.PKCE,
				TokenEndpointAuthMethod: o.TokenEndpointAuthMethod}
			if o.Scopes != nil {
				scopes := make([]portico.Scope, len(*o.Scopes))
				for i, sc := range *o.Scopes {
					scopes[i] = portico.Scope(sc)
				}
				out.Auth.OAuth2.Scopes = &scopes
			}
		}
	}
	return out, nil
}

// handleIntegrationPut creates (201) or replaces (200) an integration.
func (s *Server) handleIntegrationPut(w http.ResponseWriter, r *http.Request) error {
	var in api.IntegrationPut
	if err := decode(r, &in); err != nil {
		return err
	}
	input, err := integrationInput(in)
	if err != nil {
		return err
	}
	if input.Force, err = forceParam(r); err != nil {
		return err
	}
	integ, created, err := s.svc.PutIntegration(r.Context(), appOf(r).ID, r.PathValue("slug"), input)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, integrationJSON(integ))
	return nil
}

func (s *Server) handleIntegrationList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListIntegrations(r.Context(), appOf(r).ID, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, integrationJSON))
	return nil
}

func (s *Server) handleIntegrationGet(w http.ResponseWriter, r *http.Request) error {
	integ, err := s.svc.FindIntegration(r.Context(), appOf(r).ID, r.PathValue("slug"))
	if err != nil {
		return portico.NameNotFound(err, "Integration", "slug", r.PathValue("slug"))
	}
	writeJSON(w, http.StatusOK, integrationJSON(integ))
	return nil
}

// handleIntegrationDelete deletes an integration → 204. While users have
// connections to it that are not revoked it answers 409 conflict (with
// details.connections), unless ?force=true, which erases them too.
func (s *Server) handleIntegrationDelete(w http.ResponseWriter, r *http.Request) error {
	force, err := forceParam(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteIntegration(r.Context(), appOf(r).ID, r.PathValue("slug"), force); err != nil {
		return portico.NameNotFound(err, "Integration", "slug", r.PathValue("slug"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// forceParam reads ?force=true|false (absent: false).
func forceParam(r *http.Request) (bool, error) {
	switch v := r.URL.Query(); {
	case !v.Has("force"), v.Get("force") == "false":
		return false, nil
	case v.Get("force") == "true":
		return true, nil
	}
	return false, portico.Invalid("force", "force must be true or false.")
}

// nonEmpty is s, or nil for "" (null on the wire).
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
