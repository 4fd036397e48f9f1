// Command verifier plays an app's side of Portico's user verification
// (docs/identity.md). /login?user=<external id> stands in for the app's
// own login (a cookie); /verify is the user_verification_url: it confirms
// the logged-in user for the flow Portico sent and sends the browser back.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
)

func main() {
	portico, key := os.Getenv("PORTICO_URL"), os.Getenv("PORTICO_API_KEY")
	http.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "app_user", Value: r.URL.Query().Get("user"), Path: "/", HttpOnly: true})
		fmt.Fprintln(w, "Logged in as", r.URL.Query().Get("user"))
	})
	http.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) {
		user, err := r.Cookie("app_user")
		if err != nil {
			http.Error(w, "Log in first.", http.StatusUnauthorized)
			return
		}
		body, _ := json.Marshal(map[string]any{"user": map[string]string{"external_id": user.Value}})
		req, _ := http.NewRequestWithContext(r.Context(), "POST", portico+"/v1/verifications/"+url.PathEscape(r.URL.Query().Get("flow"))+"/confirm", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, "Portico cannot be reached.", http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		var out struct {
			ReturnTo string `json:"return_to"`
		}
		if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&out) != nil {
			http.Error(w, "This link was not meant for you: ask for a new one.", http.StatusForbidden)
			return
		}
		http.Redirect(w, r, out.ReturnTo, http.StatusSeeOther)
	})
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8090"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening on http://" + ln.Addr().String())
	http.Serve(ln, nil)
}
