package apideck

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// connectionOut is the Vault's Connection schema, for one integration and
// the consumer's connection to it. Credential values are never shown: the
// form fields name them without their values, and settings is left out.
type connectionOut struct {
	ID               string      `json:"id"`
	ServiceID        string      `json:"service_id"`
	Name             string      `json:"name"`
	UnifiedAPI       string      `json:"unified_api"`
	State            string      `json:"state"`
	IntegrationState string      `json:"integration_state"`
	AuthType         string      `json:"auth_type"`
	OAuthGrantType   string      `json:"oauth_grant_type,omitempty"`
	Status           string      `json:"status"`
	Enabled          bool        `json:"enabled"`
	FormFields       []formField `json:"form_fields"`
	Health           string      `json:"health,omitempty"`
	CreatedAt        *int64      `json:"created_at,omitempty"`
	UpdatedAt        *int64      `json:"updated_at,omitempty"`
}

// formField is the Vault's FormField, without a value.
type formField struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Sensitive   bool   `json:"sensitive"`
	Disabled    bool   `json:"disabled"`
	CustomField bool   `json:"custom_field"`
}

// consumerConnection is the Vault's ConsumerConnection: a connection as a
// consumer lists it.
type consumerConnection struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ServiceID  string `json:"service_id"`
	UnifiedAPI string `json:"unified_api"`
	ConsumerID string `json:"consumer_id"`
	AuthType   string `json:"auth_type"`
	Enabled    bool   `json:"enabled"`
	State      string `json:"state"`
	Health     string `json:"health,omitempty"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

// connectionPatch is the writable part of the Vault's Connection schema.
// settings are the connection's credential values (field name to value; an
// empty or null value removes one); enabled true asks for a usable
// connection. The others have no Portico counterpart and are refused
// unless empty.
type connectionPatch struct {
	Enabled               *bool                      `json:"enabled"`
	Settings              map[string]json.RawMessage `json:"settings"`
	Metadata              json.RawMessage            `json:"metadata"`
	Configuration         json.RawMessage            `json:"configuration"`
	CustomMappings        json.RawMessage            `json:"custom_mappings"`
	ConsentState          json.RawMessage            `json:"consent_state"`
	LatestConsent         json.RawMessage            `json:"latest_consent"`
	ApplicationDataScopes json.RawMessage            `json:"application_data_scopes"`
}

// authTypes are the Vault's names of the auth schemes.
var authTypes = map[string]string{
	portico.AuthAPIKey: "apiKey",
	portico.AuthBasic:  "basic",
	portico.AuthOAuth2: "oauth2",
	portico.AuthNone:   "none",
}

// handleConnectionList is GET /vault/connections: every integration of the
// app that has a category (a unified API), with the consumer's connection
// to it; ?api= keeps one unified API, ?configured= the integrations the
// consumer has (true) or has not (false) connected.
func (s *server) handleConnectionList(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	var configured *bool
	if v := q.Get("configured"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return portico.Invalid("configured", "configured must be true or false.")
		}
		configured = &b
	}
	user, err := s.user(r, c)
	if err != nil {
		return err
	}
	states, err := s.Service.UserIntegrations(r.Context(), c.app.ID, user, q.Get("api"))
	if err != nil {
		return err
	}
	out := []connectionOut{}
	for i := range states {
		st := &states[i]
		if st.Integration.Category == "" {
			continue
		}
		conn := toConnection(st)
		if configured != nil && *configured != (conn.State != "available") {
			continue
		}
		out = append(out, conn)
	}
	writeOK(w, out)
	return nil
}

// handleConnectionGet is GET /vault/connections/{unified_api}/{service_id}.
func (s *server) handleConnectionGet(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := s.user(r, c)
	if err != nil {
		return err
	}
	st, err := s.integration(r, c, user)
	if err != nil {
		return err
	}
	writeOK(w, toConnection(st))
	return nil
}

// handleConnectionUpdate is PATCH /vault/connections/{unified_api}/{service_id}:
// stores the settings as the connection's credentials (merged with those
// stored), creating the consumer and the connection when needed.
func (s *server) handleConnectionUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	var body connectionPatch
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{
		{"metadata", body.Metadata}, {"configuration", body.Configuration}, {"custom_mappings", body.CustomMappings},
		{"consent_state", body.ConsentState}, {"latest_consent", body.LatestConsent},
		{"application_data_scopes", body.ApplicationDataScopes},
	} {
		if !emptyJSON(f.v) {
			return portico.Invalidf(f.name, "Portico does not support %s on connections; send settings and enabled only.", f.name)
		}
	}
	if body.Enabled != nil && !*body.Enabled {
		return portico.Invalidf("enabled", "Portico cannot disable a connection and keep its credentials; delete the connection to revoke it.")
	}
	user, err := s.user(r, c)
	if err != nil {
		return err
	}
	// Check the path before creating anyone: a wrong path must change nothing.
	st, err := s.integration(r, c, user)
	if err != nil {
		return err
	}
	if body.Settings != nil || (body.Enabled != nil && st.Status != portico.StatusConnected) {
		creds := portico.Credentials{}
		for k, raw := range body.Settings {
			var v *string
			if err := json.Unmarshal(raw, &v); err != nil {
				return portico.Invalid("settings."+k, "settings.%s must be of type string.", k)
			}
			creds[k] = deref(v)
		}
		user, _, err := s.Service.MergeConnectionCredentialsByKey(r.Context(), c.app.ID, c.consumerID, st.Integration.Slug, creds)
		if err != nil {
			return renameCredentialField(err)
		}
		if st, err = s.Service.UserIntegration(r.Context(), c.app.ID, user, st.Integration.Slug); err != nil {
			return err
		}
	}
	writeOK(w, toConnection(st))
	return nil
}

// handleConnectionDelete is DELETE /vault/connections/{unified_api}/{service_id}:
// revokes the consumer's connection (its credentials are erased) → 204.
func (s *server) handleConnectionDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := s.user(r, c)
	if err != nil {
		return err
	}
	st, err := s.integration(r, c, user)
	if err != nil {
		return err
	}
	if user == nil {
		return portico.NotFound("Connection")
	}
	if _, err := s.Service.RevokeUserConnection(r.Context(), c.app.ID, user, st.Integration.Slug); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// integration finds the integration of the path: its slug is the service
// id and its category must be the unified API (404 otherwise, as for an
// integration the consumer may not see).
func (s *server) integration(r *http.Request, c *call, user *portico.User) (*portico.IntegrationState, error) {
	st, err := s.Service.UserIntegration(r.Context(), c.app.ID, user, r.PathValue("service_id"))
	if err != nil {
		return nil, err
	}
	if st.Integration.Category == "" || st.Integration.Category != r.PathValue("unified_api") {
		return nil, portico.NotFound("Integration")
	}
	return st, nil
}

// connectionState says a connection's status in the Vault's terms: its
// state, its health and whether it is enabled. Never connected and revoked
// connections are available again; expired and failed ones invalid.
func connectionState(st *portico.IntegrationState) (state, health string, enabled bool) {
	switch st.Status {
	case portico.StatusConnected:
		return "callable", "ok", true
	case portico.StatusExpired, portico.StatusError:
		return "invalid", "needs_auth", true
	case portico.StatusRevoked:
		return "available", "revoked", false
	}
	return "available", "", false
}

func toConnection(st *portico.IntegrationState) connectionOut {
	in := &st.Integration
	out := connectionOut{ID: in.Category + "+" + in.Slug, ServiceID: in.Slug, Name: in.Name, UnifiedAPI: in.Category,
		IntegrationState: "configured", AuthType: authTypes[in.Auth.Type], Status: "live", FormFields: []formField{}}
	out.State, out.Health, out.Enabled = connectionState(st)
	// An integration exists only once configured: the native API refuses
	// one without what its auth scheme needs (an OAuth2 client id …).
	if in.Auth.Type == portico.AuthOAuth2 {
		out.OAuthGrantType = "authorization_code"
	}
	for _, f := range in.Auth.Fields {
		typ := "text"
		if f.Secret {
			typ = "password"
		}
		out.FormFields = append(out.FormFields, formField{ID: f.Name, Label: f.Label, Type: typ, Required: !f.Optional, Sensitive: f.Secret})
	}
	if cn := st.Connection; cn != nil {
		created, updated := cn.CreatedAt.UnixMilli(), cn.UpdatedAt.UnixMilli()
		out.CreatedAt, out.UpdatedAt = &created, &updated
	}
	return out
}

func toConsumerConnection(consumerID string, st *portico.IntegrationState) consumerConnection {
	in := &st.Integration
	out := consumerConnection{ID: in.Category + "+" + in.Slug, Name: in.Name, ServiceID: in.Slug, UnifiedAPI: in.Category,
		ConsumerID: consumerID, AuthType: authTypes[in.Auth.Type],
		CreatedAt: timestamp(st.Connection.CreatedAt), UpdatedAt: timestamp(st.Connection.UpdatedAt)}
	out.State, out.Health, out.Enabled = connectionState(st)
	return out
}

// renameCredentialField reports credentials.<field> errors of the domain as
// settings.<field>.
func renameCredentialField(err error) error {
	e, isDomain := err.(*portico.Error)
	if !isDomain {
		return err
	}
	name, found := strings.CutPrefix(e.Field, "credentials.")
	if !found {
		return err
	}
	c := *e
	c.Field = "settings." + name
	return &c
}

// emptyJSON reports whether a raw value is absent, null, {} or [].
func emptyJSON(v json.RawMessage) bool {
	var buf bytes.Buffer
	if len(v) == 0 || json.Compact(&buf, v) != nil {
		return len(v) == 0
	}
	switch buf.String() {
	case "null", "{}", "[]":
		return true
	}
	return false
}
