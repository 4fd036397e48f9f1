package compat

import (
	"net/url"
	"strings"

	"github.com/porticohq/portico/internal/portico"
)

// CheckURL refuses a path or query that holds a NUL character or bytes
// that are not UTF-8 once decoded: no id, filter or parameter of Portico's
// can hold them, and PostgreSQL refuses them in text (README.md,
// "Errors"). It also refuses a query that does not parse
// (portico.ParseQuery), which handlers would read with a pair dropped. The
// server checks every
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
	q, err := portico.ParseQuery(u.RawQuery)
	if err != nil {
		return err
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
