package api

import (
	"bytes"
	"encoding/json"
	"errors"
)

// PerformRequest is the body of POST /v1/perform: an action with its
// input, or a raw request, for one user of the app.
type PerformRequest struct {
	User        PerformUser `json:"user"`
	Integration string      `json:"integration"`
	// Action names one of the integration's actions; Input is its
	// arguments, checked against the action's input_schema.
	Action *string         `json:"action,omitempty"`
	Input  json.RawMessage `json:"input,omitempty"`
	// Request is a raw request to the integration's API instead.
	Request *PerformRawRequest `json:"request,omitempty"`
	// DryRun asks for the request Portico would send, credential
	// redacted, instead of sending it.
	DryRun bool `json:"dry_run,omitempty"`
}

// PerformUser names the user: exactly one of the fields. An external_id
// or email that no user has yet is a user without connections.
type PerformUser struct {
	ID         *string `json:"id,omitempty"`
	ExternalID *string `json:"external_id,omitempty"`
	Email      *string `json:"email,omitempty"`
}

// PerformRawRequest is a request relative to the integration's base URL.
type PerformRawRequest struct {
	Method string `json:"method"`
	// Path starts with / and is appended to the base URL's path.
	Path    string                `json:"path"`
	Query   map[string]QueryValue `json:"query,omitempty"`
	Headers map[string]string     `json:"headers,omitempty"`
	// Body is any JSON value, sent as JSON; a JSON string with a non-JSON
	// Content-Type header is sent as that text.
	Body json.RawMessage `json:"body,omitempty"`
}

// QueryValue is one query parameter's values: a string or an array of
// strings on the wire.
type QueryValue []string

// UnmarshalJSON implements json.Unmarshaler.
func (q *QueryValue) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		// Not an empty parameter: leave it out instead.
		return errors.New("a query value is a string or an array of strings, not null")
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = QueryValue{s}
		return nil
	}
	var l []*string
	if err := json.Unmarshal(b, &l); err != nil || l == nil {
		return errors.New("a query value is a string or an array of strings")
	}
	*q = make(QueryValue, len(l))
	for i, s := range l {
		if s == nil {
			return errors.New("a query value's array holds strings, not null")
		}
		(*q)[i] = *s
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (q QueryValue) MarshalJSON() ([]byte, error) {
	if len(q) == 1 {
		return json.Marshal(q[0])
	}
	return json.Marshal([]string(q))
}

// PerformResult is the answer of POST /v1/perform: the upstream's answer,
// whatever its status ("success"), or for a dry run the request that
// would have been sent ("dry_run").
type PerformResult struct {
	Status   string           `json:"status"`
	Response PerformResponse  `json:"response,omitzero"`
	Request  *PreparedRequest `json:"request,omitempty"`
}

// PreparedRequest is the request a dry run would have sent; the injected
// credential reads "[REDACTED]".
type PreparedRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	// Body and BodyEncoding are as in PerformResponse.
	Body         json.RawMessage `json:"body"`
	BodyEncoding string          `json:"body_encoding"`
}

// PerformResponse is an upstream answer.
type PerformResponse struct {
	Status int `json:"status"`
	// Headers have lower-case names; repeated values are joined with ", ".
	Headers map[string]string `json:"headers"`
	// Body is the upstream's JSON body itself (body_encoding "json"), its
	// text as a string ("text"), its bytes as a base64 string ("base64"),
	// or null when it sent none ("none").
	Body         json.RawMessage `json:"body"`
	BodyEncoding string          `json:"body_encoding"`
}

// Tool is an action as an OpenAI-style function definition.
type Tool struct {
	Type     string       `json:"type"` // "function"
	Function ToolFunction `json:"function"`
	// Connected is Portico's extension beside the OpenAI definition, on
	// GET /v1/tools?user_id= only: whether the user can use the tool now,
	// or must first connect its integration (docs/perform.md).
	Connected *bool `json:"connected,omitempty"`
	// Integration and Action are Portico's extension too: what to send to
	// POST /v1/perform when the model calls the function (a tool name
	// reads - as _, so it cannot be split back).
	Integration string `json:"integration"`
	Action      string `json:"action"`
}

// ToolFunction describes one action: name <integration>_<action> (see
// docs/mcp.md for the rule), parameters its input schema.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}
