package portico

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxUnescapeRounds is how many layers of %-encoding ResolvePath looks
// through: an upstream, or a proxy in front of it, may decode a path more
// than once, so %252e%252e must be judged like ..
const maxUnescapeRounds = 3

// ResolvePath resolves a request path against an integration's base URL.
// The result always has the base URL's scheme and host, and its path
// always starts with the base URL's path: the path must start with a
// single /, and may not contain a backslash, control characters, ? or #,
// an empty segment (//) or a . or .. segment — in any of its %-decoded
// readings (%2e%2e, %252e, %5c …) — nor a space that is not %-encoded. %-escapes are kept as
// given (%2F stays an escaped slash inside one segment). Errors are
// CodeValidation.
func ResolvePath(baseURL, p string) (*url.URL, error) {
	base, err := url.Parse(baseURL)
	if err != nil || base.Host == "" {
		return nil, Errorf(CodeValidation, "The integration's base_url is not a valid URL.")
	}
	if err := checkRequestPath(p); err != nil {
		return nil, err
	}
	decoded, _ := url.PathUnescape(p)
	u := &url.URL{Scheme: base.Scheme, Host: base.Host}
	basePath := strings.TrimRight(base.Path, "/")
	u.Path = basePath + decoded
	u.RawPath = strings.TrimRight(base.EscapedPath(), "/") + p
	if u.EscapedPath() != u.RawPath {
		// The path is not in the one encoding url.URL keeps as given:
		// send the canonical escaping of what it means instead.
		u.RawPath = ""
	}
	return u, nil
}

func checkRequestPath(p string) error {
	if why := pathRefusal(p); why != "" {
		return Errorf(CodeValidation, "The path %s", why)
	}
	return nil
}

// pathRefusal says what a path to send upstream breaks of ResolvePath's
// rules, as the rest of a sentence about it ("must not …"), or "" when it
// breaks none.
func pathRefusal(p string) string {
	switch {
	case p == "" || p[0] != '/':
		return "must start with /; it is relative to the integration's base URL."
	case len(p) > maxRawPath:
		return fmt.Sprintf("must be at most %d bytes.", maxRawPath)
	case strings.Contains(p, "//"):
		return "must not contain an empty segment (//)."
	case strings.ContainsAny(p, "?#"):
		return "must not contain ? or #; send query parameters in query."
	}
	cur := p
	for round := 0; ; round++ {
		if !utf8.ValidString(cur) {
			return "must be UTF-8, also %-decoded (%C0%AE, say, is not)."
		}
		if hasControl(cur) || strings.ContainsRune(cur, '\\') {
			return "must not contain a backslash or control characters, also %-encoded."
		}
		// A space is sent %-encoded (a file name, a title); what a decoding
		// proxy makes of %20 neither leaves the base path nor splits the
		// request, as a decoded control character or backslash could.
		if round == 0 && strings.ContainsRune(cur, ' ') {
			return "must not contain white space; %-encode it (%20)."
		}
		for _, seg := range strings.Split(cur, "/") {
			if dotSegment(seg) {
				return "must not contain . or .. segments, also %-encoded or with ;parameters."
			}
		}
		if round == maxUnescapeRounds || !strings.Contains(cur, "%") {
			return ""
		}
		next, err := url.PathUnescape(cur)
		if err != nil {
			if round == 0 {
				return "has a malformed %-escape."
			}
			// A deeper layer that is not valid %-encoding is plain text.
			return ""
		}
		if strings.Contains(next, "//") {
			return "must not contain an empty segment (//), also %-encoded."
		}
		cur = next
	}
}

// dotSegment reports whether a path segment is . or .., also with
// ;parameters after it ("..;x"), which servers such as Tomcat, Jetty and
// Spring strip before they resolve dot segments.
func dotSegment(seg string) bool {
	seg, _, _ = strings.Cut(seg, ";")
	return seg == "." || seg == ".."
}
