package portico

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Upstream builds the requests Perform and verification decide, sends
// them to integrations' servers and shapes their answers as results
// (package upstream, with its address guard and bounds).
type Upstream interface {
	// Build builds the wire request of spec.
	Build(spec *RequestSpec) *UpstreamRequest
	// Preview is req as a dry run shows it.
	Preview(req *UpstreamRequest) *PreparedRequest
	// Send sends req and returns the response read in full, as a result
	// (hop-by-hop headers left out, the body encoded by its type).
	// Errors: CodeUpstreamUnreachable (transport failure, an address or
	// redirect the guard refuses, a response over the size bound;
	// details.reason says which) and CodeUpstreamTimeout.
	Send(ctx context.Context, req *UpstreamRequest) (*PerformResult, error)
}

// RequestSpec is an upstream request as the domain decides it: the
// resolved URL, the values of its query and body, its headers and where
// the credential goes. Upstream.Build makes the wire request of it.
type RequestSpec struct {
	Method string
	// URL is the resolved URL (ResolvePath); its query is Query.
	URL *url.URL
	// Query maps a parameter to a string, a []string, or a decoded JSON
	// value: a scalar is sent as its text (ScalarText), a list as one
	// parameter per element, anything else as compact JSON; nil is left
	// out.
	Query map[string]any
	// Header is the request's own headers.
	Header map[string]string
	// Body is sent as JSON (a json.RawMessage as it is), under
	// Content-Type application/json unless Header gives one; a JSON
	// string under a non-JSON Content-Type is sent as that text. nil: no
	// body.
	Body any
	// Defaults are the integration's static headers, settings filled in:
	// set where Header sets none, except Accept, which they replace.
	Defaults map[string]string
	// Credential is the injected credential; nil: none.
	Credential *Credential
}

// Credential is a credential as it is sent: Value in the header or the
// query parameter named.
type Credential struct {
	Header string
	Query  string
	Value  string
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
	switch {
	case in.Action != "" && in.Request != nil:
		return nil, Invalidf("action", "Give either action (with input) or request, not both.")
	case in.Action == "" && in.Request == nil:
		return nil, Invalidf("action", "Give action (with input), or request: what to perform.")
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
	build := func(base string) (*RequestSpec, error) {
		if in.Request != nil {
			return rawSpec(base, in.Request)
		}
		return s.actionSpec(integ, base, in.Action, in.Input)
	}
	spec, err := build(standIn(integ.BaseURL))
	if err != nil {
		return nil, err
	}
	if in.Request != nil {
		act.Method, act.Path = spec.Method, templatePath(in.Request.Path)
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
			return nil, s.connectionRequired(ctx, app, integ, user, in, cr.Reason, act)
		}
		return nil, err
	}
	if strings.Contains(integ.BaseURL, "{") {
		base, err := integ.BaseURLFor(settings, s.AllowPrivateUpstreams)
		if err != nil {
			return nil, &Error{Code: CodeConflict, Message: "The settings of the user's connection to " + integ.Name + " no longer fit the integration (" +
				messageOf(err) + "); the user must connect again.", Details: map[string]any{"integration": integ.Slug}}
		}
		if spec, err = build(base); err != nil {
			return nil, err
		}
	}
	spec.Defaults = integ.staticHeaders(settings)
	if s.Upstream == nil {
		return nil, errors.New("perform: no upstream client configured")
	}
	if in.DryRun {
		if spec.Credential, err = credentialOf(integ, creds, true); err != nil {
			return nil, err
		}
		return &PerformResult{DryRun: s.Upstream.Preview(s.Upstream.Build(spec))}, nil
	}
	if action != nil && action.NeedsApproval(app.Settings) {
		if err := s.approve(ctx, app, integ, action, in.Input, user, in.User, s.Upstream.Build(spec), act); err != nil {
			return nil, err
		}
	}
	if spec.Credential, err = credentialOf(integ, creds, false); err != nil {
		return nil, err
	}
	res, err := s.Upstream.Send(ctx, s.Upstream.Build(spec))
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
	conn, err := s.store.FindConnection(ctx, app.ID, user.ID, integ.Slug)
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
// none. The user, who may have just been created with that session, is the
// activity row's (act).
func (s *Service) connectionRequired(ctx context.Context, app *App, integ *Integration, user *User, in PerformRequest, reason string, act *Activity) error {
	cr := &ConnectionRequired{Integration: integ.Slug, IntegrationName: integ.Name, Reason: reason}
	ref := in.User
	var prefer *Session
	if in.Agent != nil {
		prefer = in.Agent.Session
	}
	var err error
	cr.SessionID, cr.Link, act.UserID, err = s.userLink(ctx, app, integ, user, ref, prefer)
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
		return s.sessionLink(ctx, app, sess)
	}
	in := SessionInput{User: UserInput{ExternalID: ref.ExternalID, Email: ref.Email, RefuseHeldEmail: true}}
	turn := ref
	if user != nil {
		in.User = UserInput{ExternalID: user.ExternalID}
		if user.ExternalID == nil {
			in.User.Email = user.Email
		}
		turn = UserRef{ID: &user.ID, ExternalID: in.User.ExternalID, Email: in.User.Email}
	}
	release, err := s.userTurn(ctx, app.ID, turn)
	if err != nil {
		return "", ConfigLink{}, "", err
	}
	defer release()
	// Another call for the user may have made a session while this one
	// waited for its turn.
	if sess, err := s.madeMeanwhile(ctx, app, integ, user, ref); err != nil || sess != nil {
		if err != nil {
			return "", ConfigLink{}, "", err
		}
		return s.sessionLink(ctx, app, sess)
	}
	created, err := s.CreateSession(ctx, app, in)
	if ErrorCode(err) == CodeSessionLimitReached {
		// A call on another node may have just made one, and filled the
		// limit with it.
		if sess, ferr := s.madeMeanwhile(ctx, app, integ, user, ref); ferr == nil && sess != nil {
			return s.sessionLink(ctx, app, sess)
		}
	}
	if err != nil {
		return "", ConfigLink{}, "", err
	}
	return created.Session.ID, created.Link, created.User.ID, nil
}

// sessionLink issues a configuration URL for sess.
func (s *Service) sessionLink(ctx context.Context, app *App, sess *Session) (string, ConfigLink, string, error) {
	code, link := s.newLink(app, sess, s.now())
	if err := s.store.CreateConfigCode(ctx, code); err != nil {
		return "", ConfigLink{}, "", err
	}
	return sess.ID, link, sess.UserID, nil
}

// madeMeanwhile returns the newest active session that shows the
// integration of the user (nil: of the user ref names, who may have been
// created since), or nil.
func (s *Service) madeMeanwhile(ctx context.Context, app *App, integ *Integration, user *User, ref UserRef) (*Session, error) {
	if user == nil && ref.ID == nil {
		var err error
		if user, _, err = s.lookupUser(ctx, app.ID, ref); err != nil {
			return nil, err
		}
	}
	return s.newestSessionFor(ctx, app, integ, user)
}

// newestSessionFor returns the user's newest active session whose page
// shows the integration, or nil.
func (s *Service) newestSessionFor(ctx context.Context, app *App, integ *Integration, user *User) (*Session, error) {
	if user == nil {
		return nil, nil
	}
	return s.store.NewestActiveSession(ctx, app.ID, user.ID, s.now(), func(sess *Session) (bool, error) {
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

// actionSpec is the request of a declared action from its input: the
// path placeholders, then the query (GET, DELETE) or a JSON body.
func (s *Service) actionSpec(integ *Integration, base, name string, input json.RawMessage) (*RequestSpec, error) {
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
		text, scalar := ScalarText(v)
		switch {
		case !ok:
			bad = Invalidf("input."+k, "input.%s is required: it is part of the path.", k)
		case !scalar:
			bad = Invalidf("input."+k, "input.%s must be a string, a number or a boolean: it is part of the path.", k)
		case text == "" || text == "." || text == "..":
			bad = Invalidf("input."+k, "input.%s cannot be empty, . or ..: it is part of the path.", k)
		}
		escaped := url.PathEscape(text)
		if err := checkRequestPath("/" + escaped); err != nil && bad == nil {
			// Judged alone, so that the refusal names the input, not the
			// action's path.
			bad = withField(err, "input."+k)
		}
		return escaped
	})
	if bad != nil {
		return nil, bad
	}
	u, err := ResolvePath(base, path)
	if err != nil {
		return nil, withField(err, "action")
	}
	spec := &RequestSpec{Method: a.Method, URL: u, Header: map[string]string{"Accept": "application/json"}}
	switch {
	case a.mapped():
		placeInput(&a, rest, spec)
	case a.Method == "GET" || a.Method == "DELETE":
		spec.Query = rest
	default:
		spec.Body = rest
	}
	return spec, nil
}

// placeInput puts the input of a mapped action (Action.Query, Body,
// BodyInput) in the query and the body; properties none of them name are
// not sent.
func placeInput(a *Action, args map[string]any, spec *RequestSpec) {
	spec.Query = map[string]any{}
	for k, name := range a.Query {
		if v, ok := args[k]; ok {
			spec.Query[name] = v
		}
	}
	switch {
	case a.BodyInput != "":
		if v, ok := args[a.BodyInput]; ok && v == nil {
			spec.Body = json.RawMessage("null")
		} else if ok {
			spec.Body = v
		}
	case a.Body != nil:
		obj := map[string]any{}
		for k, name := range a.Body {
			if v, ok := args[k]; ok {
				obj[name] = v
			}
		}
		spec.Body = obj
	}
}

// ScalarText is the text of a string, number or boolean.
func ScalarText(v any) (string, bool) {
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

// rawSpec checks a raw request and resolves it against the base URL.
func rawSpec(base string, r *RawRequest) (*RequestSpec, error) {
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
	spec := &RequestSpec{Method: method, URL: u, Query: map[string]any{}, Header: r.Headers}
	for k, vs := range r.Query {
		if k == "" || len(k) > 256 || !utf8.ValidString(k) || hasControl(k) {
			return nil, Invalidf("request.query", "A query parameter name is 1 to 256 bytes of text.")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return nil, Invalidf("request.query."+k, "request.query.%s must be valid UTF-8.", k)
			}
		}
		spec.Query[k] = vs
	}
	if len(r.Headers) > maxRawHeaders {
		return nil, Invalidf("request.headers", "At most %d headers.", maxRawHeaders)
	}
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
	}
	if len(r.Body) == 0 || string(r.Body) == "null" {
		return spec, nil
	}
	if method == "GET" || method == "HEAD" {
		return nil, Invalidf("request.body", "A %s request takes no body.", method)
	}
	spec.Body = r.Body
	return spec, nil
}

// credentialOf is the credential as integ injects it: inject's header or
// query parameter with {field} filled, or the Authorization: Basic header;
// nil when integ takes none. redacted puts Redacted in place of every
// value, as a dry run shows it.
func credentialOf(integ *Integration, creds Credentials, redacted bool) (*Credential, error) {
	switch integ.Auth.Type {
	case AuthNone:
		return nil, nil
	case AuthBasic:
		if redacted {
			return &Credential{Header: "Authorization", Value: "Basic " + Redacted}, nil
		}
		pair := creds["username"] + ":" + creds["password"]
		return &Credential{Header: "Authorization", Value: "Basic " + base64.StdEncoding.EncodeToString([]byte(pair))}, nil
	}
	in := integ.Auth.Inject
	if in == nil {
		return nil, errors.New("perform: integration " + integ.Slug + " has no inject rule")
	}
	if redacted {
		masked := Credentials{}
		for k := range creds {
			masked[k] = Redacted
		}
		creds = masked
	}
	value := placeholderRe.ReplaceAllStringFunc(in.Format, func(m string) string {
		k := m[1 : len(m)-1]
		if k == TokenType && creds[k] == "" {
			return "Bearer"
		}
		return creds[k]
	})
	return &Credential{Header: in.Header, Query: in.Query, Value: value}, nil
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
