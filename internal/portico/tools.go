package portico

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

// Tool names are <integration>_<action>, lower case, with every character
// other than a-z, 0-9 and _ turned into _: github_list_repos. They match
// ^[a-z][a-z0-9_]{0,47}$, the strictest rule among agent clients: a letter
// first (some model APIs), no dots or dashes (Claude Desktop, OpenAI
// function names), and room for the prefix a client adds
// (mcp__<server>__) within the 60–64 characters clients accept
// (docs/mcp.md).
const MaxToolNameLen = 48

var toolNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// Tool is an action offered to an agent as a function definition.
type Tool struct {
	Name        string // ToolName(integration, action)
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
func ToolName(slug, action string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, slug+"_"+action)
}

// checkToolName refuses an action whose tool name breaks the pattern.
func checkToolName(slug, action, field string) error {
	name := ToolName(slug, action)
	if len(name) > MaxToolNameLen {
		return Invalidf(field, "The tool name %s is %d characters; agent clients accept at most %d: shorten the action name or the slug.",
			name, len(name), MaxToolNameLen)
	}
	if !toolNameRe.MatchString(name) {
		return Invalidf(field, "The tool name %s must start with a letter: give the integration a slug that starts with one.", name)
	}
	return nil
}

// ToolCollision refuses an integration one of whose tools would have the
// name of a tool of another of the app's integrations: others maps each
// other integration's slug to its actions' names (the tools of one
// integration are told apart by Integration.Validate). The store runs it
// in the transaction that writes the integration, after the app's
// integrations are locked against a concurrent PUT.
func ToolCollision(in *Integration, others map[string][]string) error {
	taken := map[string]string{}
	for slug, actions := range others {
		if slug == in.Slug {
			continue
		}
		for _, a := range actions {
			taken[ToolName(slug, a)] = slug
		}
	}
	for i, a := range in.Actions {
		if other, ok := taken[ToolName(in.Slug, a.Name)]; ok {
			return Invalidf(fmtField("actions", i)+".name", "The tool name %s is already the name of a tool of integration %s: rename the action.",
				ToolName(in.Slug, a.Name), other)
		}
	}
	return nil
}

// Tools lists the actions of an app's integrations as tools, oldest
// integration first, actions in their declared order. With a userID, only
// the integrations the user may use (their account restriction admits the
// user; CodeNotFound for an unknown user), each marked Connected or not;
// with "", every action.
func (s *Service) Tools(ctx context.Context, appID, userID string) ([]Tool, error) {
	var user *User
	if userID != "" {
		u, err := s.store.FindUserByID(ctx, appID, userID)
		if err != nil {
			return nil, err
		}
		user = u
	}
	all, err := s.store.ListIntegrations(ctx, appID, ListQuery{Limit: MaxIntegrationsPerApp + 1})
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

// FindTool resolves a tool name to its integration and action;
// CodeNotFound when none names an existing action. A tool name does not
// say where the slug ends, nor which of its _ were - in the slug: the
// integrations of each prefix before an _, with its _ read both ways, are
// read in one query, up to a bound past which every integration is listed
// instead. Names are unique in an app (PutIntegration refuses a
// collision), so the first match is the one.
func (s *Service) FindTool(ctx context.Context, appID, name string) (*Integration, *Action, error) {
	if !toolNameRe.MatchString(name) {
		return nil, nil, NotFound("Tool")
	}
	match := func(in *Integration) (*Integration, *Action, bool) {
		for k := range in.Actions {
			if ToolName(in.Slug, in.Actions[k].Name) == name {
				return in, &in.Actions[k], true
			}
		}
		return nil, nil, false
	}
	// The spellings of every prefix, shortest prefix first.
	const maxSlugs = 64
	var slugs []string
	for i := strings.IndexByte(name, '_'); i > 0; {
		if slugs = append(slugs, slugSpellings(name[:i])...); len(slugs) > maxSlugs {
			return s.findToolByListing(ctx, appID, match)
		}
		j := strings.IndexByte(name[i+1:], '_')
		if j < 0 {
			break
		}
		i += j + 1
	}
	found, err := s.store.FindIntegrations(ctx, appID, slugs)
	if err != nil {
		return nil, nil, err
	}
	for _, slug := range slugs {
		for k := range found {
			if found[k].Slug != slug {
				continue
			}
			if in, a, ok := match(&found[k]); ok {
				return in, a, nil
			}
		}
	}
	return nil, nil, NotFound("Tool")
}

func (s *Service) findToolByListing(ctx context.Context, appID string, match func(*Integration) (*Integration, *Action, bool)) (*Integration, *Action, error) {
	all, err := s.store.ListIntegrations(ctx, appID, ListQuery{Limit: MaxIntegrationsPerApp + 1})
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		if in, a, ok := match(&all[i]); ok {
			return in, a, nil
		}
	}
	return nil, nil, NotFound("Tool")
}

// slugSpellings are the slugs whose tool-name form is p: each _ of p may
// have been a _ or a - (at most 2^6 spellings; the caller bounds its
// tries).
func slugSpellings(p string) []string {
	out := []string{p}
	for i := 0; i < len(p) && len(out) < 64; i++ {
		if p[i] != '_' {
			continue
		}
		for _, o := range out[:len(out):len(out)] {
			out = append(out, o[:i]+"-"+o[i+1:])
		}
	}
	return out
}
