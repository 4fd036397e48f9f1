package httpapi

import (
	"net/http"
	"time"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// handleActivity lists the app's activity, newest first
// (docs/activity-and-approvals.md).
func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request) error {
	f, p, err := activityQuery(r)
	if err != nil {
		return err
	}
	f.UserID = queryFilter(r, "user_id")
	page, err := s.svc.ListActivity(r.Context(), appOf(r).ID, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, ActivityJSON))
	return nil
}

// handleMeActivity lists the activity of the session's user.
func (s *Server) handleMeActivity(w http.ResponseWriter, r *http.Request, sess *portico.Session, u *portico.User) error {
	f, p, err := activityQuery(r)
	if err != nil {
		return err
	}
	page, err := s.svc.SessionActivity(r.Context(), sess, u, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, ActivityJSON))
	return nil
}

// activityQuery reads the filters both lists share and the page.
func activityQuery(r *http.Request) (portico.ActivityFilter, portico.PageRequest, error) {
	p, err := pageRequest(r)
	if err != nil {
		return portico.ActivityFilter{}, p, err
	}
	f := portico.ActivityFilter{Integration: queryFilter(r, "integration"), Outcome: queryFilter(r, "outcome")}
	for _, t := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := queryFilter(r, t.name)
		if v == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339, *v)
		if err != nil {
			return f, p, portico.Invalid(t.name, "%s must be an RFC 3339 time such as 2024-10-11T09:02:56Z.", t.name)
		}
		at = at.UTC()
		*t.dst = &at
	}
	return f, p, nil
}

// ActivityJSON is the wire form of an activity row; exported for adapters.
func ActivityJSON(a *portico.Activity) api.Activity {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := api.Activity{ID: a.ID, UserID: opt(a.UserID), SessionID: opt(a.SessionID), APIKeyID: opt(a.KeyID), Client: a.Client,
		Integration: opt(a.Integration), Action: opt(a.Action), Method: opt(a.Method), Path: opt(a.Path), Outcome: a.Outcome,
		DryRun: a.DryRun, DurationMS: float64(a.Duration.Microseconds()) / 1000, RequestID: opt(a.RequestID), CreatedAt: api.NewTime(a.CreatedAt)}
	if a.UpstreamStatus != 0 {
		st := a.UpstreamStatus
		out.UpstreamStatus = &st
	}
	return out
}
