package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// The widget (docs/widget.md): /connect/portico.js opens the page in a
// popup or in a modal iframe, passing the embedding page's origin and the
// mode as the widget and origin parameters of the configuration URL (or of
// the form posted to /connect/open). The page believes the origin only
// when the app lists it in allowed_frame_origins, and then posts its events
// with exactly that origin as the postMessage target: a page that names
// another site's origin gets nothing, because the browser delivers a
// message only to a window of the origin named.
//
// Which window is the widget's survives the page's own navigation in a
// second cookie, signed and bound to the page session; every request
// checks it against the app's list again, so removing an origin stops the
// events at once.

// Widget modes.
const (
	widgetPopup = "popup"
	widgetModal = "modal"
)

// widget is a page session opened by the widget.
type widget struct {
	Mode, Origin, SessionID string
	// Key names this opening, so that two openings in one tab keep their
	// results apart.
	Key string
}

// widgetView is what the page's widget partial renders.
type widgetView struct {
	Mode, Origin, Key string
	Event             string // the change to post, as JSON; "" for none
}

// widgetEvent is one change the page reports: the connection's part of
// sessionResults, and whether it was connected or disconnected.
type widgetEvent struct {
	Type       string           `json:"type"`
	Connection widgetConnection `json:"connection"`
}

type widgetConnection struct {
	Integration  string `json:"integration"`
	Name         string `json:"name"`
	ConnectionID string `json:"connection_id"`
}

// widgetScript is the embedding page's part, served as a plain script.
func (h *Handler) widgetScript(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/portico.js")
	if err != nil {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/javascript; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "public, max-age=300")
	// A public file: the CORS header lets apps pin it with integrity=.
	hd.Set("Access-Control-Allow-Origin", "*")
	w.Write(b)
}

// openWidget reads the widget's parameters of a page open, and returns
// the widget with the app's frame origins. The widget is nil when there
// are no parameters, and when they do not hold (an unknown mode, an origin
// the app does not list): the page then opens as a plain page, which posts
// nothing and cannot be framed by that origin.
func (h *Handler) openWidget(r *http.Request, sess *portico.Session, mode, origin string) (*widget, []string, error) {
	if mode == "" && origin == "" {
		return nil, nil, nil
	}
	app, err := h.svc.FindApp(r.Context(), sess.AppID)
	if err != nil {
		return nil, nil, err
	}
	if (mode != widgetPopup && mode != widgetModal) || !slices.Contains(app.Settings.AllowedFrameOrigins, origin) {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "widget_origin_refused", slog.String("app_id", app.ID),
			slog.String("mode", truncate(mode, 20)), slog.String("origin", truncate(origin, 200)))
		return nil, nil, nil
	}
	key := make([]byte, 9)
	rand.Read(key)
	wd := &widget{Mode: mode, Origin: origin, SessionID: sess.ID, Key: base64.RawURLEncoding.EncodeToString(key)}
	return wd, app.Settings.AllowedFrameOrigins, nil
}

func (h *Handler) widgetCookieName() string {
	if h.secure {
		return "__Host-portico_widget"
	}
	return "portico_widget"
}

// setWidgetCookie remembers wd for the rest of the page session, and lets
// the opening response itself be framed and keep its opener. Without a
// widget it drops the cookie a widget may have left for the same session.
func (h *Handler) setWidgetCookie(w http.ResponseWriter, r *http.Request, wd *widget, frameOrigins []string, ttl time.Duration) {
	if wd == nil {
		if _, err := r.Cookie(h.widgetCookieName()); err == nil {
			http.SetCookie(w, &http.Cookie{Name: h.widgetCookieName(), Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure})
		}
		return
	}
	payload := strings.Join([]string{wd.Mode, wd.Origin, wd.SessionID, wd.Key}, "\n")
	c := h.pageCookie(h.widgetCookieName(), base64.RawURLEncoding.EncodeToString([]byte(payload))+"."+h.mac("widget", payload), ttl, wd.Mode == widgetModal)
	http.SetCookie(w, c)
	w.Header().Del("Cross-Origin-Opener-Policy")
	setCSP(w, newNonce(), frameOrigins, false)
}

// widgetOf returns the widget of the page session sessionID, if the
// request carries one.
func (h *Handler) widgetOf(r *http.Request, sessionID string) *widget {
	c, err := r.Cookie(h.widgetCookieName())
	if err != nil || len(c.Value) > 1024 {
		return nil
	}
	enc, sig, _ := strings.Cut(c.Value, ".")
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmacEqual(sig, h.mac("widget", string(raw))) {
		return nil
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 4 || parts[2] != sessionID {
		return nil
	}
	return &widget{Mode: parts[0], Origin: parts[1], SessionID: parts[2], Key: parts[3]}
}

// changedURL is where the page goes after a connection changed: the page
// with its notice and, in a widget, the change to report, signed for this
// page session so that a crafted link cannot make the page report a change
// that did not happen.
func (h *Handler) changedURL(ps *pageSession, notice, typ, connectionID, slug string) string {
	u := "/connect/?notice=" + url.QueryEscape(notice)
	if ps.widget == nil {
		return u
	}
	payload := strings.Join([]string{typ, connectionID, slug}, "\n")
	return u + "&event=" + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + h.mac("widget-event", ps.sess.ID+"\n"+payload)
}

// widgetView renders the widget partial of a page in a widget, with the
// change the request reports, if any.
func (h *Handler) widgetView(r *http.Request, ps *pageSession) *widgetView {
	if ps.widget == nil {
		return nil
	}
	v := &widgetView{Mode: ps.widget.Mode, Origin: ps.widget.Origin, Key: ps.widget.Key}
	ev := h.parseEvent(ps, r.URL.Query().Get("event"))
	if ev == nil {
		return v
	}
	ev.Connection.Name = ev.Connection.Integration
	if integ, err := h.svc.FindIntegration(r.Context(), ps.sess.AppID, ev.Connection.Integration); err == nil {
		ev.Connection.Name = integ.Name
	}
	b, _ := json.Marshal(ev)
	v.Event = string(b)
	return v
}

// parseEvent checks a change token of changedURL.
func (h *Handler) parseEvent(ps *pageSession, token string) *widgetEvent {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmacEqual(sig, h.mac("widget-event", ps.sess.ID+"\n"+string(raw))) {
		return nil
	}
	parts := strings.Split(string(raw), "\n")
	if len(parts) != 3 || (parts[0] != "connect" && parts[0] != "disconnect") {
		return nil
	}
	return &widgetEvent{Type: parts[0], Connection: widgetConnection{Integration: parts[2], ConnectionID: parts[1]}}
}
