package httpapi

import (
	"net/http"

	"github.com/porticohq/portico/internal/jsonbody"
)

// MaxBodyBytes bounds every request body (docs/openapi.json, "Conventions").
const MaxBodyBytes = jsonbody.MaxBytes

// decode reads a JSON body strictly into v: application/json only (415), at
// most 1 MiB (413), valid UTF-8, no duplicate keys, no unknown fields, no
// trailing data, types as declared (400 naming the field).
func decode(r *http.Request, v any) error {
	body, err := jsonbody.Read(r, true, false)
	if err != nil {
		return err
	}
	return jsonbody.Decode(body, v)
}

// decodeOptional is decode for endpoints whose body may be absent.
func decodeOptional(r *http.Request, v any) error {
	body, err := jsonbody.Read(r, true, true)
	if err != nil || body == nil {
		return err
	}
	return jsonbody.Decode(body, v)
}
