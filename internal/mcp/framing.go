package mcp

import (
	"encoding/json"
	"net/http"
	"strings"
)

// framingErrors answers in JSON what the SDK refuses in plain text before
// any JSON-RPC handling (a batch in a 2025-06-18 or later request, a
// request without an id, a version tag other than "2.0", an unknown
// method, a session it does not know; and its own failures, 5xx): a
// JSON-RPC error without an id, with the SDK's status and sentence, as the
// streamable HTTP transport allows. Every other answer passes through
// untouched.
type framingErrors struct {
	http.ResponseWriter
	rewrite bool
	status  int
}

// rpcFailure is the body of such an answer.
type rpcFailure struct {
	JSONRPC string   `json:"jsonrpc"`
	ID      *string  `json:"id"`
	Error   rpcError `json:"error"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// JSON-RPC 2.0's codes for a message that is not a valid request, a
// method the server does not have, and parameters it cannot take.
const (
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
	codeInvalidParams  = -32602
	codeInternalError  = -32603
)

// refuseParams answers a request whose parameters are refused before the
// SDK reads them: -32602 with the request's id, and 400 as the SDK answers
// a request it refuses before running it.
func refuseParams(w http.ResponseWriter, id json.RawMessage, msg string) {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	out, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcError        `json:"error"`
	}{"2.0", id, rpcError{Code: codeInvalidParams, Message: msg}})
	if err != nil {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	w.Write(out)
}

func (f *framingErrors) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(f.Header().Get("Content-Type"), "text/plain") {
		f.rewrite, f.status = true, status
		f.Header().Del("Content-Length")
		f.Header().Set("Content-Type", "application/json")
	}
	f.ResponseWriter.WriteHeader(status)
}

// Write takes the SDK's sentence, which http.Error writes at once.
func (f *framingErrors) Write(b []byte) (int, error) {
	if !f.rewrite {
		return f.ResponseWriter.Write(b)
	}
	msg := strings.TrimSpace(string(b))
	code := codeInvalidRequest
	switch {
	case f.status >= 500:
		code = codeInternalError
	case strings.Contains(msg, "not handled"):
		code = codeMethodNotFound
	}
	out, err := json.Marshal(rpcFailure{JSONRPC: "2.0", Error: rpcError{Code: code, Message: msg}})
	if err != nil {
		return 0, err
	}
	if _, err := f.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Flush lets the SDK stream server-sent events through the wrapper.
func (f *framingErrors) Flush() {
	if fl, ok := f.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// Unwrap gives http.ResponseController the connection's writer.
func (f *framingErrors) Unwrap() http.ResponseWriter { return f.ResponseWriter }
