package httpapi

import (
	"net/http"
	"strconv"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/apiwire"
	"github.com/porticohq/portico/internal/portico"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Ping(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// pageRequest reads page_size and page_token from the query.
func pageRequest(r *http.Request) (portico.PageRequest, error) {
	q := r.URL.Query()
	var p portico.PageRequest
	if v := q.Get("page_size"); v != "" || q.Has("page_size") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > portico.MaxPageSize {
			return p, portico.Invalid("page_size", "page_size must be a whole number between 1 and %d.", portico.MaxPageSize)
		}
		p.Size = n
	}
	p.Token = q.Get("page_token")
	return p, nil
}

// queryFilter returns a pointer to the query parameter's value when present.
func queryFilter(r *http.Request, name string) *string {
	q := r.URL.Query()
	if !q.Has(name) {
		return nil
	}
	v := q.Get(name)
	return &v
}

func listOf[T, W any](p portico.Page[T], conv func(*T) W) api.List[W] {
	out := api.List[W]{Data: make([]W, 0, len(p.Data)), NextPageToken: p.Next}
	for i := range p.Data {
		out.Data = append(out.Data, conv(&p.Data[i]))
	}
	return out
}

func appJSON(a *portico.App) api.App {
	st := a.Settings
	out := api.App{ID: a.ID, Name: a.Name, CreatedAt: api.NewTime(a.CreatedAt), Settings: api.AppSettings{
		SessionTTLSeconds:          st.SessionTTLSeconds,
		MaxSessionTTLSeconds:       st.MaxSessionTTLSeconds,
		ConfigurationURLTTLSeconds: st.ConfigurationURLTTLSeconds,
		MaxSessionsPerUser:         st.MaxSessionsPerUser,
		SessionLimitPolicy:         st.SessionLimitPolicy,
		AllowedRedirectURIs:        append([]string{}, st.AllowedRedirectURIs...),
		AllowedFrameOrigins:        append([]string{}, st.AllowedFrameOrigins...),
		Theme:                      api.Theme(st.Theme),
		MaxUsers:                   st.MaxUsers,
		ConnectSessionTokens:       st.ConnectSessionTokens,
		ConnectIDTokens:            st.ConnectIDTokens,
		MCPMaxResultBytes:          st.MCPMaxResultBytes,
		ActivityRetentionDays:      st.ActivityRetentionDays,
		PerformRatePerUser:         st.PerformRatePerUser,
		PerformBurstPerUser:        st.PerformBurstPerUser,
		ApprovalDefaultForDelete:   st.ApprovalDefaultForDelete,
	}}
	if st.WebhookURL != "" {
		out.Settings.WebhookURL = &st.WebhookURL
	}
	if st.UserVerificationURL != "" {
		out.Settings.UserVerificationURL = &st.UserVerificationURL
	}
	return out
}

func (s *Server) handleAppGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, appJSON(appOf(r)))
	return nil
}

func (s *Server) handleAppUpdate(w http.ResponseWriter, r *http.Request) error {
	var in api.AppUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	p := portico.AppPatch{Name: in.Name}
	if st := in.Settings; st != nil {
		p.Settings = &portico.SettingsPatch{
			SessionTTLSeconds:          st.SessionTTLSeconds,
			MaxSessionTTLSeconds:       st.MaxSessionTTLSeconds,
			ConfigurationURLTTLSeconds: st.ConfigurationURLTTLSeconds,
			MaxSessionsPerUser:         st.MaxSessionsPerUser,
			SessionLimitPolicy:         st.SessionLimitPolicy,
			AllowedRedirectURIs:        st.AllowedRedirectURIs,
			AllowedFrameOrigins:        st.AllowedFrameOrigins,
			MaxUsersSet:                st.MaxUsers.Set,
			MaxUsers:                   st.MaxUsers.Value,
			ConnectSessionTokens:       st.ConnectSessionTokens,
			ConnectIDTokens:            st.ConnectIDTokens,
			MCPMaxResultBytes:          st.MCPMaxResultBytes,
			ActivityRetentionDays:      st.ActivityRetentionDays,
			PerformRatePerUser:         st.PerformRatePerUser,
			PerformBurstPerUser:        st.PerformBurstPerUser,
			ApprovalDefaultForDelete:   st.ApprovalDefaultForDelete,
		}
		if st.Theme != nil {
			t := portico.Theme(*st.Theme)
			p.Settings.Theme = &t
		}
		if st.WebhookURL.Set {
			u := ""
			if st.WebhookURL.Value != nil {
				u = *st.WebhookURL.Value
			}
			p.Settings.WebhookURL = &u
		}
		if st.UserVerificationURL.Set {
			u := ""
			if st.UserVerificationURL.Value != nil {
				u = *st.UserVerificationURL.Value
			}
			p.Settings.UserVerificationURL = &u
		}
	}
	app, secret, err := s.svc.UpdateApp(r.Context(), appOf(r).ID, p)
	if err != nil {
		return err
	}
	out := appJSON(app)
	if secret != "" {
		out.WebhookSecret = secret
		w.Header().Set("Cache-Control", "no-store")
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// UserInput converts the wire form of a user to the domain's.
func UserInput(in api.UserCreate) portico.UserInput {
	return portico.UserInput{ExternalID: in.ExternalID, Email: in.Email, Name: in.Name, Metadata: in.Metadata, AccountIDs: in.AccountIDs,
		RefuseHeldEmail: true}
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	var in api.UserCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	u, created, err := s.svc.FindOrCreateUser(r.Context(), appOf(r).ID, UserInput(in))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, apiwire.User(u))
	return nil
}

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	f := portico.UserFilter{ExternalID: queryFilter(r, "external_id"), Email: queryFilter(r, "email"), AccountID: queryFilter(r, "account_id")}
	page, err := s.svc.ListUsers(r.Context(), appOf(r).ID, f, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, apiwire.User))
	return nil
}

func (s *Server) handleUserGet(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.FindUser(r.Context(), appOf(r).ID, r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "User", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, apiwire.User(u))
	return nil
}

func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) error {
	var in api.UserUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.svc.UpdateUser(r.Context(), appOf(r).ID, r.PathValue("id"), portico.UserUpdate{
		ExternalID: in.ExternalID, Email: in.Email, Name: in.Name, Metadata: in.Metadata, AccountIDs: in.AccountIDs})
	if err != nil {
		return portico.NameNotFound(err, "User", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, apiwire.User(u))
	return nil
}

func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteUser(r.Context(), appOf(r).ID, r.PathValue("id")); err != nil {
		return portico.NameNotFound(err, "User", "id", r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func accountJSON(a *portico.Account) api.Account {
	return api.Account{ID: a.ID, Name: a.Name, CreatedAt: api.NewTime(a.CreatedAt), UpdatedAt: api.NewTime(a.UpdatedAt)}
}

func (s *Server) handleAccountCreate(w http.ResponseWriter, r *http.Request) error {
	// api.AccountCreate, with id read as present or not: an id sent empty
	// is refused, not taken for none (SPEC §4: 1–128 characters).
	var in struct {
		ID   *string `json:"id"`
		Name string  `json:"name"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.svc.CreateAccount(r.Context(), appOf(r).ID, in.ID, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, accountJSON(a))
	return nil
}

func (s *Server) handleAccountList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListAccounts(r.Context(), appOf(r).ID, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, accountJSON))
	return nil
}

func (s *Server) handleAccountGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.svc.FindAccount(r.Context(), appOf(r).ID, r.PathValue("id"))
	if err != nil {
		return portico.NameNotFound(err, "Account", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, accountJSON(a))
	return nil
}

func (s *Server) handleAccountUpdate(w http.ResponseWriter, r *http.Request) error {
	var in api.AccountUpdate
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.svc.UpdateAccount(r.Context(), appOf(r).ID, r.PathValue("id"), in.Name)
	if err != nil {
		return portico.NameNotFound(err, "Account", "id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, accountJSON(a))
	return nil
}

func (s *Server) handleAccountDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.DeleteAccount(r.Context(), appOf(r).ID, r.PathValue("id")); err != nil {
		return portico.NameNotFound(err, "Account", "id", r.PathValue("id"))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
