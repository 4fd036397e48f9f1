package apideck

import (
	"net/http"

	"github.com/porticohq/portico/internal/jsonbody"
)

// decodeBody reads a JSON body strictly into v (jsonbody): application/json
// only, at most 1 MiB, valid UTF-8, no duplicate keys, no key v does not
// declare (spelled exactly), no trailing data, types as declared. Errors
// become 400 RequestValidationError naming the field. An absent body
// leaves v as it is when optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	body, err := jsonbody.Read(r, true, optional)
	if err != nil || body == nil {
		return err
	}
	return jsonbody.Decode(body, v)
}
