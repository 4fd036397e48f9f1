// Package web serves the hosted configuration page (/connect): the page an
// end user opens from a configuration URL to connect and manage the
// credentials of the tools an app offers. Server-rendered html/template, no
// JavaScript required, themed per session.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the hosted page.
type Options struct {
	Service *portico.Service
	Logger  *slog.Logger
	// Key signs cookies and CSRF tokens: at least 32 bytes, the same on
	// every node.
	Key []byte
	// PublicURL is where users reach the server; https makes cookies Secure.
	PublicURL string
}

// Handler serves /connect.
type Handler struct {
	svc       *portico.Service
	publicURL string
	log       *slog.Logger
	key       []byte
	secure    bool
	tmpl      *template.Template
	origin    *http.CrossOriginProtection
	// routes holds the page's routes (Register), to tell a wrong method
	// from an unknown address.
	routes *http.ServeMux
}

// New parses the templates (a broken template fails here, at start-up).
func New(o Options) (*Handler, error) {
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"has":   slices.Contains[[]string],
		"lower": strings.ToLower,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Handler{svc: o.Service, publicURL: strings.TrimRight(o.PublicURL, "/"),
		log: o.Logger, key: o.Key, secure: strings.HasPrefix(o.PublicURL, "https://"),
		tmpl: tmpl, origin: http.NewCrossOriginProtection()}, nil
}

// Register mounts the routes with addOwnURL (the API server's HandleOwnURL, so
// that they share its request ids, logs and metrics, and a page answers a
// URL compat.CheckURL refuses as a page).
func (h *Handler) Register(addOwnURL func(pattern string, handler http.Handler)) {
	h.routes = http.NewServeMux()
	add := func(pattern string, handler http.Handler) { addOwnURL(pattern, h.checkURL(handler)) }
	mount := func(pattern string, handler http.Handler) {
		add(pattern, handler)
		h.routes.Handle(pattern, handler)
	}
	static, _ := fs.Sub(staticFS, "static")
	mount("GET /connect/static/", h.headers(http.StripPrefix("/connect/static/", files(http.FileServerFS(static)))))
	mount("GET /connect/portico.js", http.HandlerFunc(h.widgetScript))
	// Not among h.routes: any one segment is a link to it, and a wrong
	// method on an address that is not a page's is a 404, not a 405.
	add("GET /connect/{code}", h.page(h.handleOpenCode))
	mount("GET /connect/verified/{code}", h.page(h.handleVerified))
	mount("POST /connect/open", h.postFromApp(h.handleOpenToken))
	mount("GET /connect/open", h.page(func(w http.ResponseWriter, r *http.Request, nonce string) error {
		w.Header().Set("Allow", http.MethodPost)
		return errOpenIsPost
	}))
	mount("GET /connect/{$}", h.page(h.session(h.handleHome)))
	mount("GET /connect/activity", h.page(h.session(h.handleActivity)))
	mount("POST /connect/approvals/{id}/{decision}", h.post(h.session(h.handleDecide)))
	mount("GET /connect/integrations/{slug}", h.page(h.session(h.handleIntegration)))
	mount("POST /connect/integrations/{slug}", h.post(h.session(h.handleConnect)))
	mount("POST /connect/integrations/{slug}/settings", h.post(h.session(h.handleSettings)))
	mount("GET /connect/connections/{id}/{action}", h.page(h.session(h.handleConfirm)))
	mount("POST /connect/connections/{id}/{action}", h.post(h.session(h.handleConnectionAction)))
	mount("POST /connect/suggestions", h.post(h.session(h.handleSuggest)))
	mount("POST /connect/done", h.post(h.session(h.handleDone)))
	mount("POST /connect/oauth/{slug}/start", h.post(h.session(h.handleOAuthStart)))
	// The one GET that changes state: OAuth2 providers return with a GET.
	// It is bound to the page session, single use, and checks its state.
	mount("GET /connect/oauth/callback", h.page(h.session(h.handleOAuthCallback)))
	// Any other /connect/ address is answered as a page too, not as the
	// API's JSON: someone followed or typed it in a browser.
	add("/connect/", h.page(h.notRouted))
}

// notRouted answers a /connect/ request that no route takes: 405 with the
// methods the path takes, when some route takes it with another method;
// else 404.
func (h *Handler) notRouted(w http.ResponseWriter, r *http.Request, nonce string) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if _, pattern := h.routes.Handler(&http.Request{Method: m, Host: r.Host, URL: r.URL}); pattern != "" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) == 0 {
		return portico.NotFound("Page")
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	return errMethod
}

// files serves the page's static files, and no listing of their folders.
func files(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headers sets the security headers of every hosted-page response. Over
// https the page also pins the browser to https for the host (HSTS, two
// years, subdomains included) and keeps other origins' windows from
// holding a reference to it (COOP same-origin; not in the widget's popup,
// which must keep its opener: docs/widget.md). Over plain http neither
// applies: browsers ignore HSTS there, and a development server must not
// pin its host.
func (h *Handler) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Frame-Options", "DENY")
		if h.secure {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		}
		next.ServeHTTP(w, r)
	})
}

// pageFunc renders or redirects; it returns an error to show as a page.
type pageFunc func(w http.ResponseWriter, r *http.Request, nonce string) error

// page wraps a GET handler: headers, a CSP with a fresh style nonce, and
// friendly error pages.
func (h *Handler) page(fn pageFunc) http.Handler {
	return h.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nonce := newNonce()
		setCSP(w, nonce, nil, false)
		if err := fn(w, r, nonce); err != nil {
			h.renderError(w, r, nonce, err)
		}
	}))
}

// checkURL refuses, as a page, a URL compat.CheckURL refuses: the server
// leaves the pages' URLs to them (Register).
func (h *Handler) checkURL(next http.Handler) http.Handler {
	refuse := h.page(func(_ http.ResponseWriter, r *http.Request, _ string) error { return compat.CheckURL(r.URL) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if compat.CheckURL(r.URL) != nil {
			refuse.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// post wraps a state-changing handler: the cross-origin check (Origin and
// Sec-Fetch-Site), a bounded form, then the page wrapper. The CSRF token is
// checked by session(), which knows the cookie.
func (h *Handler) post(fn pageFunc) http.Handler {
	inner := h.page(func(w http.ResponseWriter, r *http.Request, nonce string) error {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return errBadForm
		}
		if len(r.URL.RawQuery) > 0 {
			// Credentials must never travel in a URL.
			return errBadForm
		}
		return fn(w, r, nonce)
	})
	return h.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h.origin.Check(r); err != nil {
			nonce := newNonce()
			setCSP(w, nonce, nil, false)
			h.renderError(w, r, nonce, errCrossOrigin)
			return
		}
		inner.ServeHTTP(w, r)
	}))
}

// postFromApp is post for POST /connect/open, which a widget on the app's
// own site submits: the token in the form is the credential, so a
// cross-origin request is admitted when its Origin is one the app lists
// (allowed_frame_origins, or the origin of an allowed_redirect_uri); the
// handler checks that once the token names the app.
func (h *Handler) postFromApp(fn pageFunc) http.Handler {
	return h.headers(h.page(func(w http.ResponseWriter, r *http.Request, nonce string) error {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil || len(r.URL.RawQuery) > 0 {
			return errBadForm
		}
		return fn(w, r, nonce)
	}))
}

// setCSP sets the page's Content-Security-Policy: frames only from the
// app's allowed_frame_origins ('none' until the app is known, or when it
// lists none), and scripts only in a widget (docs/widget.md), from
// Portico itself.
func setCSP(w http.ResponseWriter, nonce string, frameOrigins []string, widget bool) {
	scripts := "'none'"
	if widget {
		scripts = "'self'"
	}
	ancestors := "'none'"
	if len(frameOrigins) > 0 {
		ancestors = strings.Join(frameOrigins, " ")
		w.Header().Del("X-Frame-Options") // it cannot name several origins
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'nonce-"+nonce+"'; "+
		"script-src "+scripts+"; object-src 'none'; base-uri 'none'; frame-ancestors "+ancestors)
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawStdEncoding.EncodeToString(b)
}

// view is what the templates get.
type view struct {
	Nonce     string
	Title     string
	Theme     theme
	Message   *message
	App       string
	Sandbox   bool
	Isolation bool
	CSRF      string
	Rows      []row
	Actions   []string
	Done      bool
	Notice    string
	Warn      bool   // the notice is a warning
	Alert     string // a failure to show above the list
	Activity  *activityView
	Approvals []approvalRow
	// The list's navigation: the category sidebar, the search box, and
	// whether they narrowed the list.
	Categories []categoryLink
	ShowSearch bool
	Query      string
	Category   string
	Filtered   bool
	// What the session's settings show.
	ShowActivity, ShowSuggestions, HideGuides, HideSettings bool
	// Suggestion is the suggestion form's failure and values.
	Suggestion *flash
	// Integration is the integration of its own page.
	Integration *row
	Confirm     *confirmView
	// Return is the link back to the app the user came from.
	Return *returnLink
	// Widget is set when the page runs in the widget (widget.go).
	Widget *widgetView
	// Slim: the page is one narrow card (the consent page), which the
	// top bar lines up with.
	Slim bool
}

// approvalRow is a call waiting for the user's decision: what it does,
// secrets redacted (docs/activity-and-approvals.md).
type approvalRow struct {
	ID, Integration, Action, Method, Path, Query, Body, Expires string
}

// activityView is the user's activity list (docs/activity-and-approvals.md).
type activityView struct {
	Slug        string // the one integration shown, "" for all
	Integration string // its name
	Rows        []activityRow
	Next        string // the link to the next page, "" on the last
}

type activityRow struct {
	At, Integration, What, Client, Outcome string
	UpstreamStatus                         int
	DryRun                                 bool
}

// changeWords says in words the activity rows that are changes, not
// calls (their action is the event type, docs/activity-and-approvals.md).
var changeWords = map[string]string{
	portico.EventConnectionCreated: "Connected",
	portico.EventConnectionUpdated: "Connection updated",
	portico.EventConnectionRevoked: "Disconnected",
	portico.EventConnectionExpired: "Connection expired",
	portico.EventSessionCreated:    "Link created",
	portico.EventSessionRevoked:    "Link ended",
	"approval.approved":            "Call approved",
	"approval.declined":            "Call declined",
}

// clientWords says who acted: the page itself, the app, Portico's own
// background work, or the MCP client by the name it gave.
func clientWords(client string) string {
	switch {
	case client == portico.ClientPage:
		return "this page"
	case client == portico.ClientPortico:
		return "Portico"
	case strings.HasPrefix(client, "mcp:"):
		return strings.TrimPrefix(client, "mcp:")
	}
	return "the app"
}

type message struct {
	Heading string
	Body    string
	// Link, when set, is where the reader goes next (LinkText): the
	// integration to connect again, or the page.
	Link, LinkText string
}

// retryLink is the way back from a connection that was not made: the
// integration's page, to connect again.
func retryLink(m *message, slug string) *message {
	m.Link, m.LinkText = "/connect/integrations/"+url.PathEscape(slug), "Try again"
	return m
}

// pageLink is the way back to the page's list.
func pageLink(m *message) *message {
	m.Link, m.LinkText = "/connect/", "Back to your tools"
	return m
}

// row is an integration as the page shows it, with the user's connection.
type row struct {
	Slug, Name, Description, Category, CategoryLabel string
	AuthType, Status, StatusLabel, ConnectionID      string
	// The logo, or a monogram in the brand colour.
	LogoURL, Brand, BrandText, Monogram string
	// "Connected as AccountLabel · since Since", and the scopes in words.
	AccountLabel, Since string
	Scopes              []string
	Guide               *portico.Guide
	Fields              []portico.Field
	Settings            []portico.SettingsField
	// Current holds the connection's settings (or the values typed into
	// its settings form that failed).
	Current       map[string]string
	Error         string
	SettingsError string
	Values        map[string]string
}

// theme is a validated theme: colours are hex, URLs http(s).
type theme struct {
	Name, LogoURL, FaviconURL, PrivacyURL, TermsURL string
	Primary, OnPrimary, SidebarBG, SidebarText      template.CSS
}

func mergeTheme(sessTheme json.RawMessage, app portico.Theme) theme {
	var s portico.Theme
	json.Unmarshal(sessTheme, &s)
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	t := theme{
		Name: pick(s.Name, app.Name), LogoURL: pick(s.LogoURL, app.LogoURL), FaviconURL: pick(s.FaviconURL, app.FaviconURL),
		PrivacyURL: pick(s.PrivacyURL, app.PrivacyURL), TermsURL: pick(s.TermsURL, app.TermsURL),
		// The colours passed Theme.Validate (hex only), so they are safe
		// inside a style block.
		Primary:     template.CSS(pick(pick(s.PrimaryColor, app.PrimaryColor), "#2563eb")),
		SidebarBG:   template.CSS(pick(pick(s.SidebarBackgroundColor, app.SidebarBackgroundColor), "#1f2937")),
		SidebarText: template.CSS(pick(pick(s.SidebarTextColor, app.SidebarTextColor), "#ffffff")),
	}
	t.OnPrimary = "#ffffff"
	if luminance(string(t.Primary)) > 0.45 {
		t.OnPrimary = "#111827"
	}
	return t
}

// luminance is the relative luminance (WCAG) of a #rgb or #rrggbb colour,
// used to keep button text readable on any brand colour.
func luminance(hex string) float64 {
	h := strings.TrimPrefix(hex, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	if len(h) != 6 {
		return 0
	}
	ch := func(s string) float64 {
		v, _ := strconv.ParseUint(s, 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(h[0:2]) + 0.7152*ch(h[2:4]) + 0.0722*ch(h[4:6])
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, v); err != nil {
		h.log.Error("render_failed", slog.String("template", name), slog.Any("error", err))
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Page errors.
var (
	errBadForm     = errors.New("bad form")
	errCrossOrigin = errors.New("cross-origin request")
	errBadCSRF     = errors.New("bad csrf token")
	errNoCookie    = errors.New("no page session")
	errNoCode      = errors.New("callback without a code")
	errOpenIsPost  = errors.New("GET of /connect/open")
	errMethod      = errors.New("a method the page's address does not take")
)

// renderError shows err as a page a person understands.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, nonce string, err error) {
	v := &view{Nonce: nonce, Theme: h.linkTheme(r.Context(), err)}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, portico.ErrLinkUnknown):
		status, v.Message = http.StatusNotFound, &message{Heading: "This link is not valid", Body: "Ask the app that sent you here for a new link."}
	case errors.Is(err, portico.ErrLinkUsed):
		status, v.Message = http.StatusGone, &message{Heading: "This link has already been used", Body: "Each link opens once. Ask the app that sent you here for a new link."}
	case errors.Is(err, portico.ErrLinkExpired):
		status, v.Message = http.StatusGone, &message{Heading: "This link has expired", Body: "Ask the app that sent you here for a new link."}
	case errors.Is(err, portico.ErrSessionEnded):
		status, v.Message = http.StatusGone, &message{Heading: "This session has ended", Body: "Go back to the app that sent you here and open the page again."}
		h.clearCookie(w)
	case errors.Is(err, errNoCookie):
		status, v.Message = http.StatusUnauthorized, &message{Heading: "Open the link from your app", Body: "This page opens from a link the app gives you. Ask it for a new link."}
	case errors.Is(err, errCrossOrigin), errors.Is(err, errBadCSRF):
		status, v.Message = http.StatusForbidden, &message{Heading: "This request was refused", Body: "It did not come from this page. Reload the page and try again."}
	case errors.Is(err, errBadForm):
		status, v.Message = http.StatusBadRequest, &message{Heading: "This request was not understood", Body: "Reload the page and try again."}
	case errors.Is(err, portico.ErrOAuthState):
		status, v.Message = http.StatusBadRequest, pageLink(&message{Heading: "This authorization is not valid", Body: "It was already used, has expired, or did not start here. Go back to the page and connect again."})
	case errors.Is(err, portico.ErrOAuthOther):
		status, v.Message = http.StatusForbidden, pageLink(&message{Heading: "This authorization belongs to another session", Body: "Go back to the page and connect again."})
	case errors.As(err, new(*portico.OAuthExchangeError)):
		// What failed (the token URL, an address, the guard's reason, the
		// provider's answer) goes to the log; the user gets a sentence.
		var xe *portico.OAuthExchangeError
		errors.As(err, &xe)
		h.logFailure(w, r, "oauth_exchange_failed", err)
		body := xe.Integration.Name + " could not be reached to finish connecting. Try again in a moment."
		switch {
		case errors.Is(err, portico.ErrProviderRefused):
			body = xe.Integration.Name + " did not accept the connection. Try again."
		case errors.Is(err, portico.ErrProviderAnswer):
			body = xe.Integration.Name + " answered without a usable token. Try again in a moment."
		}
		status, v.Message = http.StatusBadGateway, retryLink(&message{Heading: "The connection was not made", Body: body}, xe.Integration.Slug)
	case errors.As(err, new(providerError)):
		pe := providerError{}
		errors.As(err, &pe)
		status, v.Message = http.StatusBadRequest, retryLink(&message{Heading: "The connection was not made", Body: "The provider said: " + pe.Error()}, pe.slug)
	case errors.As(err, new(authorizeRefused)):
		status, v.Message = http.StatusBadRequest, &message{Heading: "This sign-in request is not valid", Body: err.Error() + " Go back to the application and connect again."}
	case errors.Is(err, portico.ErrFlowNotYours):
		status, v.Message = http.StatusGone, &message{Heading: "This authorization has ended", Body: "It was answered already, has expired, or began in another browser. Go back to the application and connect again."}
	case portico.ErrorCode(err) == portico.CodeNotFound:
		status, v.Message = http.StatusNotFound, &message{Heading: "Not found", Body: "This page does not exist. Go back and try again."}
	case errors.Is(err, errOpenIsPost):
		status, v.Message = http.StatusMethodNotAllowed, &message{Heading: "This address takes a form post", Body: "An app posts its session token here. To open the page, use the link the app gives you."}
	case errors.Is(err, errMethod):
		status, v.Message = http.StatusMethodNotAllowed, &message{Heading: "This address does not take that request", Body: "Go back to the page and try again."}
	case errors.Is(err, errNoCode):
		status, v.Message = http.StatusBadRequest, pageLink(&message{Heading: "The connection was not made", Body: "The provider sent you back without an authorization. Go back to the page and connect again."})
	case portico.ErrorCode(err) == portico.CodeInvalid, portico.ErrorCode(err) == portico.CodeValidation:
		status, v.Message = http.StatusBadRequest, &message{Heading: "This request was not understood", Body: portico.AsError(err).Message}
	case portico.ErrorCode(err) == portico.CodeForbidden:
		status, v.Message = http.StatusForbidden, &message{Heading: "Not allowed", Body: portico.AsError(err).Message}
	case portico.ErrorCode(err) == portico.CodeUnavailable:
		// The store cannot serve for now: like the API, 503 with a retry
		// hint, and the cause only in the log.
		h.logFailure(w, r, "connect_unavailable", err)
		w.Header().Set("Retry-After", "1")
		status, v.Message = http.StatusServiceUnavailable, &message{Heading: "This page is unavailable for a moment", Body: "Try again in a moment."}
	default:
		h.logFailure(w, r, "connect_failed", err)
		v.Message = &message{Heading: "Something went wrong", Body: "Try again in a moment."}
	}
	if errors.As(err, new(*portico.LinkError)) && v.Theme.Name != "" {
		v.Message.Body = strings.Replace(v.Message.Body, "the app that sent you here", v.Theme.Name, 1)
	}
	v.Title = v.Message.Heading
	h.render(w, status, "message.html", v)
}

// linkTheme is the theme of the page that says a link does not open: the
// app's and its session's, when the link was known (used or expired), else
// Portico's own.
func (h *Handler) linkTheme(ctx context.Context, err error) theme {
	var le *portico.LinkError
	if !errors.As(err, &le) {
		return mergeTheme(nil, portico.Theme{})
	}
	app, err := h.svc.FindApp(ctx, le.AppID)
	if err != nil {
		return mergeTheme(nil, portico.Theme{})
	}
	var sessTheme json.RawMessage
	if sess, err := h.svc.FindSession(ctx, le.AppID, le.SessionID); err == nil {
		sessTheme = sess.Theme
	}
	t := mergeTheme(sessTheme, app.Settings.Theme)
	if t.Name == "" {
		t.Name = app.Name
	}
	return t
}

// logFailure logs what a page did not show: the cause of a failure, with
// the request id the API server gave the response.
func (h *Handler) logFailure(w http.ResponseWriter, r *http.Request, msg string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, msg, slog.String("request_id", w.Header().Get("X-Request-Id")),
		slog.String("route", r.Pattern), slog.Any("error", err))
}

// handleOpenCode exchanges a configuration code for the page cookie and
// redirects to a URL without the code.
func (h *Handler) handleOpenCode(w http.ResponseWriter, r *http.Request, nonce string) error {
	if r.Method == http.MethodHead {
		// The status a GET would get, without using the link up.
		if err := h.svc.CheckLink(r.Context(), r.PathValue("code")); err != nil {
			return err
		}
		headOnly(w, r)
		return nil
	}
	sess, err := h.svc.OpenLink(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	return h.verifyThenStart(w, r, sess)
}

// headOnly answers a HEAD of a single-use link without using it up: link
// checkers and previews send HEAD, and the user's own GET must still open
// the page. It reports whether the request was a HEAD.
func headOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodHead {
		return false
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	return true
}

// handleOpenToken opens the page for a holder of a session token, posted in
// a form so that the token never sits in a URL.
func (h *Handler) handleOpenToken(w http.ResponseWriter, r *http.Request, nonce string) error {
	sess, err := h.svc.OpenToken(r.Context(), r.PostForm.Get("token"))
	if err != nil {
		return err
	}
	if h.origin.Check(r) != nil {
		app, err := h.svc.FindApp(r.Context(), sess.AppID)
		if err != nil {
			return err
		}
		if !app.Settings.TrustsOrigin(r.Header.Get("Origin")) {
			return errCrossOrigin
		}
	}
	// The token is the app's own secret: holding it is the app's word
	// for who the user is.
	return h.startPage(w, r, pageCookie{appID: sess.AppID, sessionID: sess.ID, verified: sess.UserID, byToken: true}, sess, r.PostForm.Get("widget"), r.PostForm.Get("origin"), approvalID(r.URL.Query().Get("approval")))
}

// startPage sets the page cookie pc for sess and sends the browser to the
// page, which shows approval first when not ""; a page the widget opens
// (widgetMode and origin, docs/widget.md) also gets the widget's cookie.
func (h *Handler) startPage(w http.ResponseWriter, r *http.Request, pc pageCookie, sess *portico.Session, widgetMode, origin, approval string) error {
	wd, frameOrigins, err := h.openWidget(r, sess, widgetMode, origin)
	if err != nil {
		return err
	}
	ttl, err := h.cookieTTL(r.Context(), sess)
	if err != nil {
		return err
	}
	h.setCookie(w, h.cookieValue(pc), ttl, wd != nil && wd.Mode == widgetModal)
	h.setWidgetCookie(w, r, wd, frameOrigins, ttl)
	to := "/connect/"
	if approval != "" {
		to += "?approval=" + approval
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// approvalIDRe is the shape of an approval id (portico.PrefixApproval).
var approvalIDRe = regexp.MustCompile(`^apr_[a-z0-9]{1,64}$`)

// approvalID is id when it can be an approval's (an approval URL's
// ?approval=), else "".
func approvalID(id string) string {
	if approvalIDRe.MatchString(id) {
		return id
	}
	return ""
}

// cookieGrace is how long the page's cookies outlive the latest end of
// their session.
const cookieGrace = time.Hour

// cookieTTL is the lifetime of the page's cookies for sess: past the
// latest end an extension or a refresh could give it (the app's
// max_session_ttl_seconds from its creation, or the end of its refresh
// token), by cookieGrace, so that a browser still holding the cookie when
// the session ends sees the page that says so. Every request reads the
// session, so a cookie never outlasts a revocation or an expiry.
func (h *Handler) cookieTTL(ctx context.Context, sess *portico.Session) (time.Duration, error) {
	app, err := h.svc.FindApp(ctx, sess.AppID)
	if err != nil {
		return 0, err
	}
	end := sess.CreatedAt.Add(portico.Seconds(int64(app.Settings.MaxSessionTTLSeconds)))
	for _, t := range []*time.Time{&sess.ExpiresAt, sess.RefreshExpiresAt} {
		if t != nil && t.After(end) {
			end = *t
		}
	}
	return end.Add(cookieGrace).Sub(h.svc.Now()), nil
}

// pageSession is the live session behind a page request.
type pageSession struct {
	sess   *portico.Session
	user   *portico.User
	app    *portico.App
	cookie string
	widget *widget // nil unless the widget opened the page
	// byToken: the page was opened with a session token, not a link.
	byToken bool
}

type sessionFunc func(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error

// session resolves the page cookie to a live session (or the "ended"
// page), and checks the CSRF token of a POST.
func (h *Handler) session(fn sessionFunc) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, nonce string) error {
		c, err := r.Cookie(h.cookieName())
		if err != nil {
			return errNoCookie
		}
		pc, ok := h.parseCookie(c.Value)
		if !ok {
			return errNoCookie
		}
		appID, sessionID := pc.appID, pc.sessionID
		// The app comes first, so that whatever this request ends with,
		// an error page too, may be framed as the app allows, and the
		// widget's popup keeps its opener (docs/widget.md).
		ctx := r.Context()
		app, err := h.svc.FindApp(ctx, appID)
		if err != nil {
			return sessionGone(err)
		}
		wd := h.widgetOf(r, sessionID)
		if wd != nil && !slices.Contains(app.Settings.AllowedFrameOrigins, wd.Origin) {
			wd = nil
		}
		if wd != nil {
			w.Header().Del("Cross-Origin-Opener-Policy")
		}
		setCSP(w, nonce, app.Settings.AllowedFrameOrigins, wd != nil)
		if r.Method == http.MethodPost && !hmacEqual(r.PostForm.Get("csrf_token"), h.csrfToken(c.Value)) {
			return errBadCSRF
		}
		sess, err := h.svc.LiveSession(ctx, appID, sessionID)
		if err != nil {
			return err
		}
		portico.SetCallerSession(ctx, sess)
		user, err := h.svc.FindUser(ctx, appID, sess.UserID)
		if err != nil {
			return sessionGone(err)
		}
		if app.Settings.Verifies() && pc.verified != sess.UserID {
			// Verification was turned on after this page opened, or the
			// cookie predates it: the user opens a link again.
			return errNoCookie
		}
		return fn(w, r, nonce, &pageSession{sess: sess, user: user, app: app, cookie: c.Value, widget: wd, byToken: pc.byToken})
	}
}

func sessionGone(err error) error {
	if portico.ErrorCode(err) == portico.CodeNotFound {
		return portico.ErrSessionEnded
	}
	return err
}

func hmacEqual(a, b string) bool { return a != "" && len(a) == len(b) && subtleEqual(a, b) }

// home renders the list of integrations: the approvals waiting, the
// cards narrowed by ?category= and ?q=, and fl, a failed form's message.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession, notice string, warn bool, fl *flash) error {
	states, err := h.svc.SessionState(r.Context(), ps.sess, ps.user)
	if err != nil {
		return err
	}
	st, err := portico.SessionSettingsOf(ps.sess)
	if err != nil {
		return err
	}
	v := h.baseView(r, nonce, ps, st)
	v.Done, v.Notice, v.Warn = ps.sess.RedirectURI != "" && ps.widget == nil, notice, warn
	v.Title = "Connect your tools — " + v.Theme.Name
	if fl != nil {
		switch fl.Form {
		case "suggest":
			v.Suggestion = fl
		case "notice":
			v.Alert = fl.Error
		}
	}
	pending, err := h.svc.PendingApprovals(r.Context(), ps.sess, ps.user)
	if err != nil {
		return err
	}
	// The approval the URL names comes first, even past the list's first
	// 100 (older calls cannot hide it).
	if id := approvalID(r.URL.Query().Get("approval")); id != "" {
		pending = slices.DeleteFunc(pending, func(a portico.Approval) bool { return a.ID == id })
		if a, err := h.svc.PendingApproval(r.Context(), ps.sess, ps.user, id); err == nil {
			pending = append([]portico.Approval{*a}, pending...)
		} else if portico.ErrorCode(err) != portico.CodeNotFound {
			return err
		}
	}
	for _, a := range pending {
		name := a.Integration
		for _, s := range states {
			if s.Integration.Slug == a.Integration {
				name = s.Integration.Name
			}
		}
		q := url.Values{}
		for k, val := range a.Summary.Query {
			q.Set(k, val)
		}
		v.Approvals = append(v.Approvals, approvalRow{ID: a.ID, Integration: name, Action: a.Action, Method: a.Summary.Method,
			Path: a.Summary.Path, Query: q.Encode(), Body: a.Summary.Body, Expires: a.ExpiresAt.UTC().Format("15:04 UTC")})
	}
	rows := make([]row, len(states))
	for i, s := range states {
		rows[i] = rowOf(s)
	}
	q := r.URL.Query()
	navigation(v, rows, st, q.Get("category"), truncate(q.Get("q"), 100))
	h.render(w, http.StatusOK, "connect.html", v)
	return nil
}

// activity is a page of what was done with the user's tools, newest
// first; slug narrows it to one integration.
func (h *Handler) activity(ctx context.Context, ps *pageSession, slug, token string, size int) (*activityView, error) {
	// Only the integrations the session shows: another one's rows, like
	// its page, are not this session's to see.
	shown, err := h.svc.SessionIntegrations(ctx, ps.sess, ps.user)
	if err != nil {
		return nil, err
	}
	f := portico.ActivityFilter{UserID: &ps.user.ID, Integrations: []string{}}
	for _, in := range shown {
		f.Integrations = append(f.Integrations, in.Slug)
	}
	if slug != "" {
		if !slices.Contains(f.Integrations, slug) {
			return nil, portico.NotFound("Integration")
		}
		f.Integration = &slug
	}
	page, err := h.svc.ListActivity(ctx, ps.sess.AppID, f, portico.PageRequest{Size: size, Token: token})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	av := &activityView{Slug: slug, Integration: slug}
	for _, a := range page.Data {
		name, seen := names[a.Integration]
		if !seen && a.Integration != "" {
			name = a.Integration
			if integ, err := h.svc.FindIntegration(ctx, ps.sess.AppID, a.Integration); err == nil {
				name = integ.Name
			}
			names[a.Integration] = name
		}
		what := changeWords[a.Action]
		if what == "" {
			what = a.Action
		}
		if a.Method != "" {
			what = strings.TrimSpace(a.Method + " " + a.Path)
			if a.Action != "" {
				what = a.Action + ": " + what
			}
		}
		av.Rows = append(av.Rows, activityRow{At: a.CreatedAt.UTC().Format("2006-01-02 15:04"), Integration: name, What: what,
			Client: clientWords(a.Client), Outcome: strings.ReplaceAll(a.Outcome, "_", " "), UpstreamStatus: a.UpstreamStatus, DryRun: a.DryRun})
	}
	if page.Next != nil {
		next := url.Values{"page_token": {*page.Next}}
		if slug != "" {
			next.Set("integration", slug)
		}
		av.Next = "/connect/activity?" + next.Encode()
	}
	if slug != "" && len(names) > 0 {
		av.Integration = names[slug]
	}
	return av, nil
}

// handleActivity lists what was done with the user's tools, newest first,
// 50 rows a page; ?integration= narrows it to one tool. A session whose
// settings hide the activity has no such page.
func (h *Handler) handleActivity(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	st, err := portico.SessionSettingsOf(ps.sess)
	if err != nil {
		return err
	}
	if !st.Activity() {
		return portico.NotFound("Activity")
	}
	q := r.URL.Query()
	av, err := h.activity(r.Context(), ps, q.Get("integration"), q.Get("page_token"), 50)
	if err != nil {
		return err
	}
	v := h.baseView(r, nonce, ps, st)
	v.Activity = av
	v.Title = "Activity — " + v.Theme.Name
	h.render(w, http.StatusOK, "activity.html", v)
	return nil
}

func (h *Handler) handleHome(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	notice := ""
	switch r.URL.Query().Get("notice") {
	case "connected":
		notice = "Connected."
	case "unverified":
		notice = "Connected, but the provider could not be reached to check the credential: it was saved without being checked."
	case "disconnected":
		notice = "Disconnected."
	case "disabled":
		notice = "Disabled. Connect again to enable it."
	case "deleted":
		notice = "Deleted."
	case "done":
		notice = "All set. You can close this window."
	case "approved":
		notice = "Approved. The call runs when the assistant makes it again."
	case "declined":
		notice = "Declined. The call will not run."
	case "suggested":
		notice = "Thank you. Your suggestion was sent to " + displayName(ps) + "."
	}
	return h.home(w, r, nonce, ps, notice, r.URL.Query().Get("notice") == "unverified", h.takeFlash(w, r, ps.cookie))
}

// handleConnect stores the credentials of a form. Invalid input, or a
// credential the provider rejects, sends the browser back to the
// integration's page with the error beside the form (nothing stored).
func (h *Handler) handleConnect(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	slug := r.PathValue("slug")
	integ, err := h.svc.FindIntegration(r.Context(), ps.sess.AppID, slug)
	if err != nil {
		return err
	}
	if err := singleValues(r, integ); err != nil {
		return err
	}
	creds := portico.Credentials{}
	kept := map[string]string{}
	for _, f := range integ.Auth.Fields {
		// Empty and blank values go through: the integration's check
		// treats both as absent, as it does for the API.
		v := r.PostForm.Get(f.Name)
		creds[f.Name] = v
		if !f.Secret && v != "" {
			kept[f.Name] = v
		}
	}
	settings := formSettings(r, integ, kept)
	conn, _, err := h.svc.ConnectForSession(r.Context(), ps.sess, ps.user, slug, creds, settings)
	if err != nil {
		if c := portico.ErrorCode(err); c == portico.CodeValidation || c == portico.CodeInvalid {
			return h.failed(w, r, ps, "/connect/integrations/"+slug, flash{Form: "connect", Slug: slug, Error: portico.AsError(err).Message, Values: kept})
		}
		return err
	}
	if conn.Warning != "" {
		return h.afterConnectNotice(w, r, ps, slug, conn.ID, "unverified")
	}
	return h.afterConnect(w, r, ps, slug, conn.ID)
}

// singleValues refuses a form that sends one of the integration's
// credential or settings fields twice: which of them to take would be a
// guess (the API refuses a key sent twice too).
func singleValues(r *http.Request, integ *portico.Integration) error {
	for _, f := range integ.Auth.Fields {
		if len(r.PostForm[f.Name]) > 1 {
			return errBadForm
		}
	}
	for _, f := range integ.SettingsFields {
		if len(r.PostForm[f.Name]) > 1 {
			return errBadForm
		}
	}
	return nil
}

// formSettings reads the integration's settings fields from a form, and
// keeps them in kept to show again after an error.
func formSettings(r *http.Request, integ *portico.Integration, kept map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range integ.SettingsFields {
		if v := r.PostForm.Get(f.Name); v != "" {
			out[f.Name], kept[f.Name] = v, v
		}
	}
	return out
}

// afterConnect sends the browser on once a connection is made: back to
// the app's redirect URI with the outcome when the session asks for
// auto_redirect, else to the page with a notice. In a widget the page
// stays and reports the connection to the app (docs/widget.md).
func (h *Handler) afterConnect(w http.ResponseWriter, r *http.Request, ps *pageSession, slug, connectionID string) error {
	return h.afterConnectNotice(w, r, ps, slug, connectionID, "connected")
}

// afterConnectNotice is afterConnect with the page's notice.
func (h *Handler) afterConnectNotice(w http.ResponseWriter, r *http.Request, ps *pageSession, slug, connectionID, notice string) error {
	st, err := portico.SessionSettingsOf(ps.sess)
	if err != nil {
		return err
	}
	if st.AutoRedirect && ps.sess.RedirectURI != "" && ps.widget == nil {
		http.Redirect(w, r, withStatus(ps.sess.RedirectURI, "connected", slug), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, h.changedURL(ps, notice, "connect", connectionID, slug), http.StatusSeeOther)
	return nil
}

// handleConnectionAction runs disconnect, disable or delete on one of the
// user's connections, as the session's allow_actions permit.
func (h *Handler) handleConnectionAction(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	action, id := r.PathValue("action"), r.PathValue("id")
	slug := ""
	if ps.widget != nil {
		// The widget reports the integration; a deleted connection no
		// longer names it, so it is read first.
		if c, err := h.svc.FindConnection(r.Context(), ps.sess.AppID, id); err == nil && c.UserID == ps.user.ID {
			slug = c.Integration
		}
	}
	if err := h.svc.ActOnConnection(r.Context(), ps.sess, ps.user, id, action); err != nil {
		return err
	}
	notice := map[string]string{portico.ActionDisconnect: "disconnected", portico.ActionDisable: "disabled", portico.ActionDelete: "deleted"}[action]
	http.Redirect(w, r, h.changedURL(ps, notice, "disconnect", id, slug), http.StatusSeeOther)
	return nil
}

// handleDecide approves or declines one of the user's pending calls; one
// decided already or expired is shown as such. On a page opened with a
// session token, when the app verifies its users, the app confirms the
// user first.
func (h *Handler) handleDecide(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	decision := r.PathValue("decision")
	if decision != "approve" && decision != "decline" {
		return portico.NotFound("Decision")
	}
	if ps.byToken && ps.app.Settings.Verifies() {
		// A session token is what an agent holds too: the decision is the
		// user's own only once the app confirmed them in this browser
		// (docs/activity-and-approvals.md), after which the page opens
		// again and the user decides.
		to, err := h.svc.StartVerification(r.Context(), ps.app, ps.sess, approvalID(r.PathValue("id")))
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	_, err := h.svc.DecideApproval(r.Context(), ps.sess, ps.user, r.PathValue("id"), decision == "approve")
	if c := portico.ErrorCode(err); c == portico.CodeConflict || c == portico.CodeNotFound {
		return h.failed(w, r, ps, "/connect/", flash{Form: "notice", Error: portico.AsError(err).Message})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/connect/?notice="+decision+"d", http.StatusSeeOther)
	return nil
}

// handleDone returns the user to the app's redirect URI while the app's
// allow-list still has it (it was checked when the session was created;
// the app may have dropped it since), as "Back to" is.
func (h *Handler) handleDone(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	if ps.sess.RedirectURI == "" || !ps.app.Settings.RedirectAllowed(ps.sess.RedirectURI) {
		http.Redirect(w, r, "/connect/?notice=done", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, ps.sess.RedirectURI, http.StatusSeeOther)
	return nil
}

// handleOAuthStart begins an authorization and sends the browser to the
// provider.
func (h *Handler) handleOAuthStart(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	slug := r.PathValue("slug")
	integ, err := h.svc.FindIntegration(r.Context(), ps.sess.AppID, slug)
	if err != nil {
		return err
	}
	if err := singleValues(r, integ); err != nil {
		return err
	}
	kept := map[string]string{}
	to, err := h.svc.StartOAuth(r.Context(), ps.sess, ps.user, slug, h.callbackURL(), formSettings(r, integ, kept))
	if err != nil {
		if portico.ErrorCode(err) == portico.CodeValidation && strings.HasPrefix(portico.AsError(err).Field, "settings") {
			return h.failed(w, r, ps, "/connect/integrations/"+slug, flash{Form: "connect", Slug: slug, Error: portico.AsError(err).Message, Values: kept})
		}
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (h *Handler) callbackURL() string { return h.publicURL + "/connect/oauth/callback" }

// providerError is an error the provider sent back to the callback; shown
// escaped, as text.
// providerError is the provider's refusal on the callback, for the
// integration slug.
type providerError struct{ code, description, slug string }

func (e providerError) Error() string {
	if e.description != "" {
		return e.code + ": " + e.description
	}
	return e.code
}

// handleOAuthCallback completes an authorization: the state must be this
// page session's, unused and unexpired; the code is exchanged with the
// PKCE verifier and the tokens stored as the user's connection.
func (h *Handler) handleOAuthCallback(w http.ResponseWriter, r *http.Request, nonce string, ps *pageSession) error {
	q := r.URL.Query()
	// RFC 6749 §3.1: no parameter comes twice; which one to take would be a
	// guess. Refused before the state is spent.
	for _, k := range []string{"state", "code", "error"} {
		if len(q[k]) > 1 {
			return portico.Invalidf("query", "The provider's answer holds %s more than once. Go back to the page and connect again.", k)
		}
	}
	grant, err := h.svc.FinishOAuth(r.Context(), ps.sess, ps.user, q.Get("state"))
	if err != nil {
		return err
	}
	if e := q.Get("error"); e != "" {
		return providerError{code: truncate(e, 100), description: truncate(q.Get("error_description"), 300), slug: grant.Integration.Slug}
	}
	// A successful authorization response carries a code (RFC 6749
	// §4.1.2): without one there is nothing to exchange.
	if q.Get("code") == "" {
		return errNoCode
	}
	conn, err := h.svc.CompleteOAuth(r.Context(), ps.sess, ps.user, grant, q.Get("code"), h.callbackURL())
	if err != nil {
		return err
	}
	return h.afterConnect(w, r, ps, grant.Integration.Slug, conn.ID)
}

// truncate cuts s, made valid UTF-8, to at most n bytes at a character
// boundary, marking the cut.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// withStatus adds the outcome to a redirect URI's query.
func withStatus(uri, status, slug string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	q.Set("portico_status", status)
	q.Set("integration", slug)
	u.RawQuery = q.Encode()
	return u.String()
}
