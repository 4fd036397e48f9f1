package httpapi

import (
	"maps"
	"net/http"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// statusOf maps every error code to its HTTP status: the one table.
var statusOf = map[portico.Code]int{
	portico.CodeInvalid:              http.StatusBadRequest,
	portico.CodeUnauthenticated:      http.StatusUnauthorized,
	portico.CodeInvalidAPIKey:        http.StatusUnauthorized,
	portico.CodeInvalidToken:         http.StatusUnauthorized,
	portico.CodeQuotaExceeded:        http.StatusPaymentRequired,
	portico.CodeForbidden:            http.StatusForbidden,
	portico.CodeNotFound:             http.StatusNotFound,
	portico.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	portico.CodeConflict:             http.StatusConflict,
	portico.CodeGone:                 http.StatusGone,
	portico.CodeSessionLimitReached:  http.StatusConflict,
	portico.CodeConnectionRequired:   http.StatusConflict,
	portico.CodeApprovalRequired:     http.StatusConflict,
	portico.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	portico.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	portico.CodeValidation:           http.StatusUnprocessableEntity,
	portico.CodeRateLimited:          http.StatusTooManyRequests,
	portico.CodeInternal:             http.StatusInternalServerError,
	portico.CodeUnavailable:          http.StatusServiceUnavailable,
	portico.CodeUpstreamUnreachable:  http.StatusBadGateway,
	portico.CodeUpstreamTimeout:      http.StatusGatewayTimeout,
}

// StatusOf returns the HTTP status of an error code.
func StatusOf(c portico.Code) int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) { compat.WriteJSON(w, status, v) }

// WriteError is writeError, for the MCP surface, whose errors outside
// JSON-RPC are the native API's.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
}

// writeError writes the error envelope for err and logs server-side
// failures with their cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := portico.AsError(err)
	status := StatusOf(e.Code)
	info := infoFrom(r.Context())
	compat.Failure(s.log, w, r, status, err)
	if e.Code == portico.CodeUnauthenticated && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="portico"`)
	}
	body := api.ErrorBody{Error: api.Error{Code: string(e.Code), Message: e.Message, Details: e.Details, RequestID: info.requestID}}
	if e.Field != "" {
		// A copy: the error may be a shared sentinel, read concurrently.
		body.Error.Details = maps.Clone(e.Details)
		if body.Error.Details == nil {
			body.Error.Details = map[string]any{}
		}
		body.Error.Details["field"] = e.Field
	}
	writeJSON(w, status, body)
}
