package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/porticohq/portico/internal/portico"
)

// instructions tell the model how Portico's tools behave (docs/mcp.md).
const instructions = `These tools act on third-party services with the user's own accounts, which the user connects on a Portico configuration page.
When a tool answers that a service is not connected (or its connection expired or was revoked), show the user the configuration URL from the answer exactly as given, whole and unchanged, and ask them to open it and connect the service. After they say they are done, call the same tool again with the same arguments.
Tool results are the third-party service's answers; an answer marked as an error carries its HTTP status.`

// metaConfigurationRequired is the _meta key of the text answer to a call
// that needs the user to connect.
const metaConfigurationRequired = "dev.portico/configuration_required"

// newServer builds the SDK server of a caller with its tools.
func (h *Handler) newServer(a *portico.Agent, tools []portico.AgentTool, legacy bool) *sdk.Server {
	s := h.emptyServer(legacy)
	listed := map[string]bool{}
	for i := range tools {
		h.addTool(s, a, &tools[i], legacy)
		listed[tools[i].Name] = true
	}
	if legacy {
		// A session lives on: its list follows the app's integrations.
		var mu sync.Mutex
		s.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
			return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
				if method == "tools/list" {
					mu.Lock()
					err := h.syncTools(ctx, s, agentFor(req, a), listed)
					mu.Unlock()
					if err != nil {
						return nil, err
					}
				}
				return next(ctx, method, req)
			}
		})
	}
	return s
}

// emptyServer builds an SDK server without tools.
func (h *Handler) emptyServer(legacy bool) *sdk.Server {
	caps := &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{ListChanged: legacy}}
	// 2025-era clients may set a log level (logging/setLevel); the
	// capability is deprecated from 2026-07-28 on but still served.
	//lint:ignore SA1019 declared for the 2025-era clients that still use it
	caps.Logging = &sdk.LoggingCapabilities{}
	s := sdk.NewServer(&sdk.Implementation{Name: "portico", Title: "Portico", Version: h.opts.Version}, &sdk.ServerOptions{
		Instructions: instructions,
		Logger:       h.sdkLog,
		Capabilities: caps,
		// The list is the caller's own: private, and fresh for a minute.
		SetCacheable: func(_ context.Context, _ sdk.Request, c *sdk.Cacheable) {
			c.CacheScope, c.TTLMs = "private", 60_000
		},
	})
	if legacy {
		// Kept from initialize on, not from the notification that ends it:
		// a client that never sends that has a session all the same, whose
		// stream would hold a graceful shutdown (Close).
		s.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
			return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
				if ss, ok := req.GetSession().(*sdk.ServerSession); ok && method == "initialize" {
					app, principal := "", ""
					if a := agentFor(req, nil); a != nil {
						app, principal = a.App.ID, a.Principal()
					}
					h.track(ss, app, principal)
				}
				return next(ctx, method, req)
			}
		})
	}
	return s
}

// maxCallServers bounds the stateless servers kept for tools/call.
const maxCallServers = 1024

// callServer returns the server of a stateless tools/call of t (nil: a
// tool the caller may not use, which the server answers as unknown). One
// server is kept per tool as callers see it and shared by its calls, which
// read the caller and the resolved tool from their request (call):
// building a server and registering its tool was a sixth of what the SDK's
// decoding allocates per call (bench/README.md, "MCP").
func (h *Handler) callServer(t *portico.AgentTool) *sdk.Server {
	key := ""
	if t != nil {
		key = callServerKey(t)
	}
	h.mu.Lock()
	s, ok := h.callServers[key]
	h.mu.Unlock()
	if ok {
		return s
	}
	s = h.emptyServer(false)
	if t != nil {
		s.AddTool(sdkTool(t), func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			c := ctx.Value(callKey{}).(*call)
			return h.callTool(ctx, c.agent, c.tool, req)
		})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if kept, ok := h.callServers[key]; ok {
		return kept
	}
	if len(h.callServers) >= maxCallServers {
		for k := range h.callServers {
			delete(h.callServers, k)
			break
		}
	}
	h.callServers[key] = s
	return s
}

// callServerKey is everything of t its server announces.
func callServerKey(t *portico.AgentTool) string {
	hints := []byte{'0', '0', '0', '0'}
	for i, on := range []bool{t.Hints.ReadOnly, t.Hints.Destructive, t.Hints.Idempotent, t.Hints.OpenWorld} {
		if on {
			hints[i] = '1'
		}
	}
	return strings.Join([]string{t.Name, t.Title, t.Description, string(t.InputSchema), t.Integration.Slug, string(hints)}, "\x00")
}

// syncTools brings a session's server up to the caller's tools; listed
// holds the names the server has.
func (h *Handler) syncTools(ctx context.Context, s *sdk.Server, a *portico.Agent, listed map[string]bool) error {
	tools, err := h.svc.AgentTools(ctx, a)
	if err != nil {
		return h.internalError(err)
	}
	now := map[string]bool{}
	for i := range tools {
		now[tools[i].Name] = true
		if !listed[tools[i].Name] {
			h.addTool(s, a, &tools[i], true)
			listed[tools[i].Name] = true
		}
	}
	var gone []string
	for name := range listed {
		if !now[name] {
			gone = append(gone, name)
			delete(listed, name)
		}
	}
	if len(gone) > 0 {
		s.RemoveTools(gone...)
	}
	return nil
}

// addTool registers t; recheck tells that the server outlives the request
// (a 2025-era session), so that each call checks the tool again.
func (h *Handler) addTool(s *sdk.Server, a *portico.Agent, t *portico.AgentTool, recheck bool) {
	s.AddTool(sdkTool(t), func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		t, a := t, agentFor(req, a)
		if recheck {
			// A session's list may be older than a change of the app's
			// integrations.
			again, err := h.svc.AgentTool(ctx, a, t.Name)
			if portico.ErrorCode(err) == portico.CodeNotFound {
				return nil, unknownTool(t.Name)
			}
			if err != nil {
				return nil, h.internalError(err)
			}
			t = again
		}
		return h.callTool(ctx, a, t, req)
	})
}

// sdkTool describes t to clients.
func sdkTool(t *portico.AgentTool) *sdk.Tool {
	open := t.Hints.OpenWorld
	tool := &sdk.Tool{Name: t.Name, Title: t.Title, Description: t.Description, InputSchema: t.InputSchema,
		Annotations: &sdk.ToolAnnotations{Title: t.Title, ReadOnlyHint: t.Hints.ReadOnly, IdempotentHint: t.Hints.Idempotent, OpenWorldHint: &open},
		Meta:        sdk.Meta{"dev.portico/integration": t.Integration.Slug}}
	if !t.Hints.ReadOnly {
		d := t.Hints.Destructive
		tool.Annotations.DestructiveHint = &d
	}
	return tool
}

// callTool runs a tool as POST /v1/perform runs its action.
func (h *Handler) callTool(ctx context.Context, a *portico.Agent, t *portico.AgentTool, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	name := t.Name
	args := req.Params.Arguments
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	if sealed := req.Params.RequestState; sealed != "" {
		st, err := h.openState(a, name, args, sealed)
		if err != nil {
			return errorResult("NOT EXECUTED: " + err.Error() + "; call " + name + " again without it."), nil
		}
		if st.Approval != "" {
			answer, _ := req.Params.InputResponses["approve"].(*sdk.ElicitResult)
			if declined := h.decide(ctx, a, t, req, st.Approval, answer); declined != nil {
				return declined, nil
			}
		} else {
			h.awaitConnection(ctx, a, t)
		}
	}
	return h.run(ctx, a, t, args, req, true)
}

// run performs the call and shapes its answer; prompt tells that a call
// waiting for the user's approval may ask the user in the client (once).
func (h *Handler) run(ctx context.Context, a *portico.Agent, t *portico.AgentTool, args json.RawMessage, req *sdk.CallToolRequest, prompt bool) (*sdk.CallToolResult, error) {
	res, err := h.svc.Perform(ctx, a.App, portico.PerformRequest{User: a.Ref, Integration: t.Integration.Slug, Action: t.Action.Name,
		Input: args, Agent: a, Definition: t.Integration, Caller: callerOf(ctx, a, req)})
	var cr *portico.ConnectionRequired
	var ar *portico.ApprovalRequired
	switch {
	case errors.As(err, &cr):
		return h.connectionRequired(ctx, a, t, args, req, cr)
	case errors.As(err, &ar):
		if prompt {
			return h.approvalRequired(ctx, a, t, args, req, ar)
		}
		return approvalLink(t, ar), nil
	case err != nil:
		return h.performError(err, t)
	}
	return h.result(ctx, a, t, res), nil
}

// callerOf is who makes a tool call, for the activity log: the client,
// the key or session the agent authenticated with, and the request.
func callerOf(ctx context.Context, a *portico.Agent, req *sdk.CallToolRequest) portico.Caller {
	c := portico.Caller{Client: clientName(req), KeyID: a.KeyID, RequestID: requestID(ctx, req)}
	if a.Session != nil {
		c.SessionID = a.Session.ID
	}
	return c
}

// requestIDKey and agentKey name the request id and the caller in a
// 2025-era call's TokenInfo.Extra.
const (
	requestIDKey = "portico_request_id"
	agentKey     = "portico_agent"
)

// agentFor is the caller of req as the request that carries it
// authenticated it: a 2025-era session's server was built for the caller
// at initialize, whose user may since have left an account, or been
// deleted and made again. opened is that caller, for a request without
// one.
func agentFor(req sdk.Request, opened *portico.Agent) *portico.Agent {
	if x := req.GetExtra(); x != nil && x.TokenInfo != nil {
		if a, ok := x.TokenInfo.Extra[agentKey].(*portico.Agent); ok {
			return a
		}
	}
	return opened
}

// requestID is the id of the HTTP request that made the call, for its
// activity row: a 2025-era session's calls carry it in their TokenInfo,
// the others in their context.
func requestID(ctx context.Context, req *sdk.CallToolRequest) string {
	if x := req.Extra; x != nil && x.TokenInfo != nil {
		if id, ok := x.TokenInfo.Extra[requestIDKey].(string); ok {
			return id
		}
	}
	return portico.CallerFrom(ctx).RequestID
}

// inputRequired is a 2026-07-28 InputRequiredResult. Its content is an
// empty array, not the null the SDK writes for none: a client that reads a
// tools/call answer as a CallToolResult before it looks at resultType
// would refuse null.
func inputRequired(requests sdk.InputRequestMap, state string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{}, InputRequests: requests, RequestState: state}
}

// approvalRequired asks the user to approve the call in the client when it
// declared form elicitation (a bare elicitation capability is form only):
// a 2026-07-28 client gets an InputRequiredResult, a 2025-era session the
// question itself; any other client the link to the approval screen.
func (h *Handler) approvalRequired(ctx context.Context, a *portico.Agent, t *portico.AgentTool, args json.RawMessage, req *sdk.CallToolRequest, ar *portico.ApprovalRequired) (*sdk.CallToolResult, error) {
	caps := req.ClientCapabilities()
	form := caps != nil && caps.Elicitation != nil && (caps.Elicitation.Form != nil || caps.Elicitation.URL == nil)
	question := &sdk.ElicitParams{Mode: "form", Message: approvalQuestion(t, ar),
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}}
	switch {
	case form && req.ProtocolVersion() >= modern:
		state, err := h.sealState(a, t.Name, args, ar.ApprovalID)
		if err != nil {
			return nil, h.internalError(err)
		}
		return inputRequired(sdk.InputRequestMap{"approve": question}, state), nil
	case form && req.Session != nil && req.Session.ID() != "":
		answer, err := req.Session.Elicit(ctx, question)
		if err != nil {
			return approvalLink(t, ar), nil
		}
		if declined := h.decide(ctx, a, t, req, ar.ApprovalID, answer); declined != nil {
			return declined, nil
		}
		return h.run(ctx, a, t, args, req, false)
	}
	return approvalLink(t, ar), nil
}

// decide records the user's answer to an approval question; it returns
// the tool's answer when the call must not run.
func (h *Handler) decide(ctx context.Context, a *portico.Agent, t *portico.AgentTool, req *sdk.CallToolRequest, id string, answer *sdk.ElicitResult) *sdk.CallToolResult {
	if answer == nil || answer.Action == "cancel" {
		return errorResult("NOT EXECUTED: the user did not answer whether " + t.Title + " may run; call " + t.Name + " again to ask again.")
	}
	if answer.Action != "accept" && answer.Action != "decline" {
		// A client's mistake is not the user's decision: nothing is
		// recorded, and the same question may be answered again.
		return errorResult(fmt.Sprintf("NOT EXECUTED: the answer to whether %s may run has the action %q; it is accept, decline or cancel. Nothing was recorded: answer again.", t.Title, portico.Echo(answer.Action)))
	}
	approve := answer.Action == "accept"
	if _, err := h.svc.DecideAgentApproval(ctx, a, id, approve, callerOf(ctx, a, req)); err != nil && approve {
		return errorResult("NOT EXECUTED: the approval could not be recorded (" + portico.AsError(err).Message + "); call " + t.Name + " again.")
	}
	if !approve {
		return errorResult("NOT EXECUTED: the user declined " + t.Title + ". Do not call it again unless the user asks.")
	}
	return nil
}

// approvalQuestion is what the client shows the user: the call, with
// credentials and secret inputs redacted.
func approvalQuestion(t *portico.AgentTool, ar *portico.ApprovalRequired) string {
	q := "Allow " + t.Title + "? It sends " + ar.Summary.Line() + " to " + t.IntegrationName + "."
	if ar.Summary.Body != "" {
		q += "\nBody: " + ar.Summary.Body
	}
	return q
}

// awaitConnection waits, up to RetryWait, for the user to connect the
// tool's integration, when the user has no usable connection to it.
func (h *Handler) awaitConnection(ctx context.Context, a *portico.Agent, t *portico.AgentTool) {
	user := a.User
	if user == nil {
		// A key's user is created with the session of the first answer.
		again, err := h.svc.AgentFor(ctx, a.App, a.KeyID, a.Ref)
		if err != nil || again.User == nil {
			return
		}
		user = again.User
	}
	ch, stop := h.svc.Connected.Wait(a.App.ID, user.ID, t.Integration.Slug)
	defer stop()
	if ok, err := h.svc.Connectable(ctx, a.App.ID, user, t.Integration); err != nil || ok {
		return
	}
	timer := time.NewTimer(h.opts.RetryWait)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
	case <-ctx.Done():
	case <-h.done:
	}
}

// connectionRequired answers a call that needs the user to connect, in the
// richest form the client declared it can take (docs/mcp.md).
func (h *Handler) connectionRequired(ctx context.Context, a *portico.Agent, t *portico.AgentTool, args json.RawMessage, req *sdk.CallToolRequest, cr *portico.ConnectionRequired) (*sdk.CallToolResult, error) {
	message := connectMessage(cr)
	caps := req.ClientCapabilities()
	urlMode := caps != nil && caps.Elicitation != nil && caps.Elicitation.URL != nil
	if urlMode && req.ProtocolVersion() >= modern {
		state, err := h.sealState(a, t.Name, args, "")
		if err != nil {
			return nil, h.internalError(err)
		}
		return inputRequired(sdk.InputRequestMap{"connect_" + strings.ReplaceAll(t.Integration.Slug, "-", "_"): &sdk.ElicitParams{
			Mode: "url", URL: cr.Link.URL, Message: message}}, state), nil
	}
	if urlMode && req.Session != nil && req.Session.ID() != "" {
		id := portico.NewID("eli_")
		h.notifyWhenConnected(a, t, req.Session, id, cr.Link.ExpiresAt)
		return nil, sdk.URLElicitationRequiredError([]*sdk.ElicitParams{{Mode: "url", ElicitationID: id, URL: cr.Link.URL, Message: message}})
	}
	res := errorResult(fmt.Sprintf("NOT EXECUTED: %s Ask the user to open %s (valid until %s) to %s, then call %s again with the same arguments.\n%s",
		reasonText(cr), cr.Link.URL, cr.Link.ExpiresAt.UTC().Format(time.RFC3339), connectVerb(cr), t.Name,
		hintAt(cr.Link.AssistantHint, "configuration_url", "the URL above")))
	res.Meta = sdk.Meta{metaConfigurationRequired: map[string]any{
		"integration": cr.Integration, "reason": cr.Reason, "url": cr.Link.URL,
		"expires_at": cr.Link.ExpiresAt.UTC().Format(time.RFC3339), "assistant_hint": hintAt(cr.Link.AssistantHint, "configuration_url", "the URL in 'url'")}}
	return res, nil
}

// notifyWhenConnected sends notifications/elicitation/complete on the
// session when the user connects the integration, until the link expires
// or the session ends.
func (h *Handler) notifyWhenConnected(a *portico.Agent, t *portico.AgentTool, ss *sdk.ServerSession, id string, until time.Time) {
	user := a.User
	if user == nil {
		again, err := h.svc.AgentFor(context.Background(), a.App, a.KeyID, a.Ref)
		if err != nil || again.User == nil {
			return
		}
		user = again.User
	}
	ch, stop := h.svc.Connected.Wait(a.App.ID, user.ID, t.Integration.Slug)
	ended := make(chan struct{})
	h.wg.Go(func() {
		defer close(ended)
		ss.Wait()
	})
	h.wg.Go(func() {
		defer stop()
		timer := time.NewTimer(time.Until(until))
		defer timer.Stop()
		select {
		case <-ch:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := ss.NotifyElicitationComplete(ctx, &sdk.ElicitationCompleteParams{ElicitationID: id}); err != nil {
				h.log.Debug("mcp_elicitation_complete_not_sent", "error", err.Error())
			}
		case <-timer.C:
		case <-ended:
		case <-h.done:
		}
	})
}

// approvalLink answers a call that waits for the user's approval: a tool
// error with the link to the approval screen and the same data in _meta
// (docs/activity-and-approvals.md).
func approvalLink(t *portico.AgentTool, ar *portico.ApprovalRequired) *sdk.CallToolResult {
	res := errorResult(fmt.Sprintf("NOT EXECUTED: %s needs the user's approval. Ask the user to open %s (valid until %s) and approve it, then call %s again with the same arguments.\n%s",
		t.Title, ar.Link.URL, ar.ExpiresAt.UTC().Format(time.RFC3339), t.Name, hintAt(ar.Link.AssistantHint, "approval_url", "the URL above")))
	res.Meta = sdk.Meta{"dev.portico/approval_required": map[string]any{
		"integration": ar.Integration, "action": ar.Action, "url": ar.Link.URL,
		"expires_at": ar.ExpiresAt.UTC().Format(time.RFC3339), "assistant_hint": hintAt(ar.Link.AssistantHint, "approval_url", "the URL in 'url'")}}
	return res
}

// hintAt is an assistant hint of the native API, which names the field of
// its answer that holds the URL ("the URL in 'approval_url'"), reworded for
// an MCP result, which holds the URL elsewhere: where says where.
func hintAt(hint, field, where string) string {
	return strings.ReplaceAll(hint, "the URL in '"+field+"'", where)
}

func connectMessage(cr *portico.ConnectionRequired) string {
	return reasonText(cr) + " Open the link to " + connectVerb(cr) + "."
}

func reasonText(cr *portico.ConnectionRequired) string {
	switch cr.Reason {
	case portico.ReasonExpired:
		return "The user's connection to " + cr.IntegrationName + " has expired."
	case portico.ReasonRevoked:
		return "The user's connection to " + cr.IntegrationName + " was revoked."
	}
	return cr.IntegrationName + " is not connected for this user."
}

func connectVerb(cr *portico.ConnectionRequired) string {
	if cr.Reason == portico.ReasonMissing {
		return "connect " + cr.IntegrationName
	}
	return "reconnect " + cr.IntegrationName
}

// performError turns what Perform refused into a tool error the model can
// act on; what is not the call's fault is a JSON-RPC error.
func (h *Handler) performError(err error, t *portico.AgentTool) (*sdk.CallToolResult, error) {
	e := portico.AsError(err)
	switch e.Code {
	case portico.CodeValidation, portico.CodeInvalid:
		msg := "Invalid arguments: " + e.Message
		if e.Field != "" {
			msg = "Invalid arguments (" + strings.TrimPrefix(e.Field, "input.") + "): " + e.Message
		}
		return errorResult(msg), nil
	case portico.CodeForbidden:
		return errorResult("NOT EXECUTED: " + e.Message), nil
	case portico.CodeUpstreamUnreachable:
		if e.NotSent {
			return errorResult("NOT EXECUTED: " + t.IntegrationName + " could not be reached: " + e.Message), nil
		}
		// A redirect refused, an answer too large, a connection lost: the
		// upstream may have acted on the call.
		return errorResult(t.IntegrationName + " was called, but its answer could not be passed on; the request may or may not have taken effect: " + e.Message), nil
	case portico.CodeUpstreamTimeout:
		return errorResult(t.IntegrationName + " did not answer in time; the request may or may not have taken effect: " + e.Message), nil
	case portico.CodeRateLimited:
		return errorResult("NOT EXECUTED: " + e.Message), nil
	}
	return nil, h.internalError(err)
}

// result shapes an upstream answer: JSON bodies as structured content
// (an object as it is, another value under "result") and as text; a
// 4xx or 5xx is an error result with the status; past the app's
// mcp_max_result_bytes the text is cut, with a marker saying so, and the
// structured content left out.
func (h *Handler) result(ctx context.Context, a *portico.Agent, t *portico.AgentTool, res *portico.PerformResult) *sdk.CallToolResult {
	text := string(res.Body)
	if res.BodyEncoding == portico.BodyText {
		var s string
		if json.Unmarshal(res.Body, &s) == nil {
			text = s
		}
	}
	out := &sdk.CallToolResult{}
	if res.Status >= 400 {
		out.IsError = true
		text = fmt.Sprintf("%s answered HTTP %d %s: %s", t.IntegrationName, res.Status, http.StatusText(res.Status), text)
	} else if res.BodyEncoding == portico.BodyJSON {
		if len(res.Body) > 0 && res.Body[0] == '{' {
			out.StructuredContent = res.Body
		} else {
			out.StructuredContent = map[string]json.RawMessage{"result": res.Body}
		}
	} else if res.BodyEncoding == portico.BodyNone {
		text = fmt.Sprintf("%s answered HTTP %d %s with no body.", t.IntegrationName, res.Status, http.StatusText(res.Status))
	}
	limit := a.App.Settings.MCPMaxResultBytes
	if len(text) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + fmt.Sprintf("\n[Portico cut this result: it was %d bytes, over the app's limit of %d (mcp_max_result_bytes). Ask for less, e.g. with a smaller page size.]",
			len(text), limit)
		out.StructuredContent = nil
	}
	out.Content = []sdk.Content{&sdk.TextContent{Text: text}}
	return out
}

func errorResult(text string) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: text}}}
}

// unknownTool is the JSON-RPC error of a tool the caller may not use.
func unknownTool(name string) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown tool %q", name)}
}

// internalError logs what failed and tells the client only that something
// did; a store that is down is worth a retry.
func (h *Handler) internalError(err error) error {
	if portico.ErrorCode(err) == portico.CodeUnavailable {
		return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "Portico is unavailable for a moment; retry in a second."}
	}
	h.log.Error("mcp_call_failed", "error", err.Error())
	return &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error"}
}

// clientName is how the activity log names an MCP caller: mcp:<the name
// the client gave in clientInfo>.
func clientName(req *sdk.CallToolRequest) string {
	if ci := req.ClientInfo(); ci != nil {
		return clientLabel(ci.Name)
	}
	return "mcp"
}

// maxClientName bounds the client's name in the activity log, in
// characters: a client names itself, so its name is kept short and
// printable ("mcp:" and the name; "mcp" when nothing printable is left).
const maxClientName = 64

func clientLabel(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n == maxClientName {
			break
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			continue
		}
		b.WriteRune(r)
		n++
	}
	if clean := strings.TrimSpace(b.String()); clean != "" {
		return "mcp:" + clean
	}
	return "mcp"
}
