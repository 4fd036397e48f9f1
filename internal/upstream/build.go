package upstream

import (
	"encoding/base64"
	"encoding/json"
	"net/textproto"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// Build implements portico.Upstream: the wire request of spec. The query
// is spec.Query encoded; the request's own headers come first, then the
// Content-Type of the body, then the integration's static headers where
// the request sets none (their Accept replaces the default), then the
// credential.
func (p *Proxy) Build(spec *portico.RequestSpec) *portico.UpstreamRequest {
	u := *spec.URL
	q := url.Values{}
	for k, v := range spec.Query {
		addQuery(q, k, v)
	}
	req := &portico.UpstreamRequest{Method: spec.Method, URL: &u, Header: map[string][]string{}}
	for k, v := range spec.Header {
		req.Header[textproto.CanonicalMIMEHeaderKey(k)] = []string{v}
	}
	req.Body = body(spec.Body, req.Header)
	for k, v := range spec.Defaults {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if _, set := req.Header[ck]; set && ck != "Accept" {
			continue
		}
		req.Header[ck] = []string{v}
	}
	if c := spec.Credential; c != nil {
		if c.Header != "" {
			req.Header[textproto.CanonicalMIMEHeaderKey(c.Header)] = []string{c.Value}
		} else {
			q.Set(c.Query, c.Value)
		}
	}
	u.RawQuery = q.Encode()
	return req
}

// body is the bytes of a request body (nil: none): a json.RawMessage as
// it is, any other value as JSON, with Content-Type application/json when
// header sets none; a JSON string under a non-JSON Content-Type is sent as
// that text.
func body(v any, header map[string][]string) []byte {
	if v == nil {
		return nil
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		raw, _ = json.Marshal(v)
	}
	ct := ""
	if v := header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	var text string
	if ct != "" && !portico.IsJSONType(ct) && json.Unmarshal(raw, &text) == nil {
		return []byte(text)
	}
	if ct == "" {
		header["Content-Type"] = []string{"application/json"}
	}
	return append([]byte(nil), raw...)
}

// addQuery adds a query value: a string, number or boolean as its text, a
// list as one parameter per element, anything else as compact JSON; nil
// adds nothing.
func addQuery(q url.Values, k string, v any) {
	switch v := v.(type) {
	case nil:
	case []string:
		for _, x := range v {
			q.Add(k, x)
		}
	case []any:
		for _, x := range v {
			if x != nil {
				q.Add(k, queryText(x))
			}
		}
	default:
		q.Add(k, queryText(v))
	}
}

func queryText(v any) string {
	if s, ok := portico.ScalarText(v); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Preview implements portico.Upstream: req as a dry run shows it, header
// names lower-cased and repeated values joined with ", ", the body as JSON
// (under a JSON Content-Type), text or base64.
func (p *Proxy) Preview(req *portico.UpstreamRequest) *portico.PreparedRequest {
	out := &portico.PreparedRequest{Method: req.Method, URL: req.URL.String(), Headers: map[string]string{}, BodyEncoding: portico.BodyNone,
		Body: json.RawMessage("null")}
	for k, v := range req.Header {
		out.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	switch {
	case req.Body == nil:
	case json.Valid(req.Body) && portico.IsJSONType(out.Headers["content-type"]):
		out.Body, out.BodyEncoding = append(json.RawMessage(nil), req.Body...), portico.BodyJSON
	case utf8.Valid(req.Body):
		out.Body, _ = json.Marshal(string(req.Body))
		out.BodyEncoding = portico.BodyText
	default:
		out.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(req.Body))
		out.BodyEncoding = portico.BodyBase64
	}
	return out
}
