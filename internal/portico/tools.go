package portico

import (
	"context"
	"encoding/json"
	"strings"
)

// ToolSeparator joins an integration's slug and an action's name into a
// tool name: github__list-repos.
const ToolSeparator = "__"

// Tool is an action offered to an agent as a function definition.
type Tool struct {
	Name        string // <integration>__<action>
	Integration string
	Action      string
	Description string
	// Parameters is the action's input schema.
	Parameters json.RawMessage
	// Connected, when the tools are a user's, tells whether the user can
	// use the tool now: the integration takes no credentials, or the
	// user's connection to it is connected (a perform would not answer
	// connection_required for a missing, expired or revoked one). Nil for
	// the app's tools.
	Connected *bool
}

// ToolName is the function name of an action.
func ToolName(slug, action string) string { return slug + ToolSeparator + action }

// Tools lists the actions of an app's integrations as tools, oldest
// integration first, actions in their declared order. With a userID, only
// the integrations the user may use (their account restriction admits the
// user; CodeNotFound for an unknown user), each marked Connected or not;
// with "", every action.
func (s *Service) Tools(ctx context.Context, appID, userID string) ([]Tool, error) {
	var user *User
	if userID != "" {
		u, err := s.Store.FindUserByID(ctx, appID, userID)
		if err != nil {
			return nil, err
		}
		user = u
	}
	all, err := s.Store.ListIntegrations(ctx, appID, ListQuery{Limit: MaxIntegrationsPerApp + 1})
	if err != nil {
		return nil, err
	}
	ins := []Integration{}
	for _, in := range all {
		if user == nil || in.VisibleTo(user) {
			ins = append(ins, in)
		}
	}
	var states []IntegrationState
	if user != nil {
		if states, err = s.integrationStates(ctx, appID, user, ins); err != nil {
			return nil, err
		}
	}
	out := []Tool{}
	for i, in := range ins {
		var connected *bool
		if user != nil {
			c := in.Auth.Type == AuthNone || states[i].Status == StatusConnected
			connected = &c
		}
		for _, a := range in.Actions {
			desc := a.Description
			if desc == "" {
				desc = in.Name + ": " + a.Name + "."
			}
			params := a.InputSchema
			if len(params) == 0 {
				params = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			out = append(out, Tool{Name: ToolName(in.Slug, a.Name), Integration: in.Slug, Action: a.Name, Description: desc, Parameters: params,
				Connected: connected})
		}
	}
	return out, nil
}

// FindTool resolves a tool name to its integration and action. Slugs and
// action names may themselves contain "__", so every split is tried;
// CodeNotFound when none names an existing action.
func (s *Service) FindTool(ctx context.Context, appID, name string) (*Integration, *Action, error) {
	for i := 0; ; {
		j := strings.Index(name[i:], ToolSeparator)
		if j < 0 {
			return nil, nil, NotFound("Tool")
		}
		slug, action := name[:i+j], name[i+j+len(ToolSeparator):]
		i += j + 1
		if !slugRe.MatchString(slug) {
			continue
		}
		in, err := s.Store.FindIntegration(ctx, appID, slug)
		if ErrorCode(err) == CodeNotFound {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		for k := range in.Actions {
			if in.Actions[k].Name == action {
				return in, &in.Actions[k], nil
			}
		}
	}
}
