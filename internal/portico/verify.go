package portico

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Verification at connect time (docs/catalog-data.md, "Verification"): an
// integration's verify request is sent with the new credential through the
// upstream client (its address guard and bounds). A provider that answers
// 401 or 403 rejects the credential, and nothing is stored; a provider that
// cannot be reached, or answers anything else, leaves the credential stored
// unverified, with a warning. The expected answer gives the account label.

// verifyTimeout bounds a verify request: a connect waits for it.
const verifyTimeout = 10 * time.Second

// maxAccountLabelLen bounds a stored account label.
const maxAccountLabelLen = 200

// verification is the outcome of a verify request that did not reject the
// credential.
type verification struct {
	Label   *string
	Warning string
}

// verifyCredential runs integ's verify request with creds and settings.
// It returns a CodeValidation error when the provider rejects the
// credential.
func (s *Service) verifyCredential(ctx context.Context, integ *Integration, creds Credentials, settings map[string]string) (verification, error) {
	v := integ.Verify
	if v == nil || integ.Auth.Type == AuthNone || s.Upstream == nil {
		return verification{}, nil
	}
	base, err := integ.BaseURLFor(settings, s.AllowPrivateUpstreams)
	if err != nil {
		return verification{}, err
	}
	u, err := ResolvePath(base, expandPath(v.Path, settings))
	if err != nil {
		return verification{}, withField(err, "settings")
	}
	cred, err := credentialOf(integ, creds, false)
	if err != nil {
		return verification{}, err
	}
	spec := &RequestSpec{Method: v.Method, URL: u, Header: map[string]string{"Accept": "application/json"},
		Defaults: integ.staticHeaders(settings), Credential: cred}
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	res, err := s.Upstream.Send(ctx, s.Upstream.Build(spec))
	if err != nil {
		if c := ErrorCode(err); c == CodeUpstreamUnreachable || c == CodeUpstreamTimeout || errors.Is(err, context.DeadlineExceeded) {
			return verification{Warning: integ.Name + " could not be reached to check the credential; it was stored without being checked."}, nil
		}
		return verification{}, err
	}
	switch {
	case res.Status == v.ExpectedStatus:
		return verification{Label: accountLabel(res, v.LabelPointer)}, nil
	case res.Status == 401 || res.Status == 403:
		msg := integ.Name + " rejected this credential: " + strconv.Itoa(res.Status)
		if why := upstreamMessage(res); why != "" && !revealsCredential(why, creds) {
			msg += " " + why
		} else {
			msg += map[int]string{401: " Unauthorized", 403: " Forbidden"}[res.Status]
		}
		return verification{}, &Error{Code: CodeValidation, Field: "credentials", Message: msg + ".",
			Details: map[string]any{"integration": integ.Slug, "upstream_status": res.Status}}
	}
	return verification{Warning: integ.Name + " answered " + strconv.Itoa(res.Status) + " to the check of the credential; it was stored without being checked."}, nil
}

// staticHeaders are the integration's static headers, settings filled in
// (RequestSpec.Defaults: a raw request may ask for another API version);
// a header whose setting is empty is left out.
func (in *Integration) staticHeaders(settings map[string]string) map[string]string {
	out := make(map[string]string, len(in.Headers))
	for k, tmpl := range in.Headers {
		if v, ok := expandText(tmpl, settings); ok {
			out[k] = v
		}
	}
	return out
}

// accountLabel is the text the pointer names in a JSON answer: a string,
// or a number; nil when there is none.
func accountLabel(res *PerformResult, pointer string) *string {
	if pointer == "" || res.BodyEncoding != BodyJSON {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil
	}
	v, ok := JSONPointer(doc, pointer)
	if !ok {
		return nil
	}
	text, scalar := ScalarText(v)
	if _, isBool := v.(bool); !scalar || isBool {
		return nil
	}
	text = strings.TrimSpace(text)
	if text == "" || hasControl(text) {
		return nil
	}
	if len(text) > maxAccountLabelLen {
		text = strings.ToValidUTF8(text[:maxAccountLabelLen], "")
	}
	return &text
}

// JSONPointer evaluates an RFC 6901 pointer in a decoded JSON document.
func JSONPointer(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			cur = node[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// upstreamMessage is a short explanation from a provider's error answer:
// its message, error_description or error text, when it has one.
func upstreamMessage(res *PerformResult) string {
	if res.BodyEncoding != BodyJSON {
		return ""
	}
	var doc any
	if json.Unmarshal(res.Body, &doc) != nil {
		return ""
	}
	for _, p := range []string{"/message", "/error_description", "/error/message", "/error", "/errors/0/message", "/detail"} {
		if v, ok := JSONPointer(doc, p); ok {
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
				s = strings.TrimSpace(s)
				if len(s) > 200 {
					s = strings.ToValidUTF8(s[:200], "") + "…"
				}
				if !utf8.ValidString(s) || hasControl(s) {
					return ""
				}
				return s
			}
		}
	}
	return ""
}

// revealsCredential reports text that holds one of the credential's values
// (a provider echoing the key back): it must not reach an error body.
func revealsCredential(text string, creds Credentials) bool {
	for _, v := range creds {
		if len(v) >= 4 && strings.Contains(text, v) {
			return true
		}
	}
	return false
}
