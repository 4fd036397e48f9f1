package compat

import (
	"net/url"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// CheckURL refuses a path or query that holds a NUL character or bytes
// that are not UTF-8 once decoded: no id, filter or parameter of Portico's
// can hold them, and PostgreSQL refuses them in text (README.md,
// "Errors"). It also refuses a query that does not parse: Go's reading of
// a query (url.Values) drops a pair with a raw ';' or a malformed
// %-escape, so ?user_id=usr_1; would reach a list as no filter at all, and
// be answered with every user's sessions. The server checks every
// request's URL before routing it, except on routes that check their own
// to answer in their own shape: the compatible surfaces (Surface) and the
// OAuth authorization endpoint.
func CheckURL(u *url.URL) error {
	if !portico.CleanText(u.Path) {
		return portico.Invalid("path", "The URL's path holds a NUL character or bytes that are not UTF-8.")
	}
	if u.RawQuery == "" || (!strings.ContainsAny(u.RawQuery, "%;") && portico.CleanText(u.RawQuery)) {
		return nil
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return portico.Invalid("query", "The URL's query cannot be read: separate its parameters with &, and write a ; or a %% in a value as %%3B or %%25.")
	}
	for k, vs := range q {
		if !portico.CleanText(k) {
			return portico.Invalid("query", "A parameter name of the URL's query holds a NUL character or bytes that are not UTF-8.")
		}
		for _, v := range vs {
			if !portico.CleanText(v) {
				return portico.Invalid(truncateField(k), "The query parameter %s holds a NUL character or bytes that are not UTF-8.", truncateField(k))
			}
		}
	}
	return nil
}

// truncateField bounds a client's parameter name echoed in an error.
func truncateField(k string) string {
	if len(k) > 64 {
		k = strings.ToValidUTF8(k[:64], "") + "…"
	}
	return k
}
