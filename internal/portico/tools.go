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
}

// ToolName is the function name of an action.
func ToolName(slug, action string) string { return slug + ToolSeparator + action }

// Tools lists the actions of an app's integrations as tools, oldest
// integration first, actions in their declared order. With a userID, only
// the integrations the user may use (their account restriction admits the
// user; CodeNotFound for an unknown user); with "", every action.
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
	out := []Tool{}
	for _, in := range all {
		if user != nil && !in.VisibleTo(user) {
			continue
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
			out = append(out, Tool{Name: ToolName(in.Slug, a.Name), Integration: in.Slug, Action: a.Name, Description: desc, Parameters: params})
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
