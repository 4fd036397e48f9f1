package web

import (
	"net/http"

	"github.com/porticohq/portico/internal/portico"
)

// User verification (docs/identity.md): an app with user_verification_url
// has every link that opens here — configuration, approval and MCP links
// alike, all /connect/{code} — confirmed by the app before the page shows
// anything. The browser goes to the app with ?flow=; the app confirms its
// logged-in user through the API and sends the browser to
// /connect/verified/{code}, which opens the page. A browser whose cookie
// already holds the link's user, verified — by a link, or by a sign-in to
// the app's authorization server — goes straight in.

// verifyThenStart opens the page for sess, the session of a link just
// opened: at once when the app verifies no one or this browser's cookie
// holds the session's user verified, else through the app's verifier.
func (h *Handler) verifyThenStart(w http.ResponseWriter, r *http.Request, sess *portico.Session) error {
	app, err := h.svc.FindApp(r.Context(), sess.AppID)
	if err != nil {
		return sessionGone(err)
	}
	q := r.URL.Query()
	approval := approvalID(q.Get("approval"))
	if !app.Settings.Verifies() {
		return h.startPage(w, r, linkCookie(sess, ""), sess, q.Get("widget"), q.Get("origin"), approval)
	}
	if c, err := r.Cookie(h.cookieName()); err == nil {
		if pc, ok := h.parseCookie(c.Value); ok && pc.appID == sess.AppID && pc.verified == sess.UserID {
			return h.startPage(w, r, linkCookie(sess, sess.UserID), sess, q.Get("widget"), q.Get("origin"), approval)
		}
	}
	// Signed in to the app's authorization server as this user (an MCP
	// client's sign-in, authorize.go): the app verified them here already.
	if user, _ := h.signedIn(r, sess.AppID); user == sess.UserID {
		return h.startPage(w, r, linkCookie(sess, sess.UserID), sess, q.Get("widget"), q.Get("origin"), approval)
	}
	// The flow keeps the approval the link named, for the page it opens.
	to, err := h.svc.StartVerification(r.Context(), app, sess, approval)
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// linkCookie is the page cookie of sess opened by a link, with the user the
// app verified in this browser ("" for none).
func linkCookie(sess *portico.Session, verified string) pageCookie {
	return pageCookie{appID: sess.AppID, sessionID: sess.ID, verified: verified}
}

// handleVerified is where the app sends the browser it confirmed: the
// code is the flow's, single use; the page opens with the user recorded
// as verified in the cookie, or, for a sign-in, the consent page.
func (h *Handler) handleVerified(w http.ResponseWriter, r *http.Request, nonce string) error {
	if headOnly(w, r) {
		return nil
	}
	v, sess, err := h.svc.FinishVerification(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	if v.Kind == portico.FlowAuthorize {
		// A sign-in of the authorization server (authorize.go).
		h.setSignIn(w, v.AppID, v.UserID)
		http.Redirect(w, r, "/a/"+v.AppID+"/consent/"+v.ID, http.StatusSeeOther)
		return nil
	}
	// The widget's mode does not survive the app's verifier: the page
	// opens as a plain page (docs/widget.md).
	return h.startPage(w, r, linkCookie(sess, sess.UserID), sess, "", "", approvalID(v.LinkApproval()))
}
