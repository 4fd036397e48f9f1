package portico

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Approvals (docs/activity-and-approvals.md): a call of an action that
// needs the user's confirmation does not reach the upstream until the user
// approves that very call (same tool, same request) on the hosted page,
// within ApprovalTTL; an approval is used by one call only.

// PrefixApproval starts every approval id.
const PrefixApproval = "apr_"

// ApprovalTTL is how long an approval may be decided and then used.
const ApprovalTTL = 10 * time.Minute

// Approval statuses.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalDeclined = "declined"
	ApprovalUsed     = "used"
)

// Webhook events of approvals.
const (
	EventApprovalRequested = "approval.requested"
	EventApprovalDecided   = "approval.decided"
)

// Approval is one call waiting for, or given, the user's decision.
type Approval struct {
	ID          string
	AppID       string
	UserID      string
	Integration string
	Action      string
	// Digest binds the approval to the request: tool, method, URL and body.
	Digest    string
	Summary   ApprovalSummary
	Status    string
	CreatedAt time.Time
	ExpiresAt time.Time
	DecidedAt *time.Time
}

// ApprovalSummary is what the user is shown of the call: never a
// credential, a credential field or a secret input.
type ApprovalSummary struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Query  map[string]string `json:"query,omitempty"`
	// Body is a preview of the JSON body (secret values redacted, cut at
	// maxPreview bytes), "" when there is none.
	Body string `json:"body,omitempty"`
}

// ApprovalStore is the approvals side of the store.
type ApprovalStore interface {
	// RequestApproval stores a, pending, and queues its approval.requested
	// event; unless the user has an approval of a.Digest pending and
	// unexpired at a.CreatedAt, which it returns instead of storing a. Of
	// concurrent requests for one call, one stores its approval and the
	// others return it.
	RequestApproval(ctx context.Context, a *Approval) (*Approval, error)
	// FindApproval returns one of the user's approvals (CodeNotFound).
	FindApproval(ctx context.Context, appID, userID, id string) (*Approval, error)
	// ListPendingApprovals returns the user's approvals pending at now,
	// oldest first.
	ListPendingApprovals(ctx context.Context, appID, userID string, now time.Time) ([]Approval, error)
	// DecideApproval approves or declines a pending approval of the user
	// that has not expired at now, and queues approval.decided. CodeNotFound
	// when there is no such approval; CodeConflict when it was decided
	// already or has expired.
	DecideApproval(ctx context.Context, appID, userID, id string, approve bool, now time.Time) (*Approval, error)
	// UseApproval marks as used one approved approval of the user with this
	// digest that has not expired at now, and reports whether there was
	// one: of concurrent calls, exactly one gets true.
	UseApproval(ctx context.Context, appID, userID, digest string, now time.Time) (bool, error)
	// PurgeApprovals deletes up to batch approvals that expired before the
	// given instant, and returns how many. Deployment-wide, like
	// PurgeSessions.
	PurgeApprovals(ctx context.Context, before time.Time, batch int) (int, error)
}

// ApprovalRequired tells that the call waits for the user's approval, and
// where the user gives it. It is the Err of the CodeApprovalRequired error
// Perform returns: adapters reach it with errors.As.
type ApprovalRequired struct {
	ApprovalID      string
	Integration     string
	IntegrationName string
	Action          string
	Summary         ApprovalSummary
	// ExpiresAt ends the approval; the URL may expire sooner
	// (Link.ExpiresAt), and a new call gives a new one.
	ExpiresAt time.Time
	SessionID string
	Link      ConfigLink
}

func (e *ApprovalRequired) Error() string {
	return "approval of " + e.Integration + " " + e.Action + " required"
}

// maxPreview bounds the body preview of a summary.
const maxPreview = 1024

// approvalDigest is the digest of the request an approval binds: the tool
// and the request as built before the credential is injected.
func approvalDigest(integ, action string, req *UpstreamRequest) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", integ, action, req.Method, req.URL.String())
	h.Write(req.Body)
	return hex.EncodeToString(h.Sum(nil))
}

// secretNames are the names whose values a summary never shows: the
// integration's credential fields, the action's inputs marked
// "secret": true, and the token keys.
func secretNames(integ *Integration, a *Action) map[string]bool {
	out := map[string]bool{TokenAccess: true, TokenRefresh: true, "password": true, "client_secret": true, "api_key": true}
	for _, f := range integ.Auth.Fields {
		out[strings.ToLower(f.Name)] = true
	}
	for _, name := range secretInputs(a) {
		out[strings.ToLower(name)] = true
	}
	return out
}

// secretInputs are the names of the action's inputs marked "secret": true.
func secretInputs(a *Action) []string {
	var schema struct {
		Properties map[string]struct {
			Secret bool `json:"secret"`
		} `json:"properties"`
	}
	var out []string
	if json.Unmarshal(a.InputSchema, &schema) == nil {
		for name, p := range schema.Properties {
			if p.Secret {
				out = append(out, name)
			}
		}
	}
	return out
}

// secretValues are the values of the call's secret inputs as text (a
// string as it is, anything else as its JSON): an action may put an input
// in a path segment, under another name in the query or the body, or make
// it the whole body, so a summary hides these values wherever they appear,
// whatever they are called there.
func secretValues(a *Action, input json.RawMessage) []string {
	names := secretInputs(a)
	if len(names) == 0 {
		return nil
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(input, &in) != nil {
		return nil
	}
	var out []string
	for _, name := range names {
		raw, ok := in[name]
		if !ok {
			continue
		}
		var str string
		if json.Unmarshal(raw, &str) != nil {
			str = string(raw)
		}
		if str != "" && str != "null" {
			out = append(out, str)
		}
	}
	return out
}

// hide replaces every secret value in s.
func hide(s string, values []string) string {
	for _, v := range values {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	return s
}

// summarize is what the user is shown of req, a call of a with input.
func summarize(integ *Integration, a *Action, input json.RawMessage, req *UpstreamRequest) ApprovalSummary {
	secret := secretNames(integ, a)
	values := secretValues(a, input)
	sum := ApprovalSummary{Method: req.Method, Path: hide(req.URL.Path, values)}
	if q := req.URL.Query(); len(q) > 0 {
		sum.Query = map[string]string{}
		for k, v := range q {
			val := strings.Join(v, ",")
			if secret[strings.ToLower(k)] || hide(val, values) != val {
				val = Redacted
			}
			sum.Query[hide(k, values)] = val
		}
	}
	if len(req.Body) > 0 {
		d := json.NewDecoder(bytes.NewReader(req.Body))
		d.UseNumber()
		var v any
		if d.Decode(&v) == nil {
			b, _ := json.Marshal(redactJSON(v, secret, values))
			sum.Body = string(b)
		} else {
			sum.Body = "(" + fmt.Sprint(len(req.Body)) + " bytes)"
		}
		if len(sum.Body) > maxPreview {
			sum.Body = sum.Body[:maxPreview] + "…"
		}
	}
	return sum
}

// redactJSON hides the values of secret names, and any string or number
// that holds a secret value.
func redactJSON(v any, secret map[string]bool, values []string) any {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := v[k]
			if secret[strings.ToLower(k)] {
				val = Redacted
			} else {
				val = redactJSON(val, secret, values)
			}
			if h := hide(k, values); h != k {
				delete(v, k)
				k = h
			}
			v[k] = val
		}
		return v
	case []any:
		for i := range v {
			v[i] = redactJSON(v[i], secret, values)
		}
	case string:
		if hide(v, values) != v {
			return Redacted
		}
	case json.Number:
		if hide(string(v), values) != string(v) {
			return Redacted
		}
	}
	return v
}

// approve runs the approval step of Perform for a built request: a call
// with an approved, unused approval of the same digest goes on (the
// approval is used); any other gets the CodeApprovalRequired error, with
// the pending approval of that digest or a new one. The user, who may have
// just been created for the approval's link, is the activity row's (act).
func (s *Service) approve(ctx context.Context, app *App, integ *Integration, a *Action, input json.RawMessage, user *User, ref UserRef, req *UpstreamRequest, act *Activity) error {
	digest := approvalDigest(integ.Slug, a.Name, req)
	now := s.now()
	if user != nil {
		ok, err := s.store.UseApproval(ctx, app.ID, user.ID, digest, now)
		if err != nil || ok {
			return err
		}
	}
	sessionID, link, userID, err := s.userLink(ctx, app, integ, user, ref, nil)
	if err != nil {
		return err
	}
	act.UserID = userID
	ap, err := s.store.RequestApproval(ctx, &Approval{ID: NewID(PrefixApproval), AppID: app.ID, UserID: userID, Integration: integ.Slug,
		Action: a.Name, Digest: digest, Summary: summarize(integ, a, input, req), Status: ApprovalPending, CreatedAt: now, ExpiresAt: now.Add(ApprovalTTL)})
	if err != nil {
		return err
	}
	// The URL names its approval: the page shows that one first, however
	// many others wait (web: /connect/?approval=).
	link.URL += "?approval=" + ap.ID
	ar := &ApprovalRequired{ApprovalID: ap.ID, Integration: integ.Slug, IntegrationName: integ.Name, Action: a.Name,
		Summary: ap.Summary, ExpiresAt: ap.ExpiresAt, SessionID: sessionID, Link: link}
	ar.Link.AssistantHint = "This action needs the user's approval: " + ap.Summary.Line() + " on " + integ.Name +
		". Tell the user to open the URL in 'approval_url' and approve it, then call the same action with the same input again. Always show the whole URL. It expires in " +
		HumanDuration(minDuration(link.ExpiresAt, ap.ExpiresAt).Sub(now)) + "; if the user declines, do not retry."
	details := map[string]any{"approval_id": ap.ID, "integration": integ.Slug, "action": a.Name, "approval_url": link.URL,
		"expires_at": minDuration(link.ExpiresAt, ap.ExpiresAt).UTC().Format(time.RFC3339), "summary": ap.Summary, "assistant_hint": ar.Link.AssistantHint}
	return &Error{Code: CodeApprovalRequired,
		Message: "The user must approve this call of " + integ.Name + " " + a.Name + " first: they open approval_url, approve, then the same call is made again.",
		Details: details, Err: ar}
}

func minDuration(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Line is a one-line account of the call: method, path and query.
func (sum ApprovalSummary) Line() string {
	out := sum.Method + " " + sum.Path
	if len(sum.Query) > 0 {
		q := url.Values{}
		for k, v := range sum.Query {
			q.Set(k, v)
		}
		out += "?" + q.Encode()
	}
	return out
}

// PendingApprovals returns the approvals the user of a page session may
// decide now, oldest first: those of the integrations the session shows.
func (s *Service) PendingApprovals(ctx context.Context, sess *Session, user *User) ([]Approval, error) {
	shown, err := s.SessionIntegrations(ctx, sess, user)
	if err != nil {
		return nil, err
	}
	all, err := s.store.ListPendingApprovals(ctx, sess.AppID, user.ID, s.now())
	if err != nil {
		return nil, err
	}
	slugs := slugsOf(shown)
	return slices.DeleteFunc(all, func(a Approval) bool { return !slices.Contains(slugs, a.Integration) }), nil
}

// PendingApproval returns one approval the user of a page session may
// decide now (CodeNotFound otherwise): the one an approval URL names.
func (s *Service) PendingApproval(ctx context.Context, sess *Session, user *User, id string) (*Approval, error) {
	ap, err := s.sessionApproval(ctx, sess, user, id)
	if err != nil {
		return nil, err
	}
	if ap.Status != ApprovalPending || !ap.ExpiresAt.After(s.now()) {
		return nil, NotFound("Approval")
	}
	return ap, nil
}

// sessionApproval returns one of the user's approvals if it is of an
// integration the session shows (CodeNotFound otherwise).
func (s *Service) sessionApproval(ctx context.Context, sess *Session, user *User, id string) (*Approval, error) {
	ap, err := s.store.FindApproval(ctx, sess.AppID, user.ID, id)
	if err != nil {
		return nil, err
	}
	shown, err := s.SessionIntegrations(ctx, sess, user)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(slugsOf(shown), ap.Integration) {
		return nil, NotFound("Approval")
	}
	return ap, nil
}

// DecideApproval records the user's decision on one of its approvals
// (CodeNotFound, CodeConflict when decided already or expired), with an
// activity row and the approval.decided event. A session decides the
// approvals of the integrations it shows only: another one's is not found.
func (s *Service) DecideApproval(ctx context.Context, sess *Session, user *User, id string, approve bool) (*Approval, error) {
	if _, err := s.sessionApproval(ctx, sess, user, id); err != nil {
		return nil, err
	}
	c := CallerFrom(ctx)
	c.Client, c.SessionID = ClientPage, sess.ID
	return s.decideApproval(ctx, sess.AppID, user, id, approve, c)
}

// DecideAgentApproval records the decision the user of an MCP caller made
// in the caller's client (docs/mcp.md), as DecideApproval does; the
// activity row names caller (the client, key, session and request of the
// tool call).
func (s *Service) DecideAgentApproval(ctx context.Context, a *Agent, id string, approve bool, caller Caller) (*Approval, error) {
	if a.User == nil {
		return nil, NotFound("Approval")
	}
	return s.decideApproval(ctx, a.App.ID, a.User, id, approve, caller)
}

func (s *Service) decideApproval(ctx context.Context, appID string, user *User, id string, approve bool, c Caller) (*Approval, error) {
	ap, err := s.store.DecideApproval(ctx, appID, user.ID, id, approve, s.now())
	if err != nil {
		return nil, err
	}
	outcome, typ := OutcomeSuccess, "approval.approved"
	if !approve {
		outcome, typ = OutcomeDenied, "approval.declined"
	}
	s.record(ctx, &Activity{AppID: appID, UserID: user.ID, SessionID: c.SessionID, KeyID: c.KeyID, Client: c.Client, Integration: ap.Integration,
		Action: typ, Outcome: outcome, RequestID: c.RequestID})
	return ap, nil
}

// PurgeApprovals deletes up to batch approvals that expired a day ago or
// more: used, declined or never decided, none can run any more.
func (s *Service) PurgeApprovals(ctx context.Context, batch int) (int, error) {
	return s.store.PurgeApprovals(ctx, s.now().Add(-24*time.Hour), batch)
}
