package apideck

import (
	"errors"
	"maps"
	"net/http"
	"strings"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// ok is the Vault's success envelope.
type ok struct {
	StatusCode int    `json:"status_code"`
	Status     string `json:"status"`
	Data       any    `json:"data"`
	Meta       *meta  `json:"meta,omitempty"`
	Links      *links `json:"links,omitempty"`
}

// errorBody is the Vault's error envelope (BadRequestResponse,
// UnauthorizedResponse … in the OpenAPI document: one shape).
type errorBody struct {
	StatusCode int    `json:"status_code"`
	Error      string `json:"error"`
	TypeName   string `json:"type_name"`
	Message    string `json:"message"`
	Detail     any    `json:"detail"`
	Ref        string `json:"ref"`
}

// wireError is an error the adapter itself raises, already in the Vault's
// vocabulary (headers, routing).
type wireError struct {
	status   int
	typeName string
	message  string
	detail   any
}

func (e *wireError) Error() string { return e.typeName + ": " + e.message }

func missingHeader(name string) error {
	return &wireError{status: http.StatusBadRequest, typeName: "RequestHeadersValidationError",
		message: "Missing Header: " + name, detail: "Missing Header: " + name}
}

// errorTypes maps domain codes to the Vault's status and error type: the
// documented ones (RequestValidationError 400, UnauthorizedError 401,
// RequestLimitError 402, EntityNotFoundError 404, InvalidStateError 422)
// and, for what the document does not name, the HTTP status with a type
// named after it. An API key's missing permission is 403 ForbiddenError
// (envelope), not the account rule CodeForbidden otherwise stands for.
var errorTypes = map[portico.Code]struct {
	status   int
	typeName string
}{
	portico.CodeInvalid:              {http.StatusBadRequest, "RequestValidationError"},
	portico.CodeUnauthenticated:      {http.StatusUnauthorized, "UnauthorizedError"},
	portico.CodeInvalidAPIKey:        {http.StatusUnauthorized, "UnauthorizedError"},
	portico.CodeInvalidToken:         {http.StatusUnauthorized, "UnauthorizedError"},
	portico.CodeQuotaExceeded:        {http.StatusPaymentRequired, "RequestLimitError"},
	portico.CodeSessionLimitReached:  {http.StatusPaymentRequired, "RequestLimitError"},
	portico.CodeNotFound:             {http.StatusNotFound, "EntityNotFoundError"},
	portico.CodeMethodNotAllowed:     {http.StatusMethodNotAllowed, "MethodNotAllowedError"},
	portico.CodeConflict:             {http.StatusConflict, "ConflictError"},
	portico.CodeForbidden:            {http.StatusUnprocessableEntity, "InvalidStateError"},
	portico.CodeValidation:           {http.StatusUnprocessableEntity, "InvalidStateError"},
	portico.CodeConnectionRequired:   {http.StatusUnprocessableEntity, "InvalidStateError"},
	portico.CodePayloadTooLarge:      {http.StatusRequestEntityTooLarge, "RequestValidationError"},
	portico.CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, "RequestValidationError"},
	portico.CodeRateLimited:          {http.StatusTooManyRequests, "TooManyRequestsError"},
	portico.CodeUnavailable:          {http.StatusServiceUnavailable, "ServiceUnavailableError"},
	portico.CodeInternal:             {http.StatusInternalServerError, "InternalServerError"},
}

// statusOf returns the status and type of a domain code (500 for any code
// the table does not know).
func statusOf(code portico.Code) (int, string) {
	t, found := errorTypes[code]
	if !found {
		t = errorTypes[portico.CodeInternal]
	}
	return t.status, t.typeName
}

// envelope renders an error in the Vault's error envelope. The message of
// a domain error is client-safe by construction; internal causes are
// logged with the request id (compat.Failure), never sent.
func envelope(_ *http.Request, err error) (int, any) {
	body := errorBody{}
	var we *wireError
	if errors.As(err, &we) {
		body.StatusCode, body.TypeName, body.Message, body.Detail = we.status, we.typeName, we.message, we.detail
	} else {
		e := portico.AsError(err)
		body.StatusCode, body.TypeName = statusOf(e.Code)
		if portico.MissingPermission(err) != "" {
			body.StatusCode, body.TypeName = http.StatusForbidden, "ForbiddenError"
		}
		body.Message = e.Message
		switch {
		case e.Field != "" || len(e.Details) > 0:
			d := maps.Clone(e.Details)
			if d == nil {
				d = map[string]any{}
			}
			if e.Field != "" {
				d["field"] = e.Field
			}
			body.Detail = d
		default:
			body.Detail = e.Message
		}
	}
	if body.Detail == nil {
		body.Detail = body.Message
	}
	body.Error = http.StatusText(body.StatusCode)
	body.Ref = "https://developers.apideck.com/errors#" + strings.ToLower(body.TypeName)
	return body.StatusCode, body
}

// writeOK answers 200 with the success envelope around data.
func writeOK(w http.ResponseWriter, data any) {
	compat.WriteJSON(w, http.StatusOK, ok{StatusCode: http.StatusOK, Status: "OK", Data: data})
}
