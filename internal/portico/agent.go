package portico

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
)

// Agent is a caller of tools over MCP (docs/mcp.md): an end user's
// session, through its token, or an app's server-side agent acting for one
// of the app's users with a key that holds PermissionActAsUser.
type Agent struct {
	App *App
	// Session is the caller's session; nil for a key.
	Session *Session
	// User is the user the agent acts for; nil when a key names a user the
	// app does not have yet (created, as on session creation, when a
	// configuration URL is needed).
	User *User
	// Ref names the user for Perform.
	Ref UserRef
	// KeyID is the key's id; "" for a session.
	KeyID string
}

// Principal identifies the caller for binding state to it: the session,
// or the key and the user it names.
func (a *Agent) Principal() string {
	switch {
	case a.Session != nil:
		return "session:" + a.Session.ID
	case a.Ref.ExternalID != nil:
		return "key:" + a.KeyID + ":external_id:" + *a.Ref.ExternalID
	case a.Ref.Email != nil:
		return "key:" + a.KeyID + ":email:" + *a.Ref.Email
	}
	return "key:" + a.KeyID
}

// AgentTool is a tool an agent may use.
type AgentTool struct {
	Name            string // ToolName(Integration.Slug, Action.Name)
	Title           string
	Description     string
	InputSchema     json.RawMessage
	Hints           ToolHints
	Integration     *Integration
	Action          *Action
	IntegrationName string
}

// AgentFor returns the agent of a key caller acting for the user ref
// names (an external id or an email; see UserRef). The user is looked up,
// not created.
func (s *Service) AgentFor(ctx context.Context, app *App, keyID string, ref UserRef) (*Agent, error) {
	if ref.ID != nil {
		return nil, Invalidf("user", "Name the user by external id or email.")
	}
	if err := ref.check(); err != nil {
		return nil, err
	}
	u, err := s.findUserRef(ctx, app.ID, ref)
	if err != nil {
		return nil, err
	}
	return &Agent{App: app, User: u, Ref: ref, KeyID: keyID}, nil
}

// SessionAgent returns the agent of a session's own token.
func SessionAgent(app *App, sess *Session, user *User) *Agent {
	return &Agent{App: app, Session: sess, User: user, Ref: UserRef{ID: &user.ID}}
}

// AgentTools lists the tools the agent may use, by name: the actions of
// the app's integrations that the session's settings show, whose account
// restriction admits the user, and that settings.tools admits. Whether
// the user has connected them does not matter, so that the list does not
// change when the user connects one.
func (s *Service) AgentTools(ctx context.Context, a *Agent) ([]AgentTool, error) {
	all, err := s.store.ListIntegrations(ctx, a.App.ID, ListQuery{Limit: MaxIntegrationsPerApp + 1})
	if err != nil {
		return nil, err
	}
	st, err := a.settings()
	if err != nil {
		return nil, err
	}
	out := []AgentTool{}
	for i := range all {
		in := &all[i]
		for j := range in.Actions {
			if t, ok := a.tool(st, in, &in.Actions[j]); ok {
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, func(x, y AgentTool) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// AgentTool finds one of the agent's tools by name; CodeNotFound when the
// app has no such tool or the agent may not use it.
func (s *Service) AgentTool(ctx context.Context, a *Agent, name string) (*AgentTool, error) {
	in, act, err := s.FindTool(ctx, a.App.ID, name)
	if err != nil {
		return nil, err
	}
	st, err := a.settings()
	if err != nil {
		return nil, err
	}
	t, ok := a.tool(st, in, act)
	if !ok {
		return nil, NotFound("Tool")
	}
	return &t, nil
}

func (a *Agent) settings() (SessionSettings, error) {
	if a.Session == nil {
		return SessionSettings{}, nil
	}
	return SessionSettingsOf(a.Session)
}

// tool returns the action as a tool, if the agent may use it.
func (a *Agent) tool(st SessionSettings, in *Integration, act *Action) (AgentTool, bool) {
	if !st.Shows(in) || !in.VisibleTo(a.User) {
		return AgentTool{}, false
	}
	name := ToolName(in.Slug, act.Name)
	h := act.Hints()
	if !st.Tools.Admits(name, h) {
		return AgentTool{}, false
	}
	desc := act.Description
	if desc == "" {
		desc = strings.ReplaceAll(act.Name, "-", " ") + "."
	}
	schema := act.InputSchema
	if len(schema) == 0 {
		schema = json.RawMessage(`{"type":"object","properties":{}}`)
	}
	// A schema nesting past the limit can be stored only by an
	// integration defined before the limit was checked. Offered, it would
	// fail the whole tool list (MCP clients refuse such schemas), so the
	// action is left out until the integration is put again.
	if JSONDepth(schema) > MaxInputSchemaDepth {
		return AgentTool{}, false
	}
	return AgentTool{Name: name, Title: in.Name + ": " + actionTitle(act.Name), Description: in.Name + ": " + desc,
		InputSchema: schema, Hints: h, Integration: in, Action: act, IntegrationName: in.Name}, true
}

// actionTitle reads an action name as words: list-repos is "List repos".
func actionTitle(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
	if len(words) == 0 {
		return name
	}
	words[0] = strings.ToUpper(words[0][:1]) + words[0][1:]
	return strings.Join(words, " ")
}
