package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// The page session lives in a signed cookie naming the app, the session
// and, once the app confirmed it (docs/identity.md), the verified user;
// every request still looks the session up, so a revoked or expired
// session ends the page at once, on every node. The cookie carries no
// secret of the session itself (its token is never known to the page).

// pageCookie is what the cookie names. Verified is the id of the user the
// app confirmed in this browser, "" when none was; byToken tells a page
// opened with a session token (POST /connect/open), whose holder the app
// vouches for without the browser's user having been confirmed.
type pageCookie struct {
	appID, sessionID, verified string
	byToken                    bool
}

// cookieValue signs "appID.sessionID.verified", with ".t" after it for a
// page opened with a token.
func (h *Handler) cookieValue(c pageCookie) string {
	payload := c.appID + "." + c.sessionID + "." + c.verified
	if c.byToken {
		payload += ".t"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + h.mac("cookie", payload)
}

// parseCookie returns what a cookie value names, if its signature holds.
func (h *Handler) parseCookie(v string) (pageCookie, bool) {
	enc, sig, found := strings.Cut(v, ".")
	if !found || len(v) > 512 {
		return pageCookie{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(h.mac("cookie", string(raw)))) {
		return pageCookie{}, false
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) == 4 && parts[3] == "t" {
		return pageCookie{appID: parts[0], sessionID: parts[1], verified: parts[2], byToken: true}, true
	}
	if len(parts) != 3 {
		return pageCookie{}, false
	}
	return pageCookie{appID: parts[0], sessionID: parts[1], verified: parts[2]}, true
}

// csrfToken is bound to the cookie: a form from another page session, or
// from nowhere, does not carry it.
func (h *Handler) csrfToken(cookie string) string { return h.mac("csrf", cookie) }

func (h *Handler) mac(purpose, payload string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// cookieName: the __Host- prefix (which requires Secure) when the public URL
// is https.
func (h *Handler) cookieName() string {
	if h.secure {
		return "__Host-portico_session"
	}
	return "portico_session"
}

// setCookie sets the page cookie for ttl (the session's time left);
// framed says the page opens in another site's frame (docs/widget.md).
func (h *Handler) setCookie(w http.ResponseWriter, value string, ttl time.Duration, framed bool) {
	http.SetCookie(w, h.pageCookie(h.cookieName(), value, ttl, framed))
}

// pageCookie is a cookie of the page. A browser keeps a SameSite=Lax
// cookie out of another site's frame, so a page framed by the widget gets
// SameSite=None, partitioned by the embedding site (CHIPS): the framing
// site can neither read it nor reuse it outside its frame. Both need
// Secure, so over plain http a framed page works only for a same-site
// embedder.
func (h *Handler) pageCookie(name, value string, ttl time.Duration, framed bool) *http.Cookie {
	c := &http.Cookie{
		Name: name, Value: value, Path: "/",
		MaxAge: max(1, int(ttl/time.Second)), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	}
	if framed && h.secure {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	return c
}

func (h *Handler) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func subtleEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
