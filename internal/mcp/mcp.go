// Package mcp serves the users' tools over the Model Context Protocol at
// POST /mcp (docs/mcp.md): the official Go SDK, stateless for the
// 2026-07-28 revision and with sessions for clients of the 2025 ones; who
// calls is settled before the SDK sees the request, with the credential
// checks of the native API.
package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// Path is the MCP endpoint.
const Path = "/mcp"

// Headers naming the user a key acts for.
const (
	HeaderUserID    = "Portico-User-Id"
	HeaderUserEmail = "Portico-User-Email"
)

// modern is the first protocol revision without sessions.
const modern = "2026-07-28"

// maxBody bounds a request body: the native API's bound (jsonbody.Read
// holds POST bodies to it before the SDK reads them).
const maxBody = jsonbody.MaxBytes

// Options configure a Handler.
type Options struct {
	Service *portico.Service
	Logger  *slog.Logger
	// Version is the server version announced to clients.
	Version string
	// AuthenticateToken and AuthenticateAgentKey check a session token
	// and an API key that must hold mcp:act_as_user, with the native API's
	// rate limits and failure budget.
	AuthenticateToken    func(r *http.Request, raw string) (*portico.Session, *portico.User, error)
	AuthenticateAgentKey func(r *http.Request, raw string) (*portico.App, *portico.APIKey, error)
	// AuthenticateAccessToken checks an access token of an app's
	// authorization server for that app's resource, /a/{app}/mcp
	// (docs/identity.md).
	AuthenticateAccessToken func(r *http.Request, raw, appID string) (*portico.Session, *portico.User, error)
	// WriteError renders an error outside JSON-RPC: a refused credential,
	// host or origin.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// SessionTimeout ends a 2025-era session idle this long (0: 30 min).
	SessionTimeout time.Duration
	// RetryWait bounds how long a retried call waits for the user to
	// connect before it answers again (0: 20 s).
	RetryWait time.Duration
}

// Handler serves Path.
type Handler struct {
	svc       *portico.Service
	log       *slog.Logger
	sdkLog    *slog.Logger // the SDK's: its info lines are debug lines
	opts      Options
	stateless *sdk.StreamableHTTPHandler
	stateful  http.Handler
	// done ends the waits for users to finish connecting (Close).
	done  chan struct{}
	close sync.Once
	wg    sync.WaitGroup
	// sessions are the open 2025-era sessions, closed by Close, and
	// bounded per caller and per app (track).
	mu       sync.Mutex
	sessions map[*sdk.ServerSession]*openSession
	opened   uint64 // sessions ever tracked: their order
	// callServers are the servers of stateless tools/calls (callServer).
	callServers map[string]*sdk.Server
}

// New builds the handler.
func New(o Options) *Handler {
	if o.SessionTimeout == 0 {
		o.SessionTimeout = 30 * time.Minute
	}
	if o.RetryWait == 0 {
		o.RetryWait = 20 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// The SDK logs each request's server session (connecting, connected,
	// initialized, disconnected) at info; here they are debug lines, so
	// that an MCP request makes one info line, request, like any other
	// (docs/operations.md). Its warnings and errors keep their level.
	sdkLog := slog.New(demoted{o.Logger.Handler()})
	h := &Handler{svc: o.Service, log: o.Logger, sdkLog: sdkLog, opts: o, done: make(chan struct{}),
		sessions: map[*sdk.ServerSession]*openSession{}, callServers: map[string]*sdk.Server{}}
	serverOf := func(r *http.Request) *sdk.Server {
		if c, ok := r.Context().Value(callKey{}).(*call); ok {
			return c.server
		}
		return nil
	}
	// The SDK's own DNS-rebinding check refuses a loopback listener behind
	// a reverse proxy; Handler.checkHost does it knowing the public URL.
	h.stateless = sdk.NewStreamableHTTPHandler(serverOf, &sdk.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, Logger: sdkLog, DisableLocalhostProtection: true, MaxRequestBodyBytes: maxBody})
	stateful := sdk.NewStreamableHTTPHandler(serverOf, &sdk.StreamableHTTPOptions{
		Logger: sdkLog, DisableLocalhostProtection: true, MaxRequestBodyBytes: maxBody, SessionTimeout: o.SessionTimeout})
	// The SDK binds a session to the TokenInfo.UserID of the request that
	// opened it, and answers 403 to another; the principal is settled
	// before (ServeHTTP), so the verifier only hands it over. A session's
	// calls run under the context of the request that opened it: the
	// TokenInfo, which the SDK hands each call, carries the id of the
	// request that made the call (requestID) and the caller as that
	// request authenticated it (agentFor).
	h.stateful = auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		c, ok := ctx.Value(callKey{}).(*call)
		if !ok {
			return nil, auth.ErrInvalidToken
		}
		return &auth.TokenInfo{UserID: c.principal, Expiration: time.Now().Add(time.Hour),
			Extra: map[string]any{requestIDKey: portico.CallerFrom(ctx).RequestID, agentKey: c.agent}}, nil
	}, nil)(stateful)
	return h
}

// Close ends the 2025-era sessions (their streams would hold a graceful
// shutdown until its timeout) and the waits for users to finish
// connecting.
func (h *Handler) Close() {
	h.close.Do(func() { close(h.done) })
	h.mu.Lock()
	open := make([]*sdk.ServerSession, 0, len(h.sessions))
	for ss := range h.sessions {
		open = append(open, ss)
	}
	h.mu.Unlock()
	for _, ss := range open {
		ss.Close()
	}
	h.wg.Wait()
}

// A node keeps at most maxSessionsPerCaller 2025-era sessions of one
// caller (principal), and maxSessionsPerApp of one app; opening one more
// ends the oldest, whose client then initializes again as after the idle
// timeout (docs/mcp.md). Each session holds a goroutine and tens of KB
// for up to its idle timeout, and a key with mcp:act_as_user is a new
// caller for every user it names.
const (
	maxSessionsPerCaller = 16
	maxSessionsPerApp    = 1000
)

// openSession is what track keeps of a session.
type openSession struct {
	app, principal string
	seq            uint64
}

// track keeps a 2025-era session of app and principal until it ends, and
// ends the oldest ones past the bounds.
func (h *Handler) track(ss *sdk.ServerSession, app, principal string) {
	h.mu.Lock()
	select {
	case <-h.done:
		h.mu.Unlock()
		ss.Close()
		return
	default:
	}
	h.opened++
	h.sessions[ss] = &openSession{app: app, principal: principal, seq: h.opened}
	var over []*sdk.ServerSession
	for _, bound := range []struct {
		n    int
		same func(o *openSession) bool
	}{
		{maxSessionsPerCaller, func(o *openSession) bool { return o.principal == principal }},
		{maxSessionsPerApp, func(o *openSession) bool { return o.app == app }},
	} {
		var oldest *sdk.ServerSession
		n := 0
		for s, o := range h.sessions {
			if bound.same(o) {
				n++
				if oldest == nil || o.seq < h.sessions[oldest].seq {
					oldest = s
				}
			}
		}
		if n > bound.n {
			// Out of the count at once; Wait below forgets it.
			h.sessions[oldest].app, h.sessions[oldest].principal = "", ""
			over = append(over, oldest)
		}
	}
	h.mu.Unlock()
	for _, s := range over {
		s.Close()
	}
	h.wg.Go(func() {
		ss.Wait()
		h.mu.Lock()
		delete(h.sessions, ss)
		h.mu.Unlock()
	})
}

// Register mounts the endpoint and its protected resource metadata.
func (h *Handler) Register(mount compat.Mount) {
	mount(Path, h)
	// The same endpoint bound to one app: the resource of its
	// authorization server, which takes that app's access tokens only.
	mount("/a/{app}"+Path, h)
	mount("GET /.well-known/oauth-protected-resource"+Path, http.HandlerFunc(h.serveResourceMetadata))
	mount("GET /.well-known/oauth-protected-resource", http.HandlerFunc(h.serveResourceMetadata))
}

// call is what ServeHTTP settles about a request before the SDK sees it.
type call struct {
	agent     *portico.Agent
	principal string
	server    *sdk.Server
	// tool is the tool of a stateless tools/call, resolved for agent.
	tool *portico.AgentTool
}

type callKey struct{}

// ServeHTTP checks the host, authenticates the caller, checks the Origin,
// and hands the request to the stateless or the stateful SDK handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
	default:
		w.Header().Set("Allow", "POST, GET, DELETE")
		h.fail(w, r, portico.Errorf(portico.CodeMethodNotAllowed, "%s is not allowed here; allowed: POST, GET, DELETE.", r.Method))
		return
	}
	if err := h.checkHost(r); err != nil {
		h.fail(w, r, err)
		return
	}
	agent, principal, err := h.authenticate(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Every Origin a request names must be trusted, not just its first.
	for _, o := range r.Header.Values("Origin") {
		if o != "" && !h.trustsOrigin(agent.App, o) {
			h.fail(w, r, portico.Errorf(portico.CodeForbidden, "Origin %s may not call this endpoint: list it in the app's allowed_frame_origins.", portico.Echo(o)))
			return
		}
	}
	var body []byte
	if r.Method == http.MethodPost {
		// The native API's rules for a body hold here too, so that a tool
		// call's arguments are bounded and read as POST /v1/perform reads
		// its input: JSON, at most jsonbody.MaxBytes, valid UTF-8, no key
		// named twice (the SDK would keep the last, and run it).
		if body, err = jsonbody.Read(r, true, false); err == nil {
			err = jsonbody.Check(body)
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		// 2025-03-26 allowed batches, which no revision Portico serves
		// does (SPEC: 2025-06-18 on); read as that revision (no
		// MCP-Protocol-Version), a batch escaped every check here.
		http.Error(&framingErrors{ResponseWriter: w}, "JSON-RPC batching is not supported: send one message per request.", http.StatusBadRequest)
		return
	}
	msg := peek(body)
	if msg.badID {
		// Through framingErrors: a JSON-RPC error without an id.
		http.Error(&framingErrors{ResponseWriter: w}, "The request's id must be a string or an integer of at most 64 bits: an answer carries its id unchanged.", http.StatusBadRequest)
		return
	}
	if msg.badParams != "" {
		refuseParams(w, msg.id, msg.badParams)
		return
	}
	if msg.method == "initialize" && r.Header.Get("Mcp-Session-Id") != "" {
		// The SDK answers code 0 and logs an error of its own.
		http.Error(&framingErrors{ResponseWriter: w}, "This session is initialized already; to start again, send initialize without Mcp-Session-Id, which opens a new session.", http.StatusBadRequest)
		return
	}
	// Any version but the stateless one goes with a session's signs to the
	// session handler, which refuses one it does not serve: compared as
	// strings, "garbage" sorts after modern.
	legacy := r.Header.Get("MCP-Protocol-Version") != modern &&
		(msg.method == "initialize" || r.Header.Get("Mcp-Session-Id") != "" || r.Method == http.MethodDelete ||
			r.Method == http.MethodGet && r.Header.Get("Mcp-Session-Id") != "")
	c := &call{agent: agent, principal: principal}
	// A stateless tools/call is served by the server of its tool; another
	// stateless request by a server built for it; a 2025-era session by
	// the server built when it opened (initialize).
	if !legacy || msg.method == "initialize" {
		tools, err := h.toolsFor(r.Context(), agent, legacy, msg)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		switch {
		case !legacy && msg.method == "tools/call" && len(tools) == 1:
			c.tool = &tools[0]
			c.server = h.callServer(c.tool)
		case !legacy && msg.method == "tools/call":
			c.server = h.callServer(nil)
		default:
			c.server = h.newServer(agent, tools, legacy)
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), callKey{}, c))
	fw := &framingErrors{ResponseWriter: w}
	if legacy && r.Method != http.MethodDelete {
		// A session's streams outlast the server's write timeout (60 s): a
		// user takes longer to connect, or to answer an approval, than
		// that. They are bounded by the session's idle timeout instead.
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.opts.SessionTimeout))
	}
	if legacy && r.Method == http.MethodGet {
		// A 2025-era session's stream lasts as long as the credential
		// that opened it: revoking or expiring it ends the stream too.
		ctx, end := context.WithCancel(r.Context())
		defer end()
		r = r.WithContext(ctx)
		go h.endWithCredential(r, end)
	}
	if legacy {
		h.stateful.ServeHTTP(fw, r)
		return
	}
	h.stateless.ServeHTTP(fw, r)
}

// streamRecheck is how often the credential of an open 2025-era stream is
// checked again, in nanoseconds (atomic: the tests shorten it while the
// streams of tests before them may still be ending).
var streamRecheck = func() *atomic.Int64 {
	var d atomic.Int64
	d.Store(int64(5 * time.Second))
	return &d
}()

// endWithCredential calls end once r's credential no longer authenticates
// (a revoked or expired session, a revoked key), checking it every
// streamRecheck until r's context ends. A store that cannot answer ends
// nothing: the next check decides.
func (h *Handler) endWithCredential(r *http.Request, end context.CancelFunc) {
	t := time.NewTicker(time.Duration(streamRecheck.Load()))
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		_, _, err := h.authenticate(r.WithContext(portico.Recheck(r.Context())))
		switch portico.ErrorCode(err) {
		case portico.CodeInvalidToken, portico.CodeUnauthenticated, portico.CodeInvalidAPIKey, portico.CodeForbidden:
			h.log.LogAttrs(r.Context(), slog.LevelInfo, "mcp_stream_ended", slog.String("request_id", portico.CallerFrom(r.Context()).RequestID),
				slog.String("reason", string(portico.ErrorCode(err))))
			end()
			return
		}
	}
}

// message is what the router reads of a JSON-RPC body.
type message struct {
	method string
	tool   string // params.name of tools/call
	// badID: an id that is not a string or a number, or a numeric id the
	// SDK would answer changed (a fraction, an exponent, past 64 bits,
	// -0), where JSON-RPC answers carry it unchanged.
	badID bool
	// id is the request's id as sent; badParams says what of its params
	// the SDK would refuse in its own words (code 0, Go's types), "" when
	// nothing.
	id        json.RawMessage
	badParams string
}

func peek(body []byte) message {
	// Keys are matched exactly, as the SDK matches them: encoding/json's
	// struct fields would also take "Name", and the tool checked here
	// could differ from the one the SDK runs.
	var m map[string]json.RawMessage
	var params map[string]json.RawMessage
	var msg message
	if json.Unmarshal(body, &m) != nil {
		return message{}
	}
	if id := bytes.TrimSpace(m["id"]); len(id) > 0 {
		switch {
		case id[0] == '-' || id[0] >= '0' && id[0] <= '9':
			_, err := strconv.ParseInt(string(id), 10, 64)
			msg.badID = err != nil || string(id) == "-0"
		case id[0] == '{' || id[0] == '[' || id[0] == 't' || id[0] == 'f':
			// An object, an array or a boolean: JSON-RPC's id is a string
			// or a number, and the SDK's own refusal names Go's types.
			msg.badID = true
		}
	}
	msg.id = m["id"]
	if json.Unmarshal(m["method"], &msg.method) != nil || json.Unmarshal(m["params"], &params) != nil {
		return message{method: msg.method, badID: msg.badID, id: msg.id}
	}
	msg.badParams = paramsRefusal(msg.method, params)
	if json.Unmarshal(params["name"], &msg.tool) != nil {
		msg.tool = ""
	}
	return msg
}

// paramsRefusal says what is wrong with params that the SDK would refuse
// without saying so plainly: a protocolVersion of initialize that is not
// a string, and inputResponses of tools/call that are not an object of
// answers (each an object); "" when neither.
func paramsRefusal(method string, params map[string]json.RawMessage) string {
	switch method {
	case "initialize":
		if v, ok := params["protocolVersion"]; ok && (len(v) == 0 || v[0] != '"') {
			return `params.protocolVersion must be a string, such as "2025-11-25".`
		}
	case "tools/call":
		v, ok := params["inputResponses"]
		if !ok || string(v) == "null" {
			return ""
		}
		var answers map[string]json.RawMessage
		bad := json.Unmarshal(v, &answers) != nil
		for _, a := range answers {
			bad = bad || len(a) == 0 || a[0] != '{'
		}
		if bad {
			return `params.inputResponses must be an object of answers, each an object, such as {"approve": {"action": "accept"}}.`
		}
	}
	return ""
}

// toolsFor lists the tools a server needs: one, for a stateless tools/call
// (none when the caller may not use it: the SDK answers unknown tool);
// every one of the caller's otherwise.
func (h *Handler) toolsFor(ctx context.Context, a *portico.Agent, legacy bool, msg message) ([]portico.AgentTool, error) {
	if !legacy && msg.method == "tools/call" {
		t, err := h.svc.AgentTool(ctx, a, msg.tool)
		if portico.ErrorCode(err) == portico.CodeNotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []portico.AgentTool{*t}, nil
	}
	if !legacy && msg.method != "tools/list" {
		return nil, nil
	}
	return h.svc.AgentTools(ctx, a)
}

// authenticate settles who calls: a session token (pst_…) or an API key
// with mcp:act_as_user and a user header, both as Authorization: Bearer.
func (h *Handler) authenticate(r *http.Request) (*portico.Agent, string, error) {
	if err := compat.OneCredential(r, portico.CodeInvalidToken, "Authorization"); err != nil {
		return nil, "", err
	}
	raw := compat.Bearer(r)
	if appID := r.PathValue("app"); appID != "" {
		sess, user, err := h.opts.AuthenticateAccessToken(r, raw, appID)
		if err != nil {
			return nil, "", err
		}
		app, err := h.svc.FindApp(r.Context(), appID)
		if err != nil {
			return nil, "", err
		}
		agent := portico.SessionAgent(app, sess, user)
		return agent, agent.Principal(), nil
	}
	if raw == "" {
		msg := "Credentials are required: send a session token, or an API key with the mcp:act_as_user permission (and a Portico-User-Id header), as Authorization: Bearer <token>. OAuth clients sign in at an app's own /a/<app id>/mcp."
		if q := r.URL.Query(); slices.ContainsFunc(compat.CredentialParams, q.Has) {
			msg = "Credentials are not accepted in the query string: send them as Authorization: Bearer <token>."
		}
		return nil, "", portico.Errorf(portico.CodeUnauthenticated, "%s", msg)
	}
	if portico.SecretKind(raw) == "an API key" {
		app, key, err := h.opts.AuthenticateAgentKey(r, raw)
		if err != nil {
			return nil, "", err
		}
		ref, err := userHeader(r)
		if err != nil {
			return nil, "", err
		}
		agent, err := h.svc.AgentFor(r.Context(), app, key.ID, ref)
		if err != nil {
			return nil, "", err
		}
		return agent, agent.Principal(), nil
	}
	sess, user, err := h.opts.AuthenticateToken(r, raw)
	if err != nil {
		return nil, "", err
	}
	app, err := h.svc.FindApp(r.Context(), sess.AppID)
	if err != nil {
		return nil, "", err
	}
	agent := portico.SessionAgent(app, sess, user)
	return agent, agent.Principal(), nil
}

// userHeader reads the user a key acts for: one header, sent once (which
// user acts never depends on the order of headers).
func userHeader(r *http.Request) (portico.UserRef, error) {
	for _, name := range []string{HeaderUserID, HeaderUserEmail} {
		if len(r.Header.Values(name)) > 1 {
			return portico.UserRef{}, portico.Invalidf("user", "Send %s once.", name)
		}
	}
	id, email := strings.TrimSpace(r.Header.Get(HeaderUserID)), strings.TrimSpace(r.Header.Get(HeaderUserEmail))
	switch {
	case id != "" && email != "":
		return portico.UserRef{}, portico.Invalidf("user", "Send %s or %s, not both.", HeaderUserID, HeaderUserEmail)
	case id != "":
		return portico.UserRef{ExternalID: &id}, nil
	case email != "":
		return portico.UserRef{Email: &email}, nil
	}
	return portico.UserRef{}, portico.Invalidf("user", "An API key acts for a user: name one with %s (your id for the user) or %s.", HeaderUserID, HeaderUserEmail)
}

// checkHost refuses DNS rebinding: a request that reached a loopback
// listener must name a loopback host or the public URL's host.
func (h *Handler) checkHost(r *http.Request) error {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || !isLoopback(local.String()) || isLoopback(r.Host) {
		return nil
	}
	if u, err := url.Parse(h.svc.PublicURL); err == nil && strings.EqualFold(u.Host, r.Host) {
		return nil
	}
	return portico.Errorf(portico.CodeForbidden, "Host %s is not this server's: set --public-url to the address clients use.", r.Host)
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// trustsOrigin admits browser callers from the app's frame origins,
// Portico's own origin and loopback origins (a page served from the
// user's own machine, such as a local inspector: DNS rebinding, which the
// check is for, comes with the attacker's host name; every caller still
// needs a bearer credential).
func (h *Handler) trustsOrigin(app *portico.App, origin string) bool {
	if u, err := url.Parse(h.svc.PublicURL); err == nil && strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
		return true
	}
	if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") && isLoopback(u.Host) {
		return true
	}
	for _, o := range app.Settings.AllowedFrameOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// resourceMetadata is the RFC 9728 document of the endpoint.
type resourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
}

func (h *Handler) serveResourceMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	compat.WriteJSON(w, http.StatusOK, resourceMetadata{Resource: h.svc.PublicURL + Path, AuthorizationServers: []string{h.svc.PublicURL},
		BearerMethodsSupported: []string{"header"}, ResourceName: "Portico"})
}

// fail writes an error; a refused or missing credential says where the
// resource metadata is (RFC 9728).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch portico.ErrorCode(err) {
	case portico.CodeUnauthenticated, portico.CodeInvalidToken, portico.CodeInvalidAPIKey:
		resource := Path
		if appID := r.PathValue("app"); appID != "" {
			// As a URL's path segment: a quote from the client's path
			// would end the header's quoted string.
			resource = "/a/" + url.PathEscape(appID) + Path
		}
		w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+h.svc.PublicURL+`/.well-known/oauth-protected-resource`+resource+`"`)
	}
	h.opts.WriteError(w, r, err)
}

// demoted writes the SDK's info lines as debug lines.
type demoted struct{ slog.Handler }

func (d demoted) Enabled(ctx context.Context, l slog.Level) bool {
	return d.Handler.Enabled(ctx, demote(l))
}

func (d demoted) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return d.Handler.Handle(ctx, r)
}

func (d demoted) WithAttrs(as []slog.Attr) slog.Handler { return demoted{d.Handler.WithAttrs(as)} }

func (d demoted) WithGroup(name string) slog.Handler { return demoted{d.Handler.WithGroup(name)} }

func demote(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}
