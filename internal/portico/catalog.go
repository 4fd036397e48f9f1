package portico

import (
	"encoding/json"
	"maps"
	"slices"
)

// The built-in catalogue: integration templates an app selects with
// "template", so that naming its own OAuth2 client (or nothing, for API-key
// providers) is enough. A PUT's own fields replace the template's.
//
// Two providers have no single API host: Salesforce serves each org from
// its own instance and Jira each site from its own subdomain. Their
// templates leave base_url empty, and a PUT must give it.

func bearer(field string) *Inject {
	return &Inject{Header: "Authorization", Format: "Bearer {" + field + "}"}
}

func scopes(names ...string) []Scope {
	out := []Scope{}
	for _, n := range names {
		out = append(out, Scope{Name: n})
	}
	return out
}

func schema(s string) json.RawMessage { return json.RawMessage(s) }

var catalog = map[string]Integration{
	"github": {
		Name: "GitHub", Category: "code", BaseURL: "https://api.github.com",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://github.com/login/oauth/authorize",
			TokenURL:     "https://github.com/login/oauth/access_token",
			Scopes:       scopes("repo", "read:user"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "get-user", Description: "Get the authenticated GitHub user.", Method: "GET", Path: "/user"},
			{Name: "list-repos", Description: "List the repositories of the authenticated user.", Method: "GET", Path: "/user/repos",
				InputSchema: schema(`{"type":"object","properties":{"visibility":{"type":"string","enum":["all","public","private"]},"per_page":{"type":"integer","minimum":1,"maximum":100},"page":{"type":"integer","minimum":1}}}`)},
			{Name: "create-issue", Description: "Open an issue in a repository.", Method: "POST", Path: "/repos/{owner}/{repo}/issues",
				InputSchema: schema(`{"type":"object","properties":{"owner":{"type":"string"},"repo":{"type":"string"},"title":{"type":"string"},"body":{"type":"string"}},"required":["owner","repo","title"]}`)},
		},
	},
	"google": {
		Name: "Google", Category: "identity", BaseURL: "https://www.googleapis.com",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			// access_type=offline and prompt=consent make Google issue a
			// refresh token.
			AuthorizeURL: "https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&prompt=consent",
			TokenURL:     "https://oauth2.googleapis.com/token",
			Scopes:       scopes("openid", "email", "profile"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "get-userinfo", Description: "Get the Google account's profile.", Method: "GET", Path: "/oauth2/v3/userinfo"},
		},
	},
	"google-calendar": {
		Name: "Google Calendar", Category: "calendar", BaseURL: "https://www.googleapis.com/calendar/v3",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&prompt=consent",
			TokenURL:     "https://oauth2.googleapis.com/token",
			Scopes:       scopes("https://www.googleapis.com/auth/calendar.events"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "list-calendars", Description: "List the user's calendars.", Method: "GET", Path: "/users/me/calendarList"},
			{Name: "list-events", Description: "List events of a calendar (\"primary\" for the main one).", Method: "GET", Path: "/calendars/{calendar_id}/events",
				InputSchema: schema(`{"type":"object","properties":{"calendar_id":{"type":"string","default":"primary"},"timeMin":{"type":"string","format":"date-time"},"timeMax":{"type":"string","format":"date-time"},"maxResults":{"type":"integer","minimum":1,"maximum":2500}},"required":["calendar_id"]}`)},
		},
	},
	"slack": {
		Name: "Slack", Category: "communication", BaseURL: "https://slack.com/api",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://slack.com/oauth/v2/authorize",
			TokenURL:     "https://slack.com/api/oauth.v2.access",
			Scopes:       scopes("channels:read", "chat:write"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "list-channels", Description: "List the workspace's public channels.", Method: "GET", Path: "/conversations.list",
				InputSchema: schema(`{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":1000},"cursor":{"type":"string"}}}`)},
			{Name: "post-message", Description: "Post a message to a channel.", Method: "POST", Path: "/chat.postMessage",
				InputSchema: schema(`{"type":"object","properties":{"channel":{"type":"string"},"text":{"type":"string"}},"required":["channel","text"]}`)},
		},
	},
	"notion": {
		Name: "Notion", Category: "knowledge-base", BaseURL: "https://api.notion.com/v1",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://api.notion.com/v1/oauth/authorize?owner=user",
			TokenURL:     "https://api.notion.com/v1/oauth/token",
			Scopes:       scopes(),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "search", Description: "Search the pages and databases shared with the integration.", Method: "POST", Path: "/search",
				InputSchema: schema(`{"type":"object","properties":{"query":{"type":"string"}}}`)},
			{Name: "get-page", Description: "Get a page.", Method: "GET", Path: "/pages/{page_id}",
				InputSchema: schema(`{"type":"object","properties":{"page_id":{"type":"string"}},"required":["page_id"]}`)},
		},
	},
	"hubspot": {
		Name: "HubSpot", Category: "crm", BaseURL: "https://api.hubapi.com",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://app.hubspot.com/oauth/authorize",
			TokenURL:     "https://api.hubapi.com/oauth/v1/token",
			Scopes:       scopes("crm.objects.contacts.read"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "list-contacts", Description: "List CRM contacts.", Method: "GET", Path: "/crm/v3/objects/contacts",
				InputSchema: schema(`{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":100},"after":{"type":"string"}}}`)},
		},
	},
	"salesforce": {
		Name: "Salesforce", Category: "crm",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://login.salesforce.com/services/oauth2/authorize",
			TokenURL:     "https://login.salesforce.com/services/oauth2/token",
			Scopes:       scopes("api", "refresh_token"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "query", Description: "Run a SOQL query.", Method: "GET", Path: "/services/data/v60.0/query",
				InputSchema: schema(`{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}`)},
		},
	},
	"stripe": {
		Name: "Stripe", Category: "payments", BaseURL: "https://api.stripe.com",
		Auth: AuthConfig{Type: AuthAPIKey, Fields: []Field{{Name: "api_key", Label: "Secret key", Secret: true}}, Inject: bearer("api_key")},
		Actions: []Action{
			{Name: "get-balance", Description: "Get the account balance.", Method: "GET", Path: "/v1/balance"},
			{Name: "list-customers", Description: "List customers.", Method: "GET", Path: "/v1/customers",
				InputSchema: schema(`{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":100},"email":{"type":"string"}}}`)},
		},
	},
	"linear": {
		Name: "Linear", Category: "issue-tracking", BaseURL: "https://api.linear.app",
		Auth: AuthConfig{Type: AuthOAuth2, OAuth2: &OAuth2Config{
			AuthorizeURL: "https://linear.app/oauth/authorize",
			TokenURL:     "https://api.linear.app/oauth/token",
			Scopes:       scopes("read"),
		}, Inject: bearer(TokenAccess)},
		Actions: []Action{
			{Name: "graphql", Description: "Run a Linear GraphQL query.", Method: "POST", Path: "/graphql",
				InputSchema: schema(`{"type":"object","properties":{"query":{"type":"string"},"variables":{"type":"object"}},"required":["query"]}`)},
		},
	},
	"jira": {
		Name: "Jira", Category: "issue-tracking",
		Auth: AuthConfig{Type: AuthBasic, Fields: []Field{
			{Name: "username", Label: "Atlassian account email"},
			{Name: "password", Label: "API token", Secret: true},
		}},
		Actions: []Action{
			{Name: "search-issues", Description: "Search issues with JQL.", Method: "GET", Path: "/rest/api/3/search",
				InputSchema: schema(`{"type":"object","properties":{"jql":{"type":"string"},"maxResults":{"type":"integer","minimum":1,"maximum":100}},"required":["jql"]}`)},
			{Name: "get-issue", Description: "Get an issue by key, e.g. PROJ-12.", Method: "GET", Path: "/rest/api/3/issue/{issue_key}",
				InputSchema: schema(`{"type":"object","properties":{"issue_key":{"type":"string"}},"required":["issue_key"]}`)},
		},
	},
	"openai": {
		Name: "OpenAI", Category: "ai", BaseURL: "https://api.openai.com/v1",
		Auth: AuthConfig{Type: AuthAPIKey, Fields: []Field{{Name: "api_key", Label: "API key", Secret: true}}, Inject: bearer("api_key")},
		Actions: []Action{
			{Name: "list-models", Description: "List the models available to the key.", Method: "GET", Path: "/models"},
			{Name: "create-chat-completion", Description: "Create a chat completion.", Method: "POST", Path: "/chat/completions",
				InputSchema: schema(`{"type":"object","properties":{"model":{"type":"string"},"messages":{"type":"array","items":{"type":"object"}}},"required":["model","messages"]}`)},
		},
	},
}

// Template returns a fresh copy of the catalogue template slug, with
// Template set to slug.
func Template(slug string) (Integration, bool) {
	t, ok := catalog[slug]
	if !ok {
		return Integration{}, false
	}
	// A deep copy through the storage form: validation normalises a
	// definition in place, and the catalogue is shared by every request.
	b, err := json.Marshal(t)
	if err != nil {
		panic("catalog: " + err.Error())
	}
	var out Integration
	if err := json.Unmarshal(b, &out); err != nil {
		panic("catalog: " + err.Error())
	}
	if out.Auth.OAuth2 != nil {
		out.Auth.OAuth2.ClientSecret = ""
	}
	out.Template = slug
	return out, true
}

// TemplateSlugs lists the catalogue, sorted.
func TemplateSlugs() []string { return slices.Sorted(maps.Keys(catalog)) }
