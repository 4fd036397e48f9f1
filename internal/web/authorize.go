package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// The browser side of each app's OAuth 2.1 authorization server
// (docs/identity.md): /a/{app}/authorize checks the request and signs the
// user in through the app's user verification; the consent page names the
// client, where it goes back to and the tools it will reach, and answers
// with a code or access_denied. The token endpoints are internal/authserver.

// signInTTL is how long a browser stays signed in to an app's
// authorization server after the app verified its user.
const signInTTL = time.Hour

// RegisterAuthorize mounts the authorization server's browser endpoints;
// /authorize with mountOwnURL: it answers a bad query itself, as OAuth
// says (a page, or an error sent back to the client).
func (h *Handler) RegisterAuthorize(mount, mountOwnURL func(pattern string, handler http.Handler)) {
	mountOwnURL("GET /a/{app}/authorize", h.page(h.handleAuthorize))
	mount("GET /a/{app}/consent/{flow}", h.page(h.handleConsent))
	mount("POST /a/{app}/consent/{flow}", h.post(h.handleConsentDecision))
}

// signInCookieName: the __Host- prefix when the public URL is https.
func (h *Handler) signInCookieName() string {
	if h.secure {
		return "__Host-portico_signin"
	}
	return "portico_signin"
}

// setSignIn records in the browser that the app verified userID there.
func (h *Handler) setSignIn(w http.ResponseWriter, appID, userID string) {
	payload := appID + "." + userID
	http.SetCookie(w, &http.Cookie{Name: h.signInCookieName(), Value: base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + h.mac("signin", payload),
		Path: "/", MaxAge: int(signInTTL / time.Second), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// signedIn returns the user the app verified in this browser, "" for none,
// and the cookie's value (which the consent form's CSRF token is bound to).
func (h *Handler) signedIn(r *http.Request, appID string) (userID, cookie string) {
	c, err := r.Cookie(h.signInCookieName())
	if err != nil || len(c.Value) > 512 {
		return "", ""
	}
	enc, sig, _ := strings.Cut(c.Value, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmacEqual(sig, h.mac("signin", string(raw))) {
		return "", ""
	}
	app, user, ok := strings.Cut(string(raw), ".")
	if !ok || app != appID || user == "" {
		return "", ""
	}
	return user, c.Value
}

// handleAuthorize checks an authorization request. A client or redirect
// URI that cannot be trusted gets a page; any other refusal goes back to
// the client. The browser then signs in through the app (or is signed in
// already) and goes to the consent page.
func (h *Handler) handleAuthorize(w http.ResponseWriter, r *http.Request, nonce string) error {
	// The server leaves this route's URL to it (RegisterAuthorize): the
	// query is checked as OAuth answers (CheckAuthorization), the path's
	// one variable here.
	if !portico.CleanText(r.PathValue("app")) {
		return portico.NotFound("App")
	}
	app, err := h.svc.FindApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	// Read strictly: a query read with a pair dropped is not the request
	// the client sent, and its redirect cannot be trusted, so a page says
	// so.
	q, err := portico.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return authorizeRefused{portico.AsError(err).Message}
	}
	req, err := h.svc.CheckAuthorization(r.Context(), app, q)
	var ae *portico.AuthorizeError
	if errors.As(err, &ae) {
		if ae.Redirect {
			http.Redirect(w, r, h.svc.AuthorizeErrorRedirect(app, req, ae.OAuthError), http.StatusSeeOther)
			return nil
		}
		return authorizeRefused{ae.Description}
	}
	if err != nil {
		return err
	}
	user, _ := h.signedIn(r, app.ID)
	flow, to, err := h.svc.BeginSignIn(r.Context(), app, req, user)
	if err != nil {
		return err
	}
	if to == "" {
		to = "/a/" + app.ID + "/consent/" + flow
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// authorizeRefused is an authorization request that cannot go back to its
// client; shown as a page.
type authorizeRefused struct{ reason string }

func (e authorizeRefused) Error() string { return e.reason }

// consentView is what consent.html gets.
type consentView struct {
	view                                // what the layout reads
	Client, RedirectHost, Action string // Action: where Allow and Deny post
	Tools                        []portico.Tool
	More                         int
}

const maxConsentTools = 30

func (h *Handler) handleConsent(w http.ResponseWriter, r *http.Request, nonce string) error {
	app, err := h.svc.FindApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	user, cookie := h.signedIn(r, app.ID)
	req, err := h.svc.PendingAuthorization(r.Context(), app.ID, r.PathValue("flow"), user)
	if err != nil {
		return err
	}
	tools, err := h.svc.Tools(r.Context(), app.ID, user)
	if err != nil {
		return err
	}
	v := &consentView{view: view{Nonce: nonce, CSRF: h.mac("consent", cookie+"."+r.PathValue("flow")), Theme: mergeTheme(nil, app.Settings.Theme), Slim: true},
		Client: req.ClientName, RedirectHost: portico.RedirectHost(req.RedirectURI), Action: "/a/" + app.ID + "/consent/" + r.PathValue("flow"), Tools: tools}
	if v.Theme.Name == "" {
		v.Theme.Name = app.Name
	}
	if len(v.Tools) > maxConsentTools {
		v.Tools, v.More = v.Tools[:maxConsentTools], len(v.Tools)-maxConsentTools
	}
	v.Title = "Allow " + req.ClientName + "? — " + v.Theme.Name
	var buf strings.Builder
	if err := h.tmpl.ExecuteTemplate(&buf, "consent.html", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(buf.String()))
	return nil
}

// handleConsentDecision records Allow or Deny, once, and sends the browser
// back to the client.
func (h *Handler) handleConsentDecision(w http.ResponseWriter, r *http.Request, nonce string) error {
	app, err := h.svc.FindApp(r.Context(), r.PathValue("app"))
	if err != nil {
		return err
	}
	user, cookie := h.signedIn(r, app.ID)
	if user == "" || !hmacEqual(r.PostForm.Get("csrf_token"), h.mac("consent", cookie+"."+r.PathValue("flow"))) {
		return errBadCSRF
	}
	decision := r.PostForm.Get("decision")
	if decision != "allow" && decision != "deny" {
		return errBadForm
	}
	to, err := h.svc.DecideAuthorization(r.Context(), app, r.PathValue("flow"), user, decision == "allow")
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
