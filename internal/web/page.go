package web

import (
	"context"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/porticohq/portico/internal/portico"
)

// The page as a product (docs/hosted-page.md): cards with a logo or a
// monogram, the category sidebar and search, a page per integration with
// its form, guide, connection settings and activity, confirmation pages,
// and suggestions.

// searchFrom is the number of integrations above which the list offers a
// search box.
const searchFrom = 8

var statusWords = map[string]string{
	portico.StatusConnected: "Connected", portico.StatusExpired: "Expired",
	portico.StatusRevoked: "Disconnected", portico.StatusError: "Needs attention",
}

// monogram is the letter shown when an integration has no logo.
func monogram(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "?"
}

// monogramColours colour the monogram of an integration without a brand
// colour, picked by its slug: calm tones that all carry white text at
// WCAG AA contrast.
var monogramColours = []string{"#2563eb", "#7c3aed", "#be185d", "#c2410c", "#047857", "#0e7490", "#4338ca", "#b45309", "#475569", "#15803d"}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// rowOf is an integration as the page shows it.
func rowOf(s portico.IntegrationState) row {
	in := s.Integration
	rw := row{Slug: in.Slug, Name: in.Name, Description: in.Description, Category: in.Category, CategoryLabel: portico.CategoryName(in.Category),
		AuthType: in.Auth.Type, Status: s.Status, StatusLabel: statusWords[s.Status], Fields: in.Auth.Fields, Settings: in.SettingsFields,
		LogoURL: in.LogoURL, Brand: in.BrandColor, Monogram: monogram(in.Name), Guide: in.Guide}
	if rw.StatusLabel == "" {
		rw.StatusLabel = "Not connected"
	}
	if rw.Brand == "" {
		rw.Brand = monogramColours[fnv32(in.Slug)%uint32(len(monogramColours))]
	}
	rw.BrandText = "#ffffff"
	if luminance(rw.Brand) > 0.45 {
		rw.BrandText = "#111827"
	}
	if in.Auth.OAuth2 != nil {
		for _, sc := range in.Auth.OAuth2.Scopes {
			words := sc.Description
			if words == "" {
				words = sc.Name
			}
			rw.Scopes = append(rw.Scopes, words)
		}
	}
	if c := s.Connection; c != nil {
		rw.ConnectionID = c.ID
		if c.AccountLabel != nil {
			rw.AccountLabel = *c.AccountLabel
		}
		rw.Since = c.CreatedAt.UTC().Format("2 Jan 2006")
		rw.Current = c.Settings
	}
	return rw
}

// matches reports whether a row fits the search words q.
func (rw row) matches(q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	hay := strings.ToLower(rw.Name + " " + rw.Description + " " + rw.CategoryLabel + " " + rw.Slug)
	for _, w := range strings.Fields(q) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

// categoryLink is one entry of the sidebar.
type categoryLink struct {
	Slug, Label, Href string
	Count             int
	Current           bool
}

// navigation fills the sidebar and the search of the list, and narrows
// rows to the chosen category and search words.
func navigation(v *view, rows []row, st portico.SessionSettings, category, q string) {
	v.ShowSearch = !st.IsolationMode && len(rows) > searchFrom
	if !v.ShowSearch {
		q = ""
	}
	v.Query, v.Category = q, category
	counts := map[string]int{}
	var order []string
	for _, rw := range rows {
		if rw.Category == "" {
			continue
		}
		if counts[rw.Category] == 0 {
			order = append(order, rw.Category)
		}
		counts[rw.Category]++
	}
	slices.SortFunc(order, func(a, b string) int {
		return strings.Compare(strings.ToLower(portico.CategoryName(a)), strings.ToLower(portico.CategoryName(b)))
	})
	if !st.IsolationMode && st.Sidebar() && len(order) > 1 {
		link := func(cat string) string {
			u := url.Values{}
			if cat != "" {
				u.Set("category", cat)
			}
			if q != "" {
				u.Set("q", q)
			}
			if len(u) == 0 {
				return "/connect/"
			}
			return "/connect/?" + u.Encode()
		}
		v.Categories = append(v.Categories, categoryLink{Label: "All", Href: link(""), Count: len(rows), Current: category == ""})
		for _, c := range order {
			v.Categories = append(v.Categories, categoryLink{Slug: c, Label: portico.CategoryName(c), Href: link(c), Count: counts[c], Current: c == category})
		}
	}
	if counts[category] == 0 {
		category, v.Category = "", ""
	}
	for _, rw := range rows {
		if (category == "" || rw.Category == category) && rw.matches(q) {
			v.Rows = append(v.Rows, rw)
		}
	}
	v.Filtered = len(v.Rows) != len(rows)
}

// baseView is what every page of a live session shows.
func (h *Handler) baseView(r *http.Request, nonce string, ps *pageSession, st portico.SessionSettings) *view {
	v := &view{Nonce: nonce, Theme: mergeTheme(ps.sess.Theme, ps.app.Settings.Theme),
		Sandbox: st.SandboxMode, Isolation: st.IsolationMode, CSRF: h.csrfToken(ps.cookie), Actions: st.AllowActions,
		ShowActivity: st.Activity(), ShowSuggestions: st.ShowSuggestions, HideGuides: st.HideGuides,
		HideSettings: st.HideResourceSettings, Widget: h.widgetView(r, ps)}
	v.Theme.Name = displayName(ps)
	v.App = v.Theme.Name
	if ret := ps.sess.Return; ret.URL != "" && ps.app.Settings.RedirectAllowed(ret.URL) {
		v.Return = &returnLink{Name: ret.Name, URL: ret.URL}
		if v.Return.Name == "" {
			v.Return.Name = v.App
		}
	}
	return v
}

// displayName is the name the page gives the app: its theme's, else its
// own.
func displayName(ps *pageSession) string {
	if n := mergeTheme(ps.sess.Theme, ps.app.Settings.Theme).Name; n != "" {
		return n
	}
	return ps.app.Name
}

// sessionRow finds the state of one integration the session shows.
func (h *Handler) sessionRow(ctx context.Context, ps *pageSession, slug string) (row, error) {
	states, err := h.svc.SessionState(ctx, ps.sess, ps.user)
	if err != nil {
		return row{}, err
	}
	for _, s := range states {
		if s.Integration.Slug == slug {
			return rowOf(s), nil
		}
	}
	return row{}, portico.NotFound("Integration")
}

// handleIntegration is an integration's own page: its form, guide,
// connection settings and activity.
func (h *Handler) handleIntegration(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	st, err := portico.SessionSettingsOf(ps.sess)
	if err != nil {
		return err
	}
	rw, err := h.sessionRow(r.Context(), ps, r.PathValue("slug"))
	if err != nil {
		return err
	}
	v := h.baseView(r, nonce, ps, st)
	if f := h.takeFlash(w, r, ps.cookie); f != nil && f.Slug == rw.Slug {
		switch f.Form {
		case "connect":
			rw.Error, rw.Values = f.Error, f.Values
		case "settings":
			rw.SettingsError, rw.Current = f.Error, f.Values
		}
	}
	if v.ShowActivity && rw.ConnectionID != "" {
		av, err := h.activity(r.Context(), ps, rw.Slug, "", 10)
		if err != nil {
			return err
		}
		v.Activity = av
	}
	switch r.URL.Query().Get("notice") {
	case "saved":
		v.Notice = "Settings saved."
	case "saved-unverified":
		v.Notice, v.Warn = "Settings saved, but "+rw.Name+" could not be reached to check them.", true
	}
	v.Integration = &rw
	v.Title = rw.Name + " — " + v.Theme.Name
	h.render(w, http.StatusOK, "integration.html", v)
	return nil
}

// handleSettings changes the settings of the user's connection to an
// integration.
func (h *Handler) handleSettings(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	st, err := portico.SessionSettingsOf(ps.sess)
	if err != nil {
		return err
	}
	slug := r.PathValue("slug")
	rw, err := h.sessionRow(r.Context(), ps, slug)
	if err != nil {
		return err
	}
	if st.HideResourceSettings || rw.ConnectionID == "" {
		return portico.NotFound("Connection settings")
	}
	kept := map[string]string{}
	settings := map[string]string{}
	for _, f := range rw.Settings {
		if len(r.PostForm[f.Name]) > 1 {
			return errBadForm
		}
		if v := r.PostForm.Get(f.Name); v != "" {
			settings[f.Name], kept[f.Name] = v, v
		}
	}
	conn, err := h.svc.UpdateSessionConnectionSettings(r.Context(), ps.sess, ps.user, rw.ConnectionID, settings)
	if err != nil {
		if c := portico.ErrorCode(err); c == portico.CodeValidation || c == portico.CodeInvalid || c == portico.CodeConflict {
			return h.failed(w, r, ps, "/connect/integrations/"+slug, flash{Form: "settings", Slug: slug, Error: portico.AsError(err).Message, Values: kept})
		}
		return err
	}
	notice := "saved"
	if conn.Warning != "" {
		notice = "saved-unverified"
	}
	http.Redirect(w, r, "/connect/integrations/"+slug+"?notice="+notice, http.StatusSeeOther)
	return nil
}

// returnLink is "Back to <Name>" in the top bar.
type returnLink struct{ Name, URL string }

// confirmView is a confirmation page for disconnect or delete.
type confirmView struct {
	Action, Verb, ConnectionID string
	Integration                row
}

// handleConfirm asks before a disconnect or a delete, on a page of its own.
func (h *Handler) handleConfirm(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	st, err := portico.SessionSettingsOf(ps.sess)
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	verb := map[string]string{portico.ActionDisconnect: "Disconnect", portico.ActionDelete: "Delete", portico.ActionDisable: "Disable"}[action]
	if verb == "" || !slices.Contains(st.AllowActions, action) {
		return portico.NotFound("Action")
	}
	states, err := h.svc.SessionState(r.Context(), ps.sess, ps.user)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	for _, s := range states {
		if s.Connection != nil && s.Connection.ID == id {
			v := h.baseView(r, nonce, ps, st)
			v.Confirm = &confirmView{Action: action, Verb: verb, ConnectionID: id, Integration: rowOf(s)}
			v.Title = verb + " " + s.Integration.Name + " — " + v.Theme.Name
			h.render(w, http.StatusOK, "confirm.html", v)
			return nil
		}
	}
	return portico.NotFound("Connection")
}

// handleSuggest sends the app the name of a tool the user misses.
func (h *Handler) handleSuggest(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	// The form has one of each, as the credential forms do (singleValues).
	if len(r.PostForm["name"]) > 1 || len(r.PostForm["note"]) > 1 {
		return errBadForm
	}
	name := r.PostForm.Get("name")
	err := h.svc.SuggestIntegration(r.Context(), ps.sess, ps.user, name, r.PostForm.Get("note"))
	if c := portico.ErrorCode(err); c == portico.CodeValidation || c == portico.CodeInvalid || c == portico.CodeRateLimited {
		return h.failed(w, r, ps, "/connect/", flash{Form: "suggest", Error: portico.AsError(err).Message,
			Values: map[string]string{"name": truncate(name, portico.MaxSuggestionNameLen), "note": truncate(r.PostForm.Get("note"), portico.MaxSuggestionNoteLen)}})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/connect/?notice=suggested#suggest", http.StatusSeeOther)
	return nil
}
