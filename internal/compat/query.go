package compat

import (
	"net/url"
	"slices"
	"strings"

	"github.com/porticohq/portico/internal/jsonbody"
	"github.com/porticohq/portico/internal/portico"
)

// CheckQuery refuses a query parameter not among names, one of names sent
// more than once (none is a list), and one sent empty but for page_token:
// a misspelt filter (externalid) would otherwise be dropped silently and a
// list answered unfiltered. The error is CodeInvalid naming the parameter,
// with the one most likely meant in details.suggestion. A credential
// parameter (CredentialParams) is left to authentication, which says where
// a credential goes.
func CheckQuery(q url.Values, names []string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case slices.Contains(names, k):
			if n := len(q[k]); n > 1 {
				return portico.Invalid(k, "The query parameter %q is sent %d times; send it once.", k, n)
			}
			if q.Get(k) == "" && k != "page_token" {
				// ?user_id= filters on nothing a row can hold, and an
				// empty value is no value; an empty page_token is the
				// first page.
				return portico.Invalid(k, "The query parameter %q is empty: give it a value, or leave out a filter you do not need.", k)
			}
		case slices.Contains(CredentialParams, k):
		default:
			return unknownQuery(k, names)
		}
	}
	return nil
}

func unknownQuery(k string, names []string) error {
	shown := k
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	suggestion := jsonbody.Nearest(k, names)
	if suggestion == "" {
		if len(names) == 0 {
			return portico.Invalid(shown, "Unknown query parameter %q: this operation takes none.", shown)
		}
		return portico.Invalid(shown, "Unknown query parameter %q: this operation takes %s.", shown, strings.Join(names, ", "))
	}
	e := portico.Invalid(shown, "Unknown query parameter %q; did you mean %q?", shown, suggestion)
	e.Details = map[string]any{"suggestion": suggestion}
	return e
}
