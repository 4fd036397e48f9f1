package web

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
)

// A failed form is answered with a redirect (post/redirect/get, so that a
// reload never posts again): what to show — the error and the non-secret
// values typed — rides in a short-lived cookie signed and bound to the page
// session, read once by the page the browser is sent to.

// flash is a form's failure, for the next page.
type flash struct {
	// Form names the form: "connect" and "settings" (of the integration
	// Slug), "suggest", or "notice" for a message on the list.
	Form   string            `json:"f"`
	Slug   string            `json:"s,omitempty"`
	Error  string            `json:"e"`
	Values map[string]string `json:"v,omitempty"`
}

const flashTTL = 300 // seconds

// flashMax bounds the flash cookie's value: browsers keep a cookie of at
// most 4 096 bytes, its name and attributes included.
const flashMax = 3800

func (h *Handler) flashName() string { return strings.Replace(h.cookieName(), "session", "flash", 1) }

// setFlash stores f for the page session whose cookie value is cookie.
// When it would not fit in a cookie, the longest values typed are left
// out (their fields show empty), then the error is shortened: the error
// is always shown.
func (h *Handler) setFlash(w http.ResponseWriter, cookie string, f flash) {
	f.Values = maps.Clone(f.Values)
	v := h.flashValue(cookie, f)
	for len(v) > flashMax && len(f.Values) > 0 {
		longest := ""
		for k, val := range f.Values {
			if longest == "" || len(val) > len(f.Values[longest]) || len(val) == len(f.Values[longest]) && k < longest {
				longest = k
			}
		}
		delete(f.Values, longest)
		v = h.flashValue(cookie, f)
	}
	if len(v) > flashMax {
		f.Error = truncate(f.Error, 500)
		v = h.flashValue(cookie, f)
	}
	http.SetCookie(w, &http.Cookie{Name: h.flashName(), Value: v, Path: "/", MaxAge: flashTTL, HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// flashValue is the cookie value that carries f, signed for the page
// session whose cookie value is cookie.
func (h *Handler) flashValue(cookie string, f flash) string {
	raw, _ := json.Marshal(f)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + h.mac("flash\x00"+cookie, string(raw))
}

// takeFlash returns the failure stored for this page session, once; nil
// when there is none or it is not this session's.
func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request, cookie string) *flash {
	c, err := r.Cookie(h.flashName())
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: h.flashName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode})
	enc, sig, ok := strings.Cut(c.Value, ".")
	if !ok || len(c.Value) > 4096 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(h.mac("flash\x00"+cookie, string(raw)))) {
		return nil
	}
	var f flash
	if json.Unmarshal(raw, &f) != nil {
		return nil
	}
	return &f
}

// failed sends the browser back to the page of the form with its error,
// focused by the fragment.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, ps *pageSession, to string, f flash) error {
	h.setFlash(w, ps.cookie, f)
	http.Redirect(w, r, to+"#error", http.StatusSeeOther)
	return nil
}
