package httpapi

import (
	"net/http"
	"strings"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

func sessionInput(in api.SessionCreate) portico.SessionInput {
	out := portico.SessionInput{User: UserInput(in.User), TTLSeconds: in.TTLSeconds, Refreshable: in.Refreshable,
		RedirectURI: in.RedirectURI, CustomSettings: in.CustomSettings}
	if st := in.Settings; st != nil {
		out.Settings = portico.SessionSettings{Integrations: st.Integrations, Categories: st.Categories, AllowActions: st.AllowActions,
			IsolationMode: st.IsolationMode, SandboxMode: st.SandboxMode, AutoRedirect: st.AutoRedirect,
			ShowSidebar: st.ShowSidebar, ShowActivity: st.ShowActivity, HideGuides: st.HideGuides,
			HideResourceSettings: st.HideResourceSettings, ShowSuggestions: st.ShowSuggestions}
		if st.Tools != nil {
			out.Settings.Tools = portico.ToolSettings(*st.Tools)
		}
	}
	if in.Theme != nil {
		t := portico.Theme(*in.Theme)
		out.Theme = &t
	}
	return out
}

func (s *Server) handleSessionCreate(w http.ResponseWriter, r *http.Request) error {
	var in api.SessionCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.User.ExternalID == nil && in.User.Email == nil {
		return portico.Invalidf("user", "user is required, with an external_id or an email.")
	}
	cs, err := s.svc.CreateSession(r.Context(), appOf(r), sessionInput(in))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, api.SessionCreated{
		Session: apiwire.Session(cs.Session), Token: cs.Token, RefreshToken: cs.RefreshToken,
		ConfigurationURL: cs.Link.URL, ConfigurationURLExpiresAt: api.NewTime(cs.Link.ExpiresAt), AssistantHint: cs.Link.AssistantHint,
		MCPURL: s.svc.PublicURL + "/mcp",
	})
	return nil
}

func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	f := portico.SessionFilter{UserID: queryFilter(r, "user_id"), ExternalUserID: queryFilter(r, "external_user_id")}
	page, err := s.svc.ListSessions(r.Context(), appOf(r).ID, f, p)
	if err != nil {
		return err
	}
	out := listOf(page, apiwire.Session)
	writeSessionList(w, &out)
	return nil
}

func (s *Server) handleSessionGet(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.svc.FindSession(r.Context(), appOf(r).ID, r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "Session", "id", r.PathValue("id"))
	}
	out := apiwire.Session(sess)
	writeSession(w, &out)
	return nil
}

func (s *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RevokeSession(r.Context(), appOf(r).ID, r.PathValue("id")); err != nil {
		return portico.NameNotFound(err, "Session", "id", r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleSessionExtend(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		TTLSeconds *int `json:"ttl_seconds"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.TTLSeconds == nil {
		return portico.Invalid("ttl_seconds", "ttl_seconds is required.")
	}
	sess, err := s.svc.ExtendSession(r.Context(), appOf(r), r.PathValue("id"), *in.TTLSeconds)
	if err != nil {
		return portico.NameNotFound(err, "Session", "id", r.PathValue("id"))
	}
	out := apiwire.Session(sess)
	writeSession(w, &out)
	return nil
}

func (s *Server) handleSessionConfigURL(w http.ResponseWriter, r *http.Request) error {
	var in struct{}
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	sess, link, err := s.svc.NewConfigLink(r.Context(), appOf(r), r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "Session", "id", r.PathValue("id"))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, api.ConfigurationURL{Session: apiwire.Session(sess), ConfigurationURL: link.URL,
		ConfigurationURLExpiresAt: api.NewTime(link.ExpiresAt), AssistantHint: link.AssistantHint})
	return nil
}

func (s *Server) handleUserSessionsDelete(w http.ResponseWriter, r *http.Request) error {
	n, err := s.svc.RevokeUserSessions(r.Context(), appOf(r).ID, r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "User", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, api.Revoked{Revoked: n})
	return nil
}

func (s *Server) handleTokenRefresh(w http.ResponseWriter, r *http.Request) error {
	var in api.TokenRefresh
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.RefreshToken == "" {
		return portico.Invalid("refresh_token", "refresh_token is required.")
	}
	out, err := s.svc.RefreshSession(r.Context(), appOf(r), in.RefreshToken)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, api.TokenRefreshed{Token: out.Token, RefreshToken: out.RefreshToken, ExpiresAt: api.NewTime(out.Session.ExpiresAt)})
	return nil
}

// userAuth authenticates the end user by a session token, in the one
// sequence of every credential (authenticate): the per-IP failure budget,
// the token, then the session's own bucket.
func (s *Server) userAuth(h func(w http.ResponseWriter, r *http.Request, sess *portico.Session, u *portico.User) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := compat.OneCredential(r, portico.CodeInvalidToken, "Authorization"); err != nil {
			return err
		}
		sess, u, err := s.AuthenticateToken(r, compat.Bearer(r))
		if err != nil {
			return err
		}
		if err := checkQuery(r); err != nil {
			return err
		}
		return h(w, r, sess, u)
	}
}

// AuthenticateToken checks a raw session token in the one sequence of
// every credential (authenticate); the MCP server uses it too.
func (s *Server) AuthenticateToken(r *http.Request, raw string) (*portico.Session, *portico.User, error) {
	missing := func() error {
		if strings.TrimSpace(r.Header.Get("Authorization")) != "" {
			return portico.Errorf(portico.CodeUnauthenticated, "Use `Authorization: Bearer <token>`.")
		}
		return portico.Errorf(portico.CodeUnauthenticated, "A session token is required: send it as Authorization: Bearer <token>.")
	}
	return s.authenticateSession(r, raw, missing, func(raw string) (*portico.Session, *portico.User, error) {
		if portico.TokenHasPrefix(raw, portico.PrefixAccessToken) {
			return nil, nil, portico.Errorf(portico.CodeInvalidToken, "This is an OAuth access token: it works only at its app's /a/<app id>/mcp.")
		}
		if kind := portico.SecretKind(raw); kind != "" && kind != "a session token" {
			// From the presented string alone, as for API keys.
			route := r.Pattern
			if _, path, ok := strings.Cut(route, " "); ok {
				route = path // "GET /v1/me"; /mcp's pattern names no method
			}
			return nil, nil, portico.Errorf(portico.CodeInvalidToken, "This is %s; %s takes a session token, which starts with %s.", kind, route, portico.PrefixSessionToken)
		}
		return s.svc.ValidateToken(r.Context(), raw)
	})
}

// AuthenticateAccessToken checks an access token of the app's
// authorization server (docs/identity.md) for appID's MCP resource, in the
// same sequence; a token of another app is invalid_token.
func (s *Server) AuthenticateAccessToken(r *http.Request, raw, appID string) (*portico.Session, *portico.User, error) {
	missing := func() error {
		return portico.Errorf(portico.CodeUnauthenticated, "An access token is required: send it as Authorization: Bearer <token>.")
	}
	return s.authenticateSession(r, raw, missing, func(raw string) (*portico.Session, *portico.User, error) {
		return s.svc.ValidateAccessToken(r.Context(), raw, appID)
	})
}

// authenticateSession runs authenticate for a credential that validate
// turns into a session and its user, and records the session as the
// request's caller.
func (s *Server) authenticateSession(r *http.Request, raw string, missing func() error,
	validate func(raw string) (*portico.Session, *portico.User, error)) (*portico.Session, *portico.User, error) {
	var sess *portico.Session
	var u *portico.User
	err := s.authenticate(r, raw, missing, portico.CodeInvalidToken, func(raw string) (string, error) {
		var err error
		if sess, u, err = validate(raw); err != nil {
			return "", err
		}
		return sess.ID, nil
	})
	if err != nil {
		return nil, nil, err
	}
	portico.SetCallerSession(r.Context(), sess)
	return sess, u, nil
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, sess *portico.Session, u *portico.User) error {
	writeMe(w, &api.Me{User: apiwire.User(u), Session: apiwire.Session(sess)})
	return nil
}
