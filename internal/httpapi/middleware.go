package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// requestInfo travels in the request context; inner handlers fill in what
// they learn (the app) so that the outer log line can say it.
type requestInfo struct {
	requestID string
	appID     string
	app       *portico.App
	apiKeyID  string
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if v, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return v
	}
	return &requestInfo{}
}

// statusWriter records the status and size of a response. It also turns
// the mux's own plain-text 404 and 405 answers into the JSON envelope.
type statusWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	status  int
	bytes   int
	handled bool // a Portico handler runs: write nothing over it
	hijack  bool // the mux's own error body is being swallowed
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if !w.handled && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		w.hijack = true
		w.handled = true
		if code == http.StatusNotFound {
			w.s.writeError(w, w.r, portico.Errorf(portico.CodeNotFound, "No such route: %s %s.", w.r.Method, w.r.URL.EscapedPath()))
		} else {
			w.s.writeError(w, w.r, portico.Errorf(portico.CodeMethodNotAllowed, "%s is not allowed here; allowed: %s.", w.r.Method, w.Header().Get("Allow")))
		}
		return
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.hijack && w.status != 0 && w.bytes > 0 {
		return len(b), nil // the mux's text body, replaced by ours
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// observe is the outermost middleware: request id, recovery, one log line
// and metrics per request. It logs the route pattern, never the path or the
// query, which may hold a configuration code.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Done()
		start := time.Now()
		info := &requestInfo{requestID: portico.NewID("req_")}
		ctx := context.WithValue(r.Context(), ctxKey{}, info)
		caller := &portico.Caller{Client: clientOf(r.URL.Path), RequestID: info.requestID, Arrived: s.svc.Now()}
		r = r.WithContext(portico.WithCaller(ctx, caller))
		rw.Header().Set("X-Request-Id", info.requestID)
		w := &statusWriter{ResponseWriter: rw, s: s, r: r}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.String("request_id", info.requestID), slog.Any("panic", v))
				if w.status == 0 {
					w.handled = true
					s.writeError(w, r, portico.Errorf(portico.CodeInternal, "Internal error."))
				}
			}
			d := time.Since(start)
			status := w.status
			if status == 0 {
				status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.observe(route, r.Method, status, d)
			// The handler is called directly, as LogAttrs would but without
			// looking up the caller, which no handler of ours writes.
			if h := s.log.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
				appID := info.appID
				if appID == "" {
					// A session's app, authenticated by the API or a page.
					appID = caller.AppID
				}
				rec := slog.NewRecord(start.Add(d), slog.LevelInfo, "request", 0)
				rec.AddAttrs(
					slog.String("request_id", info.requestID),
					slog.String("method", r.Method),
					slog.String("route", route),
					slog.Int("status", status),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.Int("bytes", w.bytes),
					slog.String("app_id", appID),
				)
				_ = h.Handle(r.Context(), rec)
			}
		}()
		if err := compat.CheckURL(r.URL); err != nil && !s.checksOwnURL(r) {
			w.handled = true
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientOf names the surface of a path, as the activity log shows it.
func clientOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/api/hub/"):
		return portico.ClientSuperface
	case strings.HasPrefix(path, "/vault/"):
		return "apideck"
	case strings.HasPrefix(path, "/session-storage/"):
		return "session-storage"
	case strings.HasPrefix(path, "/connect/"):
		return portico.ClientPage
	}
	return portico.ClientAPI
}

// handler is a Portico endpoint: it returns its error instead of writing it.
type handler func(w http.ResponseWriter, r *http.Request) error

// wrap adapts a handler: it marks the response as Portico's and writes the
// error envelope for a returned error.
func (s *Server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw, ok := w.(*statusWriter); ok {
			sw.handled = true
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// appAuth authenticates the app by its API key (Authorization: Bearer or
// X-API-Key; never the query string) and applies the rate limits: a client
// whose failed attempts exhausted its per-IP budget is refused before its
// key is looked at; a valid key spends from its own bucket.
func (s *Server) appAuth(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := compat.OneCredential(r, portico.CodeInvalidAPIKey, "X-API-Key", "Authorization"); err != nil {
			return err
		}
		app, _, err := s.authenticateKey(r, apiKeyFrom(r), true)
		if err != nil {
			return err
		}
		infoFrom(r.Context()).app = app
		if err := checkQuery(r); err != nil {
			return err
		}
		return h(w, r)
	}
}

// AuthenticateKey checks a raw API key taken from wherever a surface's
// wire format carries it, with the rate limits of the native API, and
// the permission its route needs (RoutePermissions).
func (s *Server) AuthenticateKey(r *http.Request, raw string) (*portico.App, error) {
	app, _, err := s.authenticateKey(r, raw, false)
	return app, err
}

// AuthenticateAgentKey is AuthenticateKey for the MCP server, which also
// needs the key: its route needs mcp:act_as_user (RoutePermissions).
func (s *Server) AuthenticateAgentKey(r *http.Request, raw string) (*portico.App, *portico.APIKey, error) {
	return s.authenticateKey(r, raw, false)
}

// authenticate is the one sequence of every credential check: a client
// whose failures exhausted its per-IP budget is refused first; a missing
// credential (missing) and a refused one (an error of code failure from
// check) spend from that budget; an accepted one spends from the bucket
// check names. A recheck (portico.Recheck) spends from neither.
func (s *Server) authenticate(r *http.Request, raw string, missing func() error, failure portico.Code, check func(raw string) (bucket string, err error)) error {
	if portico.IsRecheck(r.Context()) {
		// The credential was accepted for this request when it arrived.
		_, err := check(raw)
		return err
	}
	ip := s.clientIP(r)
	if ok, wait := s.ipLimit.peek(ip); !ok {
		return rateLimited(wait)
	}
	if raw == "" {
		s.ipLimit.allow(ip)
		return missing()
	}
	bucket, err := check(raw)
	if err != nil {
		if portico.ErrorCode(err) == failure {
			s.ipLimit.allow(ip)
		}
		return err
	}
	if ok, wait := s.keyLimit.allow(bucket); !ok {
		return rateLimited(wait)
	}
	return nil
}

// authenticateKey checks raw; native tells that it was read from the
// native API's headers, whose misuse the message of a missing key names.
// A valid key that does not grant the permission the request's route
// needs (RoutePermissions) is refused with CodeForbidden, naming it.
func (s *Server) authenticateKey(r *http.Request, raw string, native bool) (*portico.App, *portico.APIKey, error) {
	need, err := permissionFor(r)
	if err != nil {
		return nil, nil, err
	}
	missing := func() error {
		msg := "An API key is required: send it as Authorization: Bearer <key> or X-API-Key."
		if q := r.URL.Query(); slices.ContainsFunc(compat.CredentialParams, q.Has) {
			msg = "API keys are not accepted in the query string: send it as Authorization: Bearer <key> or X-API-Key."
		} else if native && strings.TrimSpace(r.Header.Get("Authorization")) != "" {
			msg = "Use `Authorization: Bearer <key>`."
		}
		return portico.Errorf(portico.CodeUnauthenticated, "%s", msg)
	}
	var app *portico.App
	var key *portico.APIKey
	err = s.authenticate(r, raw, missing, portico.CodeInvalidAPIKey, func(raw string) (string, error) {
		if hint := portico.SecretKind(raw); hint != "" && hint != "an API key" {
			// Told from the presented string alone, before any lookup: the
			// answer says nothing about what the store holds, and every other
			// bad key still gets the one message (docs/openapi.json).
			return "", portico.Errorf(portico.CodeInvalidAPIKey, "This is %s; the API key starts with %s.", hint, portico.PrefixAPIKeySecret)
		}
		var err error
		if app, key, err = s.svc.AuthenticateAPIKey(r.Context(), raw); err != nil {
			return "", err
		}
		return key.ID, nil
	})
	if err != nil {
		return nil, nil, err
	}
	info := infoFrom(r.Context())
	info.appID, info.apiKeyID = app.ID, key.ID
	portico.SetCallerKey(r.Context(), key.ID)
	if !key.Grants(need, isRead(r)) {
		return nil, nil, forbidden(r, key, need)
	}
	return app, key, nil
}

// apiKeyFrom reads the key from Authorization: Bearer or X-API-Key.
func apiKeyFrom(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		return k
	}
	return compat.Bearer(r)
}

// SpendIPBudget charges one unit of the per-IP budget of failed
// authentications to r's client, for a request that takes no credential
// yet writes (an OAuth client's registration, docs/identity.md), and
// reports whether the budget allowed it, and else how long until it does.
func (s *Server) SpendIPBudget(r *http.Request) (bool, time.Duration) {
	return s.ipLimit.allow(s.clientIP(r))
}

// rateLimited is the error of a spent budget; the renderer writes its
// RetryAfter as the Retry-After header.
func rateLimited(wait time.Duration) error {
	secs := portico.RetrySeconds(wait)
	return &portico.Error{Code: portico.CodeRateLimited, Message: "Too many requests; retry after " + portico.HumanDuration(time.Duration(secs)*time.Second) + ".",
		RetryAfter: time.Duration(secs) * time.Second}
}

// appOf returns the authenticated app of the request.
func appOf(r *http.Request) *portico.App { return infoFrom(r.Context()).app }
