package portico

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Upstream sends the requests Perform builds to integrations' servers and
// shapes their answers as results (package upstream, with its address
// guard and bounds).
type Upstream interface {
	// Send sends req and returns the response read in full, as a result
	// (hop-by-hop headers left out, the body encoded by its type).
	// Errors: CodeUpstreamUnreachable (transport failure, an address or
	// redirect the guard refuses, a response over the size bound;
	// details.reason says which) and CodeUpstreamTimeout.
	Send(ctx context.Context, req *UpstreamRequest) (*PerformResult, error)
}

// UpstreamRequest is one request to an integration's API, credential
// included: it must never be logged.
type UpstreamRequest struct {
	Method string
	URL    *url.URL
	Header map[string][]string
	Body   []byte // nil: no body
}

// UserRef names the user a perform acts for: exactly one of its fields.
// An unknown ExternalID or Email is a user without connections (and is
// created with the session of the connection_required answer); an unknown
// ID is CodeNotFound.
type UserRef struct {
	ID         *string
	ExternalID *string
	Email      *string
}

// PerformRequest is a call of an integration's action, or a raw request to
// its API, for one user.
type PerformRequest struct {
	User        UserRef
	Integration string
	// Action names a declared action; Input is its arguments (a JSON
	// object, checked against the action's input schema).
	Action string
	Input  json.RawMessage
	// Request is a raw request instead of an action.
	Request *RawRequest
	// Agent, for a call over MCP, is the caller: the user it resolved is
	// not looked up again, and a connection_required answer gives a
	// configuration URL of its session, if it has one (nil: the user's
	// newest suitable session, or a new one).
	Agent *Agent
	// Definition is the integration Integration names, when the caller
	// has just read it (the MCP server does, to find the tool); nil: read
	// here.
	Definition *Integration
	// Caller is who calls (its client, session or key, request id), for
	// the activity log; a zero Caller is taken from the context
	// (CallerFrom), and its client defaults to ClientAPI.
	Caller Caller
	// DryRun builds the request and returns it (PerformResult.DryRun)
	// without sending it.
	DryRun bool
}

// RawRequest is a request relative to the integration's base URL.
type RawRequest struct {
	Method  string
	Path    string
	Query   map[string][]string
	Headers map[string]string
	// Body is any JSON value, sent as JSON; a JSON string with a non-JSON
	// Content-Type header is sent as that text.
	Body json.RawMessage
}

// Body encodings of a PerformResult.
const (
	BodyJSON   = "json"   // Body is the upstream's JSON body itself
	BodyText   = "text"   // Body is a JSON string holding the text
	BodyBase64 = "base64" // Body is a JSON string holding the bytes in standard base64
	BodyNone   = "none"   // the upstream sent no body; Body is null
)

// PerformResult is the upstream's answer, whatever its status.
type PerformResult struct {
	Status int
	// Headers are the response headers, names lower-cased, repeated
	// values joined with ", "; hop-by-hop headers are left out.
	Headers      map[string]string
	Body         json.RawMessage
	BodyEncoding string
	// DryRun, set instead of the rest when the request asked for a dry
	// run, is the request that would have been sent.
	DryRun *PreparedRequest
}

// PreparedRequest is an upstream request as a dry run shows it: the
// injected credential is replaced by Redacted.
type PreparedRequest struct {
	Method  string
	URL     string
	Headers map[string]string
	// Body is the body as JSON (BodyJSON), text (BodyText) or base64
	// (BodyBase64); BodyNone when there is none.
	Body         json.RawMessage
	BodyEncoding string
}

// Redacted stands for a credential in what Portico shows of a request.
const Redacted = "[REDACTED]"

// Reasons of a connection_required answer.
const (
	ReasonMissing = "missing"
	ReasonExpired = "expired"
	ReasonRevoked = "revoked"
)

// ConnectionRequired tells that the user has no usable connection to the
// integration, and where the user can make one. It is the Err of the
// CodeConnectionRequired error Perform returns: adapters reach it with
// errors.As.
type ConnectionRequired struct {
	Integration     string // slug
	IntegrationName string
	Reason          string // ReasonMissing, ReasonExpired or ReasonRevoked
	SessionID       string
	Link            ConfigLink
}

func (e *ConnectionRequired) Error() string {
	return "connection to " + e.Integration + " required: " + e.Reason
}

// needConnection is what credential lookups return when the user must
// connect (again): the sentinel of the reason, as FreshCredentials returns
// them; Perform completes it with a configuration link.
func needConnection(reason string) error {
	switch reason {
	case ReasonExpired:
		return ErrConnectionExpired
	case ReasonRevoked:
		return ErrConnectionRevoked
	}
	return errConnectionMissing
}

var rawMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// Limits of a raw request.
const (
	maxRawPath        = 2048
	maxRawHeaders     = 50
	maxRawQuery       = 100
	maxHeaderValueLen = 8 << 10
)

// Perform calls an integration's action, or sends a raw request to its
// API, for a user with the user's stored credentials. Errors: CodeNotFound
// (unknown integration, action or user id), CodeValidation (input that
// fails the action's schema, a bad raw request; the field names the
// place), CodeForbidden (the integration is restricted to accounts the
// user is not in), CodeConnectionRequired (see ConnectionRequired),
// CodeRateLimited (the user's perform_rate_per_user is spent; see
// RateLimited), CodeApprovalRequired (see ApprovalRequired),
// CodeUpstreamUnreachable and CodeUpstreamTimeout. Upstream 4xx and 5xx
// answers are results, not errors. Every call, whatever its outcome, is
// recorded in the activity log.
func (s *Service) Perform(ctx context.Context, app *App, in PerformRequest) (*PerformResult, error) {
	start := time.Now()
	c := in.Caller
	if c == (Caller{}) {
		c = CallerFrom(ctx)
	}
	if c.Client == "" {
		c.Client = ClientAPI
	}
	act := &Activity{AppID: app.ID, Client: c.Client, SessionID: c.SessionID, KeyID: c.KeyID, RequestID: c.RequestID,
		DryRun: in.DryRun}
	res, err := s.perform(ctx, app, in, act)
	act.Duration = time.Since(start)
	act.Outcome = performOutcome(res, err)
	s.record(ctx, act)
	return res, err
}

// performOutcome is the activity outcome of a perform's answer.
func performOutcome(res *PerformResult, err error) string {
	if err == nil {
		if res.DryRun == nil && res.Status >= 400 {
			return OutcomeUpstreamError
		}
		return OutcomeSuccess
	}
	switch ErrorCode(err) {
	case CodeConnectionRequired:
		return OutcomeConnectionRequired
	case CodeApprovalRequired:
		return OutcomeApprovalRequired
	case CodeForbidden:
		return OutcomeDenied
	case CodeRateLimited:
		return OutcomeRateLimited
	}
	return OutcomeFailed
}

// perform is Perform; it fills in what the activity row learns on the way.
func (s *Service) perform(ctx context.Context, app *App, in PerformRequest, act *Activity) (*PerformResult, error) {
	if err := in.User.check(); err != nil {
		return nil, err
	}
	if (in.Action == "") == (in.Request == nil) {
		return nil, Invalidf("action", "Give either action (with input) or request, not both.")
	}
	if in.Request != nil && len(in.Input) > 0 {
		return nil, Invalidf("input", "input goes with action; a raw request carries its own query and body.")
	}
	integ := in.Definition
	var err error
	if integ == nil || integ.Slug != in.Integration || integ.AppID != app.ID {
		if integ, err = s.FindIntegration(ctx, app.ID, in.Integration); err != nil {
			return nil, NameNotFound(err, "Integration", "integration", in.Integration)
		}
	}
	act.Integration = integ.Slug
	var action *Action
	if in.Request == nil {
		if i := slices.IndexFunc(integ.Actions, func(a Action) bool { return a.Name == in.Action }); i >= 0 {
			action = &integ.Actions[i]
			act.Action, act.Method, act.Path = action.Name, action.Method, action.Path
		}
	}
	// The request is built, and its input checked, before the user is
	// looked up: against the base URL's stand-in when the base URL is a
	// template over the connection's settings, then again below against
	// the connection's own.
	build := func(base string) (*UpstreamRequest, error) {
		if in.Request != nil {
			return buildRaw(base, in.Request)
		}
		return s.buildAction(integ, base, in.Action, in.Input)
	}
	req, err := build(standIn(integ.BaseURL))
	if err != nil {
		return nil, err
	}
	if in.Request != nil {
		act.Method, act.Path = req.Method, templatePath(in.Request.Path)
	}
	var user *User
	if in.Agent != nil && in.Agent.User != nil {
		user = in.Agent.User
	} else if user, err = s.findUserRef(ctx, app.ID, in.User); err != nil {
		if in.User.ID != nil {
			err = NameNotFound(err, "User", "user.id", *in.User.ID)
		}
		return nil, err
	}
	if user != nil {
		act.UserID = user.ID
	}
	if err := s.limiter.take(app, user, in.User, s.now()); err != nil {
		return nil, err
	}
	if !integ.VisibleTo(user) {
		return nil, &Error{Code: CodeForbidden, Message: integ.Name + " is restricted to members of certain accounts; the user is in none of them.",
			Details: map[string]any{"integration": integ.Slug}}
	}
	creds, settings, err := s.usableCredentials(ctx, app, integ, user)
	if err != nil {
		var cr *ConnectionRequired
		if errors.As(err, &cr) {
			return nil, s.connectionRequired(ctx, app, integ, user, in, cr.Reason)
		}
		return nil, err
	}
	if strings.Contains(integ.BaseURL, "{") {
		base, err := integ.BaseURLFor(settings, s.AllowPrivateUpstreams)
		if err != nil {
			return nil, &Error{Code: CodeConflict, Message: "The settings of the user's connection to " + integ.Name + " no longer fit the integration (" +
				messageOf(err) + "); the user must connect again.", Details: map[string]any{"integration": integ.Slug}}
		}
		if req, err = build(base); err != nil {
			return nil, err
		}
	}
	integ.applyHeaders(req, settings)
	if in.DryRun {
		return dryRun(integ, creds, req)
	}
	if action != nil && action.NeedsApproval(app.Settings) {
		if err := s.approve(ctx, app, integ, action, user, in.User, req); err != nil {
			return nil, err
		}
	}
	if err := injectCredentials(integ, creds, req); err != nil {
		return nil, err
	}
	if s.Upstream == nil {
		return nil, errors.New("perform: no upstream client configured")
	}
	res, err := s.Upstream.Send(ctx, req)
	if res != nil {
		act.UpstreamStatus = res.Status
	}
	return res, err
}

// templatePath is what the activity log keeps of a raw request's path:
// the path without its query.
func templatePath(p string) string {
	p, _, _ = strings.Cut(p, "?")
	if len(p) > maxRawPath {
		p = p[:maxRawPath]
	}
	return p
}

// dryRun returns req as it would be sent, with the credential injected as
// Redacted.
func dryRun(integ *Integration, creds Credentials, req *UpstreamRequest) (*PerformResult, error) {
	masked := Credentials{}
	for k := range creds {
		masked[k] = Redacted
	}
	if err := injectCredentials(integ, masked, req); err != nil {
		return nil, err
	}
	if integ.Auth.Type == AuthBasic {
		req.Header["Authorization"] = []string{"Basic " + Redacted}
	}
	out := &PreparedRequest{Method: req.Method, URL: req.URL.String(), Headers: map[string]string{}, BodyEncoding: BodyNone,
		Body: json.RawMessage("null")}
	for k, v := range req.Header {
		out.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	switch {
	case req.Body == nil:
	case json.Valid(req.Body) && IsJSONType(out.Headers["content-type"]):
		out.Body, out.BodyEncoding = append(json.RawMessage(nil), req.Body...), BodyJSON
	case utf8.Valid(req.Body):
		out.Body, _ = json.Marshal(string(req.Body))
		out.BodyEncoding = BodyText
	default:
		out.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(req.Body))
		out.BodyEncoding = BodyBase64
	}
	return &PerformResult{DryRun: out}, nil
}

func (r UserRef) check() error {
	n := 0
	for _, p := range []*string{r.ID, r.ExternalID, r.Email} {
		if p != nil {
			n++
		}
	}
	if n != 1 {
		return Invalidf("user", "user needs exactly one of id, external_id and email.")
	}
	switch {
	case r.ExternalID != nil:
		return withField(CheckExternalID(*r.ExternalID), "user.external_id")
	case r.Email != nil:
		e, err := NormalizeEmail(*r.Email)
		if err != nil {
			return withField(err, "user.email")
		}
		*r.Email = e
	}
	return nil
}

// findUserRef returns the user named, or nil for an external id or email
// no user has yet.
func (s *Service) findUserRef(ctx context.Context, appID string, r UserRef) (*User, error) {
	user, holder, err := s.lookupUser(ctx, appID, r)
	if err == nil && user == nil && holder != nil {
		// Perform by email would create a second person for it.
		return nil, withField(EmailHeld(holder.ID), "user.email")
	}
	return user, err
}

// usableCredentials returns the credentials and settings of the user's
// connection, or a connection_required error whose *ConnectionRequired
// says why there are none.
func (s *Service) usableCredentials(ctx context.Context, app *App, integ *Integration, user *User) (Credentials, map[string]string, error) {
	if integ.Auth.Type == AuthNone {
		return Credentials{}, map[string]string{}, nil
	}
	if user == nil {
		return nil, nil, needConnection(ReasonMissing)
	}
	conn, err := s.Store.FindConnection(ctx, app.ID, user.ID, integ.Slug)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil, needConnection(ReasonMissing)
	}
	if err != nil {
		return nil, nil, err
	}
	switch conn.StatusAt(s.now()) {
	case StatusConnected:
	case StatusRevoked:
		return nil, nil, needConnection(ReasonRevoked)
	default:
		return nil, nil, needConnection(ReasonExpired)
	}
	// An expiring OAuth2 token is refreshed first (refresh.go); one that
	// cannot be is a connection_required with reason expired.
	creds, err := s.FreshCredentials(ctx, integ, conn)
	return creds, conn.Settings, err
}

// connectionRequired finds or creates a session for the user and returns
// the CodeConnectionRequired error with a fresh configuration URL: a new
// code for the caller's session (in.Session), else for the newest active
// session that may show the integration, or a new session when there is
// none.
func (s *Service) connectionRequired(ctx context.Context, app *App, integ *Integration, user *User, in PerformRequest, reason string) error {
	cr := &ConnectionRequired{Integration: integ.Slug, IntegrationName: integ.Name, Reason: reason}
	ref := in.User
	var prefer *Session
	if in.Agent != nil {
		prefer = in.Agent.Session
	}
	var err error
	cr.SessionID, cr.Link, _, err = s.userLink(ctx, app, integ, user, ref, prefer)
	if err != nil {
		return err
	}
	cr.Link.AssistantHint = connectionHint(integ.Name, reason, cr.Link.ExpiresAt.Sub(s.now()))
	return &Error{Code: CodeConnectionRequired,
		Message: "The user has no usable connection to " + integ.Name + " (" + reason + "); the user must open configuration_url to connect it.",
		Details: map[string]any{"integration": integ.Slug, "reason": reason, "configuration_url": cr.Link.URL,
			"configuration_url_expires_at": cr.Link.ExpiresAt.UTC().Format(time.RFC3339), "assistant_hint": cr.Link.AssistantHint},
		Err: cr}
}

// userLink returns a fresh configuration link for the user: a new code for
// prefer (the caller's session) if given, else for the newest active
// session that may show the integration, or a new session (and the user, when ref names none yet) when there is none. It
// answers the session's id and the user's.
func (s *Service) userLink(ctx context.Context, app *App, integ *Integration, user *User, ref UserRef, prefer *Session) (string, ConfigLink, string, error) {
	sess := prefer
	if sess == nil {
		var err error
		if sess, err = s.newestSessionFor(ctx, app, integ, user); err != nil {
			return "", ConfigLink{}, "", err
		}
	}
	if sess != nil {
		code, link := s.newLink(app, sess, s.now())
		if err := s.Store.CreateConfigCode(ctx, code); err != nil {
			return "", ConfigLink{}, "", err
		}
		return sess.ID, link, sess.UserID, nil
	}
	in := SessionInput{User: UserInput{ExternalID: ref.ExternalID, Email: ref.Email, RefuseHeldEmail: true}}
	if user != nil {
		in.User = UserInput{ExternalID: user.ExternalID}
		if user.ExternalID == nil {
			in.User.Email = user.Email
		}
	}
	created, err := s.CreateSession(ctx, app, in)
	if err != nil {
		return "", ConfigLink{}, "", err
	}
	return created.Session.ID, created.Link, created.User.ID, nil
}

// newestSessionFor returns the user's newest active session whose page
// shows the integration, or nil.
func (s *Service) newestSessionFor(ctx context.Context, app *App, integ *Integration, user *User) (*Session, error) {
	if user == nil {
		return nil, nil
	}
	return s.Store.NewestActiveSession(ctx, app.ID, user.ID, s.now(), func(sess *Session) (bool, error) {
		st, err := SessionSettingsOf(sess)
		return st.Shows(integ), err
	})
}

func connectionHint(name, reason string, ttl time.Duration) string {
	var what, to string
	switch reason {
	case ReasonExpired:
		what, to = "The user's connection to "+name+" has expired.", "reconnect "+name
	case ReasonRevoked:
		what, to = "The user's connection to "+name+" was revoked.", "connect "+name+" again"
	default:
		what, to = "The user has not connected "+name+".", "connect "+name
	}
	return what + " Tell the user to open the URL in 'configuration_url' to " + to + ", then try again. Always show the whole URL. It expires in " + HumanDuration(ttl) + "."
}

// buildAction builds the request of a declared action from its input: the
// path placeholders, then the query (GET, DELETE) or a JSON body.
func (s *Service) buildAction(integ *Integration, base, name string, input json.RawMessage) (*UpstreamRequest, error) {
	i := slices.IndexFunc(integ.Actions, func(a Action) bool { return a.Name == name })
	if i < 0 {
		return nil, unknownAction(integ, name)
	}
	a := integ.Actions[i]
	schema, err := s.schemas.get(a.InputSchema)
	if err != nil {
		return nil, err
	}
	args, err := schema.validate(input)
	if err != nil {
		return nil, err
	}
	rest := make(map[string]any, len(args))
	for k, v := range args {
		rest[k] = v
	}
	var bad error
	path := placeholderRe.ReplaceAllStringFunc(a.Path, func(m string) string {
		k := m[1 : len(m)-1]
		v, ok := rest[k]
		delete(rest, k)
		text, scalar := scalarText(v)
		switch {
		case !ok:
			bad = Invalidf("input."+k, "input.%s is required: it is part of the path.", k)
		case !scalar:
			bad = Invalidf("input."+k, "input.%s must be a string or a number: it is part of the path.", k)
		case text == "" || text == "." || text == "..":
			bad = Invalidf("input."+k, "input.%s cannot be empty, . or ..: it is part of the path.", k)
		}
		return url.PathEscape(text)
	})
	if bad != nil {
		return nil, bad
	}
	u, err := ResolvePath(base, path)
	if err != nil {
		return nil, withField(err, "action")
	}
	req := &UpstreamRequest{Method: a.Method, URL: u, Header: map[string][]string{"Accept": {"application/json"}}}
	if a.mapped() {
		placeInput(&a, rest, req)
		return req, nil
	}
	if a.Method == "GET" || a.Method == "DELETE" {
		q := url.Values{}
		for k, v := range rest {
			addQuery(q, k, v)
		}
		u.RawQuery = q.Encode()
		return req, nil
	}
	req.Body, _ = json.Marshal(rest)
	req.Header["Content-Type"] = []string{"application/json"}
	return req, nil
}

// placeInput puts the input of a mapped action (Action.Query, Body,
// BodyInput) in the query and the body; properties none of them name are
// not sent.
func placeInput(a *Action, args map[string]any, req *UpstreamRequest) {
	q := url.Values{}
	for k, name := range a.Query {
		if v, ok := args[k]; ok {
			addQuery(q, name, v)
		}
	}
	req.URL.RawQuery = q.Encode()
	var body any
	switch {
	case a.BodyInput != "":
		v, ok := args[a.BodyInput]
		if !ok {
			return
		}
		body = v
	case a.Body != nil:
		obj := map[string]any{}
		for k, name := range a.Body {
			if v, ok := args[k]; ok {
				obj[name] = v
			}
		}
		body = obj
	default:
		return
	}
	req.Body, _ = json.Marshal(body)
	req.Header["Content-Type"] = []string{"application/json"}
}

// scalarText is the text of a string, number or boolean.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

func addQuery(q url.Values, k string, v any) {
	switch v := v.(type) {
	case nil:
	case []any:
		for _, x := range v {
			if s, ok := scalarText(x); ok {
				q.Add(k, s)
			} else if x != nil {
				q.Add(k, compactJSON(x))
			}
		}
	default:
		if s, ok := scalarText(v); ok {
			q.Add(k, s)
		} else {
			q.Add(k, compactJSON(v))
		}
	}
}

// buildRaw checks a raw request and builds it against the base URL.
func buildRaw(base string, r *RawRequest) (*UpstreamRequest, error) {
	method := strings.ToUpper(r.Method)
	if !slices.Contains(rawMethods, method) {
		return nil, Invalidf("request.method", "request.method must be one of %s.", strings.Join(rawMethods, ", "))
	}
	u, err := ResolvePath(base, r.Path)
	if err != nil {
		return nil, withField(err, "request.path")
	}
	if len(r.Query) > maxRawQuery {
		return nil, Invalidf("request.query", "At most %d query parameters.", maxRawQuery)
	}
	q := url.Values{}
	for k, vs := range r.Query {
		if k == "" || len(k) > 256 || !utf8.ValidString(k) || hasControl(k) {
			return nil, Invalidf("request.query", "A query parameter name is 1 to 256 bytes of text.")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, Invalidf("request.query."+k, "request.query.%s must be valid UTF-8.", k)
			}
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	if len(r.Headers) > maxRawHeaders {
		return nil, Invalidf("request.headers", "At most %d headers.", maxRawHeaders)
	}
	req := &UpstreamRequest{Method: method, URL: u, Header: map[string][]string{}}
	for k, v := range r.Headers {
		field := "request.headers." + k
		lk := strings.ToLower(k)
		switch {
		case !headerNameRe.MatchString(k):
			return nil, Invalidf("request.headers", "%q is not an HTTP header name.", k)
		case lk != "content-type" && slices.Contains(forbiddenHeaders, lk):
			return nil, Invalidf(field, "The %s header is set by Portico, not by the request.", k)
		case len(v) > maxHeaderValueLen || !utf8.ValidString(v) || hasControl(v):
			return nil, Invalidf(field, "A header value is at most %d bytes of text without control characters.", maxHeaderValueLen)
		}
		req.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
	}
	body := r.Body
	if len(body) == 0 || string(body) == "null" {
		return req, nil
	}
	if method == "GET" || method == "HEAD" {
		return nil, Invalidf("request.body", "A %s request takes no body.", method)
	}
	ct := ""
	if v := req.Header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	var text string
	if ct != "" && !IsJSONType(ct) && json.Unmarshal(body, &text) == nil {
		req.Body = []byte(text)
		return req, nil
	}
	if ct == "" {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	req.Body = append([]byte(nil), body...)
	return req, nil
}

// injectCredentials places the credential where the integration says:
// inject's header or query parameter with {field} filled, or the
// Authorization: Basic header.
func injectCredentials(integ *Integration, creds Credentials, req *UpstreamRequest) error {
	switch integ.Auth.Type {
	case AuthNone:
		return nil
	case AuthBasic:
		pair := creds["username"] + ":" + creds["password"]
		req.Header["Authorization"] = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(pair))}
		return nil
	}
	in := integ.Auth.Inject
	if in == nil {
		return errors.New("perform: integration " + integ.Slug + " has no inject rule")
	}
	value := placeholderRe.ReplaceAllStringFunc(in.Format, func(m string) string {
		k := m[1 : len(m)-1]
		if k == TokenType && creds[k] == "" {
			return "Bearer"
		}
		return creds[k]
	})
	if in.Header != "" {
		req.Header[textproto.CanonicalMIMEHeaderKey(in.Header)] = []string{value}
		return nil
	}
	q := req.URL.Query()
	q.Set(in.Query, value)
	req.URL.RawQuery = q.Encode()
	return nil
}

// mediaType is the lower-cased media type of a Content-Type value.
func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// IsJSONType reports a JSON media type: application/json or any +json.
func IsJSONType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// maxListedActions bounds the action names an error message lists;
// details.available holds them all.
const maxListedActions = 20

// unknownAction is the not-found error of an action name integ does not
// declare: it names the value (details.value) and lists the names that
// exist (details.available, in declared order).
func unknownAction(integ *Integration, name string) *Error {
	e := UnknownName("Action", "action", name)
	names := make([]string, len(integ.Actions))
	for i, a := range integ.Actions {
		names[i] = a.Name
	}
	e.Details["available"] = names
	switch {
	case len(names) == 0:
		e.Message = fmt.Sprintf("Action %q not found: %s declares no actions; send a raw request instead.", Echo(name), integ.Name)
	case len(names) > maxListedActions:
		e.Message = fmt.Sprintf("Action %q not found: %s's actions are %s, … (all in details.available).", Echo(name), integ.Name, strings.Join(names[:maxListedActions], ", "))
	default:
		e.Message = fmt.Sprintf("Action %q not found: %s's actions are %s.", Echo(name), integ.Name, strings.Join(names, ", "))
	}
	return e
}
