package httpapi

import (
	"net/http"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// handleVerificationConfirm settles a user verification flow with the
// user the app says is logged in to it (docs/identity.md): 200 with the
// return_to to send the browser to; 403 for another user (the flow
// ends); 410 for a flow that was settled, used or has expired.
func (s *Server) handleVerificationConfirm(w http.ResponseWriter, r *http.Request) error {
	var in api.VerificationConfirm
	if err := decode(r, &in); err != nil {
		return err
	}
	to, err := s.svc.ConfirmVerification(r.Context(), appOf(r), r.PathValue("flow"),
		portico.UserRef{ID: in.User.ID, ExternalID: in.User.ExternalID, Email: in.User.Email})
	if err != nil {
		return portico.NameNotFound(err, "Verification flow", "flow", r.PathValue("flow"))
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, api.VerificationConfirmed{ReturnTo: to})
	return nil
}
