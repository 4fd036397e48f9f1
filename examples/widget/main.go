// Command widget is a tiny app page that opens Portico's hosted page with
// the widget (docs/widget.md): its backend creates a session with the app's
// API key, and the page opens it in a popup or a modal and lists the events.
package main

import (
	"embed"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
)

//go:embed index.html demo.js
var files embed.FS

func main() {
	portico := flag.String("portico", "http://127.0.0.1:8080", "Portico's URL")
	addr := flag.String("addr", "127.0.0.1:3000", "where this page listens")
	flag.Parse()
	key := os.Getenv("PORTICO_KEY")
	index, _ := files.ReadFile("index.html")
	page := strings.ReplaceAll(string(index), "PORTICO_URL", *portico)
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+*portico+"; frame-src "+*portico)
		io.WriteString(w, page)
	})
	http.Handle("GET /demo.js", http.FileServerFS(files))
	// The backend's part: create a session for the signed-in user and give
	// the page its token (the API key never reaches the browser).
	http.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "POST", *portico+"/v1/sessions", strings.NewReader(`{"user":{"external_id":"demo-user"}}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
	log.Printf("demo page on http://%s (Portico at %s)", *addr, *portico)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
