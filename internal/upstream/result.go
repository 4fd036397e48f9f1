package upstream

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// Send implements portico.Upstream: Do, and the answer shaped as a perform
// result.
func (p *Proxy) Send(ctx context.Context, req *portico.UpstreamRequest) (*portico.PerformResult, error) {
	res, err := p.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	return resultOf(res), nil
}

// hopByHop are response headers that describe one connection, not the
// answer.
var hopByHop = []string{"connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}

// resultOf turns an upstream answer into a result: headers lower-cased
// and joined, hop-by-hop ones left out; a JSON body as JSON, text as a
// string, anything else base64.
func resultOf(res *Response) *portico.PerformResult {
	out := &portico.PerformResult{Status: res.Status, Headers: map[string]string{}}
	for k, vs := range res.Header {
		lk := strings.ToLower(k)
		if slices.Contains(hopByHop, lk) || len(vs) == 0 {
			continue
		}
		out.Headers[lk] = strings.Join(vs, ", ")
	}
	ct := out.Headers["content-type"]
	switch {
	case len(res.Body) == 0:
		out.Body, out.BodyEncoding = json.RawMessage("null"), portico.BodyNone
	case portico.IsJSONType(ct) && utf8.Valid(res.Body) && json.Valid(res.Body):
		out.Body, out.BodyEncoding = json.RawMessage(res.Body), portico.BodyJSON
	case utf8.Valid(res.Body) && !strings.ContainsRune(string(res.Body), 0) && isTextual(ct):
		b, _ := json.Marshal(string(res.Body))
		out.Body, out.BodyEncoding = b, portico.BodyText
	default:
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(res.Body))
		out.Body, out.BodyEncoding = b, portico.BodyBase64
	}
	return out
}

// isTextual reports a media type whose body is text; a body without a
// type counts as text when it is valid UTF-8.
func isTextual(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "" || strings.HasPrefix(mt, "text/") || portico.IsJSONType(ct) || strings.HasSuffix(mt, "+xml") ||
		slices.Contains([]string{"application/xml", "application/javascript", "application/x-www-form-urlencoded", "application/graphql"}, mt)
}
