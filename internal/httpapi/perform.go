package httpapi

import (
	"net/http"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// handlePerform calls an action or sends a raw request for a user. Any
// upstream answer, 4xx and 5xx included, is 200 with status "success";
// a missing, expired or revoked connection is 409 connection_required with
// a fresh configuration URL; 502 and 504 are transport failures.
func (s *Server) handlePerform(w http.ResponseWriter, r *http.Request) error {
	// Every answer may carry a configuration URL, the user's data or an
	// upstream's secrets: none is for a cache.
	w.Header().Set("Cache-Control", "no-store")
	var in api.PerformRequest
	if err := decode(r, &in); err != nil {
		return err
	}
	req := portico.PerformRequest{
		User:        portico.UserRef{ID: in.User.ID, ExternalID: in.User.ExternalID, Email: in.User.Email},
		Integration: in.Integration,
		Input:       in.Input,
		Caller:      portico.CallerFrom(r.Context()),
		DryRun:      in.DryRun,
	}
	if in.Action != nil {
		req.Action = *in.Action
		if req.Action == "" {
			return portico.Invalidf("action", "action must name one of the integration's actions.")
		}
	}
	if rr := in.Request; rr != nil {
		raw := &portico.RawRequest{Method: rr.Method, Path: rr.Path, Headers: rr.Headers, Body: rr.Body, Query: map[string][]string{}}
		for k, v := range rr.Query {
			raw.Query[k] = v
		}
		req.Request = raw
	}
	res, err := s.svc.Perform(r.Context(), appOf(r), req)
	if err != nil {
		return err
	}
	if d := res.DryRun; d != nil {
		writeJSON(w, http.StatusOK, api.PerformResult{Status: "dry_run", Request: &api.PreparedRequest{
			Method: d.Method, URL: d.URL, Headers: d.Headers, Body: d.Body, BodyEncoding: d.BodyEncoding}})
		return nil
	}
	writeJSON(w, http.StatusOK, api.PerformResult{Status: "success", Response: api.PerformResponse{
		Status: res.Status, Headers: res.Headers, Body: res.Body, BodyEncoding: res.BodyEncoding}})
	return nil
}

// handleTools lists the app's actions as function definitions; with
// user_id, only those of integrations the user may use.
func (s *Server) handleTools(w http.ResponseWriter, r *http.Request) error {
	userID := r.URL.Query().Get("user_id")
	if r.URL.Query().Has("user_id") && userID == "" {
		return portico.Invalid("user_id", "user_id must be a user id; leave it out for every action.")
	}
	tools, err := s.svc.Tools(r.Context(), appOf(r).ID, userID)
	if err != nil {
		return portico.NameNotFound(err, "User", "user_id", userID)
	}
	writeJSON(w, http.StatusOK, ToolsJSON(tools))
	return nil
}

// ToolsJSON is the wire form of tools.
func ToolsJSON(tools []portico.Tool) []api.Tool {
	out := make([]api.Tool, len(tools))
	for i, t := range tools {
		out[i] = api.Tool{Type: "function", Function: api.ToolFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters},
			Connected: t.Connected, Integration: t.Integration, Action: t.Action}
	}
	return out
}
