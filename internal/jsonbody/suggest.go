package jsonbody

import (
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// unknownField is the error for the last key of path, which the object
// whose fields are here does not declare. It suggests the field the caller
// most likely meant, found in the Go types the body is decoded into (never
// a table kept by hand), in this order:
//
//  1. a field of the same object spelled with other capitals (keys are
//     case-sensitive);
//  2. a field of that exact name elsewhere in the body: external_id at the
//     top of a session body is user.external_id, session_ttl_seconds at the
//     top of PATCH /v1/app is settings.session_ttl_seconds;
//  3. a field of the same object at a Damerau-Levenshtein distance of at
//     most 2 (a typo: nmae is name), less than half the key's length;
//  4. a field of the same object whose first words the key is, or whose
//     words the key begins with (session_ttl is session_ttl_seconds), the
//     nearest in length;
//  5. a near name as in 3 elsewhere in the body.
//
// Among equals the shallower and then the earlier declared field wins. The
// suggestion is a full path, like the field it corrects, and goes in
// details.suggestion (docs/openapi.json, ErrorDetails).
func unknownField(root reflect.Type, here *structFields, path []any) error {
	field := pathString(path)
	key := path[len(path)-1].(string)
	prefix := pathString(path[:len(path)-1])
	suggestion := suggestField(root, here, prefix, key)
	if suggestion == "" {
		return portico.Invalid(field, "Unknown field %q.", field)
	}
	e := portico.Invalid(field, "Unknown field %q; did you mean %q?", field, suggestion)
	e.Details = map[string]any{"suggestion": suggestion}
	return e
}

// maxSuggestDepth bounds how deep the search for a moved field goes.
const maxSuggestDepth = 4

func suggestField(root reflect.Type, here *structFields, prefix, key string) string {
	join := func(prefix, name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	if n := sameName(key, here.names); n != "" {
		return join(prefix, n)
	}
	elsewhere := fieldPaths(root)
	for _, c := range elsewhere {
		if c.name == key {
			return c.path
		}
	}
	if n := nearName(key, here.names); n != "" {
		return join(prefix, n)
	}
	best, bestD := "", maxTypoDistance(key)+1
	for _, c := range elsewhere {
		if d := typoDistance(key, c.name); d < bestD {
			best, bestD = c.path, d
		}
	}
	return best
}

// Nearest is the name of names that key most likely meant, or "": the same
// name with other capitals, a typo of it, or one whose first words key is
// (rules 1, 3 and 4 of unknownField). For names that are not a body's
// fields, such as an operation's query parameters.
func Nearest(key string, names []string) string {
	if n := sameName(key, names); n != "" {
		return n
	}
	return nearName(key, names)
}

// sameName is the name of names spelled as key with other capitals.
func sameName(key string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	return ""
}

// nearName is the name of names at the smallest typo distance from key,
// else the one whose first words key is or whose words key begins with,
// nearest in length; earlier names win ties.
func nearName(key string, names []string) string {
	best, bestD := "", maxTypoDistance(key)+1
	for _, n := range names {
		if d := typoDistance(key, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" {
		return best
	}
	lk, bestGap := strings.ToLower(key), -1
	for _, n := range names {
		ln := strings.ToLower(n)
		if !strings.HasPrefix(ln, lk+"_") && !strings.HasPrefix(lk, ln+"_") {
			continue
		}
		if gap := max(len(ln)-len(lk), len(lk)-len(ln)); bestGap < 0 || gap < bestGap {
			best, bestGap = n, gap
		}
	}
	return best
}

// fieldPath is a field reachable from the root through objects only.
type fieldPath struct {
	name string // the JSON name
	path string // from the root: settings.session_ttl_seconds
}

// fieldPaths lists the fields of root's struct and of the structs below
// it, breadth first and in declaration order. Arrays and maps are not
// entered: a path through them would need an index or a key.
func fieldPaths(root reflect.Type) []fieldPath {
	type level struct {
		t    reflect.Type
		path string
	}
	deref := func(t reflect.Type) reflect.Type {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return t
	}
	var out []fieldPath
	cur := []level{{deref(root), ""}}
	for depth := 0; depth < maxSuggestDepth && len(cur) > 0; depth++ {
		var next []level
		for _, l := range cur {
			fs := jsonFields(l.t)
			if fs == nil {
				continue
			}
			for _, n := range fs.names {
				p := n
				if l.path != "" {
					p = l.path + "." + n
				}
				out = append(out, fieldPath{name: n, path: p})
				next = append(next, level{deref(fs.types[n]), p})
			}
		}
		cur = next
	}
	return out
}

// maxTypoDistance is how far a key may be from a field to be called a
// typo of it: at most 2 edits, and fewer than half the key's length, so
// that a short key is not "corrected" into an unrelated field.
func maxTypoDistance(key string) int {
	n := utf8.RuneCountInString(key)
	return min(2, (n-1)/2)
}

// typoDistance is the Damerau-Levenshtein distance (optimal string
// alignment) between key and name, ignoring case, or a distance too large
// to count as a typo when it is above maxTypoDistance(key).
func typoDistance(key, name string) int {
	limit := maxTypoDistance(key)
	if n, m := utf8.RuneCountInString(key), utf8.RuneCountInString(name); limit < 1 || n-m > limit || m-n > limit {
		return limit + 1
	}
	a, b := []rune(strings.ToLower(key)), []rune(strings.ToLower(name))
	// Three rows of the dynamic-programming table: i-2, i-1 and i.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := prev[len(b)]; d <= limit {
		return d
	}
	return limit + 1
}
