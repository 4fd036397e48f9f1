package compat

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// A compatible surface is its routes, an envelope function and the
// translations its handlers make; Surface is the rest, the same for all:
// ServeMux method patterns for the routes, a catch-all for each route's
// path that answers its other methods (405 with Allow) and one for each
// prefix that answers unknown paths (404), every error rendered by the
// envelope.
type Surface struct {
	mount    Mount
	log      *slog.Logger
	envelope Envelope
	paths    []string
	methods  map[string][]string
}

// Envelope maps an error to a surface's status and body. A domain code the
// surface has no translation for is a 500 whose message says nothing of
// the cause (Failure logs it with the request id).
type Envelope func(r *http.Request, err error) (status int, body any)

// Handler is a surface endpoint: it returns its error for the envelope.
type Handler func(w http.ResponseWriter, r *http.Request) error

// NewSurface starts a surface mounted with mount and rendering errors with
// envelope.
func NewSurface(mount Mount, log *slog.Logger, envelope Envelope) *Surface {
	return &Surface{mount: mount, log: log, envelope: envelope, methods: map[string][]string{}}
}

// Handle mounts h for method and path (a ServeMux path pattern).
func (s *Surface) Handle(method, path string, h Handler) {
	if s.methods[path] == nil {
		s.paths = append(s.paths, path)
	}
	s.methods[path] = append(s.methods[path], method)
	s.mountChecked(method+" "+path, s.Serve(h))
}

// mountChecked mounts h behind CheckURL, whose refusal the envelope
// renders: the server leaves the URLs of a surface's routes to it (Mount).
func (s *Surface) mountChecked(pattern string, h http.Handler) {
	s.mount(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := CheckURL(r.URL); err != nil {
			s.Fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// Serve adapts h: its error is rendered with the envelope.
func (s *Surface) Serve(h Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.Fail(w, r, err)
		}
	})
}

// Fail renders err with the surface's envelope, after Failure.
func (s *Surface) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := s.envelope(r, err)
	Failure(s.log, w, r, status, err)
	WriteJSON(w, status, body)
}

// Fallback mounts the catch-alls, after every Handle: for each route's
// path, the error methodNotAllowed gives for the methods the path takes
// (Allow names them, HEAD with GET); for each prefix, the error notFound
// gives. A pattern without a method loses to one with it, so the first
// catch exactly the other methods of each path.
func (s *Surface) Fallback(methodNotAllowed func(r *http.Request, path string, allow []string) error, notFound func(r *http.Request) error, prefixes ...string) {
	for _, p := range s.paths {
		allow := Allow(s.methods[p])
		s.mountChecked(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.Fail(w, r, methodNotAllowed(r, p, allow))
		}))
	}
	for _, p := range prefixes {
		s.mountChecked(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.Fail(w, r, notFound(r)) }))
	}
}

// Allow lists the methods a path takes: its routes' methods, and HEAD
// when GET is one of them (a GET pattern serves HEAD too).
func Allow(methods []string) []string {
	out := slices.Clone(methods)
	if slices.Contains(out, http.MethodGet) && !slices.Contains(out, http.MethodHead) {
		out = append(out, http.MethodHead)
	}
	return out
}

// Translate looks the code of err up in a surface's table of
// translations: it returns the entry and the error's client-safe message,
// or internal and "Internal error." for a code the table lacks (Failure
// logs the cause of such a 500).
func Translate[T any](table map[portico.Code]T, internal T, err error) (T, string) {
	e := portico.AsError(err)
	if t, ok := table[e.Code]; ok {
		return t, e.Message
	}
	return internal, "Internal error."
}
