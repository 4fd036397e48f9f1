package httpapi

import (
	"net/http"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

func (s *Server) connectionJSON() func(*portico.Connection) api.Connection {
	now := s.svc.Now().UTC()
	return func(c *portico.Connection) api.Connection { return apiwire.Connection(c, now) }
}

func (s *Server) handleConnectionList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	f := portico.ConnectionFilter{UserID: queryFilter(r, "user_id"), Integration: queryFilter(r, "integration"), Status: queryFilter(r, "status")}
	page, err := s.svc.ListConnections(r.Context(), appOf(r).ID, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, s.connectionJSON()))
	return nil
}

func (s *Server) handleConnectionGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.svc.FindConnection(r.Context(), appOf(r).ID, r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "Connection", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, s.connectionJSON()(c))
	return nil
}

// handleConnectionDelete revokes a connection: its credentials are erased
// and its status becomes revoked. It answers 204 like every other DELETE;
// the row stays (GET /v1/connections/{id} shows it revoked), and revoking
// a revoked connection answers the same.
func (s *Server) handleConnectionDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.svc.RevokeConnection(r.Context(), appOf(r).ID, r.PathValue("id")); err != nil {
		return portico.NameNotFound(err, "Connection", "id", r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleConnectionImport stores credentials for a user: 201 when the
// connection is new, 200 when its credentials were replaced.
func (s *Server) handleConnectionImport(w http.ResponseWriter, r *http.Request) error {
	var in api.ConnectionImport
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Credentials == nil {
		return portico.Invalid("credentials", "credentials is required: an object of the integration's field values.")
	}
	c, created, err := s.svc.ImportConnectionSettings(r.Context(), appOf(r).ID, r.PathValue("id"), r.PathValue("slug"),
		portico.Credentials(in.Credentials), in.Settings)
	if err != nil {
		err = portico.NameNotFound(err, "User", "id", r.PathValue("id"))
		return portico.NameNotFound(err, "Integration", "slug", r.PathValue("slug"))
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, s.connectionJSON()(c))
	return nil
}

// handleMeConnections lists the session user's own connections to the
// integrations the session may show (its settings.integrations and
// settings.categories, and the integrations' account restrictions).
func (s *Server) handleMeConnections(w http.ResponseWriter, r *http.Request, sess *portico.Session, u *portico.User) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListSessionConnections(r.Context(), sess, u, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, s.connectionJSON()))
	return nil
}

// handleMeConnectionDelete lets the user revoke one of its connections, as
// DELETE /v1/connections/{id} does, and answers 200 with the revoked
// connection (docs/openapi.json, revokeMyConnection). Another
// user's connection, or one the session may not show, is 404; a session
// whose allow_actions name neither disconnect nor delete gets 403.
func (s *Server) handleMeConnectionDelete(w http.ResponseWriter, r *http.Request, sess *portico.Session, u *portico.User) error {
	c, err := s.svc.RevokeSessionConnection(r.Context(), sess, u, r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "Connection", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, s.connectionJSON()(c))
	return nil
}
