package superface

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// maxErrorBody bounds the part of an upstream's error body quoted in
// "error".
const maxErrorBody = 1000

// functionDef is one OpenAI function definition of GET /api/hub/fd.
type functionDef struct {
	Type     string   `json:"type"`
	Function function `json:"function"`
}

type function struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// handleFunctions lists every action of the app as a function definition
// named <integration>__<action>. The list is the app's, not a user's: the
// header naming a user is not needed, and ignored when sent.
func (h *handler) handleFunctions(w http.ResponseWriter, r *http.Request) error {
	app, err := h.authenticate(r)
	if err != nil {
		return err
	}
	tools, err := h.Service.Tools(r.Context(), app.ID, "")
	if err != nil {
		return err
	}
	out := make([]functionDef, len(tools))
	for i, t := range tools {
		out[i] = functionDef{Type: "function", Function: function{Name: t.Name, Description: t.Description, Parameters: t.Parameters}}
	}
	compat.WriteJSON(w, http.StatusOK, out)
	return nil
}

// toolState is the answer of GET /api/hub/tools/{name}.
type toolState struct {
	ProviderID string `json:"providerId"`
	Connected  bool   `json:"connected"`
}

// handleTool tells whether the user can use an integration now. The name
// is an integration's slug or a function name <integration>_<action>.
func (h *handler) handleTool(w http.ResponseWriter, r *http.Request) error {
	app, uid, err := h.caller(r)
	if err != nil {
		return err
	}
	// A function name first, as the SDK means it; then an integration's
	// slug. A slug may read like another integration's function name.
	name := r.PathValue("name")
	slug := name
	if in, _, err := h.Service.FindTool(r.Context(), app.ID, name); err == nil {
		slug = in.Slug
	} else if portico.ErrorCode(err) != portico.CodeNotFound {
		return err
	}
	integ, connected, err := h.Service.IntegrationConnected(r.Context(), app.ID, uid, slug)
	if portico.ErrorCode(err) == portico.CodeNotFound {
		return portico.Errorf(portico.CodeNotFound, "No tool named %q: give an integration's slug or a function name from /api/hub/fd.", name)
	}
	if err != nil {
		return err
	}
	compat.WriteJSON(w, http.StatusOK, toolState{ProviderID: integ.Slug, Connected: connected})
	return nil
}

// performAnswer is every 200 answer of POST /api/hub/perform/{name}; the
// fields of its status are set, the others left out.
type performAnswer struct {
	Status           string           `json:"status"`
	ActionType       string           `json:"action_type,omitempty"`
	ActionURL        string           `json:"action_url,omitempty"`
	ConfigurationURL string           `json:"configuration_url,omitempty"`
	Error            string           `json:"error,omitempty"`
	AssistantHint    string           `json:"assistant_hint"`
	Result           *json.RawMessage `json:"result,omitempty"`
}

// handlePerform calls an action for the user. What the agent can act on
// is a 200 answer whose status says what happened: success (the upstream
// answered 1xx–3xx; result is its body), requires_action (the user must
// connect the integration first, action_type configure_access, or approve
// the call, action_type confirm), error (the upstream answered 4xx or
// 5xx, could not be reached, the arguments do not fit the schema, or no
// function has this name). Only what the calling code must fix — the key,
// the user header, a body that is not JSON — is an HTTP error.
func (h *handler) handlePerform(w http.ResponseWriter, r *http.Request) error {
	app, uid, err := h.caller(r)
	if err != nil {
		return err
	}
	args, err := readArgs(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	integ, action, err := h.Service.FindTool(r.Context(), app.ID, name)
	if portico.ErrorCode(err) == portico.CodeNotFound {
		compat.WriteJSON(w, http.StatusOK, unknownFunction(name))
		return nil
	}
	if err != nil {
		return err
	}
	res, err := h.Service.Perform(r.Context(), app, portico.PerformRequest{
		User: portico.UserRef{ExternalID: &uid}, Integration: integ.Slug, Action: action.Name, Input: args,
		Caller: portico.CallerFrom(r.Context())})
	if err != nil {
		ans, ok := h.performError(integ, name, err)
		if !ok {
			return err
		}
		compat.WriteJSON(w, http.StatusOK, ans)
		return nil
	}
	if res.Status >= 400 {
		compat.WriteJSON(w, http.StatusOK, performAnswer{Status: "error", Error: upstreamError(integ.Name, res),
			AssistantHint: integ.Name + " refused the request (HTTP " + strconv.Itoa(res.Status) + "). Use 'error' to tell the user what went wrong, or correct the arguments and call the function again."})
		return nil
	}
	compat.WriteJSON(w, http.StatusOK, performAnswer{Status: "success", Result: &res.Body,
		AssistantHint: "The function ran: 'result' is the answer of " + integ.Name + ". Use it to answer the user."})
	return nil
}

// readArgs reads the function arguments by the native API's rules for a
// body (jsonbody: at most 1 MiB, not compressed, valid UTF-8, no key named
// twice); an empty body is no arguments. Their shape is the action
// schema's business.
func readArgs(r *http.Request) (json.RawMessage, error) {
	body, err := jsonbody.Read(r, false, true)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return json.RawMessage("{}"), nil
	}
	if err := jsonbody.Check(body); err != nil {
		return nil, err
	}
	return body, nil
}

// performError turns the errors the agent can act on into an answer; ok
// is false for the others, which are HTTP errors.
func (h *handler) performError(integ *portico.Integration, name string, err error) (performAnswer, bool) {
	var cr *portico.ConnectionRequired
	if errors.As(err, &cr) {
		url := cr.Link.URL
		return performAnswer{Status: "requires_action", ActionType: "configure_access", ActionURL: url, ConfigurationURL: url,
			AssistantHint: "Tell user to go to URL at 'action_url' to configure access to '" + cr.Integration + "'. " + reasonText(cr) +
				" Always show the whole URL to the user. The 'action_url' expires in " + portico.HumanDuration(cr.Link.ExpiresAt.Sub(h.Service.Now())) + "."}, true
	}
	var ar *portico.ApprovalRequired
	if errors.As(err, &ar) {
		return performAnswer{Status: "requires_action", ActionType: "confirm", ActionURL: ar.Link.URL,
			AssistantHint: strings.ReplaceAll(ar.Link.AssistantHint, "'approval_url'", "'action_url'")}, true
	}
	e := portico.AsError(err)
	switch e.Code {
	case portico.CodeValidation, portico.CodeInvalid:
		return performAnswer{Status: "error", Error: e.Message,
			AssistantHint: "The arguments do not fit the parameters of '" + name + "'. Correct them as 'error' says and call the function again."}, true
	case portico.CodeNotFound:
		// The action was removed between the lookup and the call.
		return unknownFunction(name), true
	case portico.CodeForbidden:
		return performAnswer{Status: "error", Error: e.Message,
			AssistantHint: "Tell the user that " + integ.Name + " is not available to them."}, true
	case portico.CodeUpstreamUnreachable, portico.CodeUpstreamTimeout:
		return performAnswer{Status: "error", Error: e.Message,
			AssistantHint: integ.Name + " could not be reached. Tell the user the service is unavailable right now and try again later."}, true
	}
	return performAnswer{}, false
}

func reasonText(cr *portico.ConnectionRequired) string {
	switch cr.Reason {
	case portico.ReasonExpired:
		return "The user's credentials for " + cr.IntegrationName + " have expired."
	case portico.ReasonRevoked:
		return "The user's access to " + cr.IntegrationName + " was revoked."
	}
	return "The user has not connected " + cr.IntegrationName + " yet."
}

func unknownFunction(name string) performAnswer {
	// The name is the caller's: shown quoted, and cut, in a hint an agent
	// may repeat to the user.
	if len(name) > 64 {
		name = strings.ToValidUTF8(name[:64], "") + "…"
	}
	return performAnswer{Status: "error", Error: "There is no function named " + strconv.Quote(name) + ".",
		AssistantHint: "Call only the functions of the function definitions (GET /api/hub/fd); " + strconv.Quote(name) + " is not one of them."}
}

// upstreamError says what the upstream answered, quoting the start of a
// JSON or text body.
func upstreamError(service string, res *portico.PerformResult) string {
	msg := service + " answered HTTP " + strconv.Itoa(res.Status)
	if t := http.StatusText(res.Status); t != "" {
		msg += " " + t
	}
	var quoted string
	switch res.BodyEncoding {
	case portico.BodyJSON:
		quoted = string(res.Body)
	case portico.BodyText:
		json.Unmarshal(res.Body, &quoted)
	}
	quoted = strings.TrimSpace(quoted)
	if quoted == "" {
		return msg + "."
	}
	if len(quoted) > maxErrorBody {
		cut := maxErrorBody
		for cut > 0 && !utf8.RuneStart(quoted[cut]) {
			cut--
		}
		quoted = quoted[:cut] + "…"
	}
	return msg + ": " + quoted
}
