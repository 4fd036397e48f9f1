// Package jsonbody reads JSON request bodies strictly, with the same rules
// for the native API and every compatible surface: bounded size, valid
// UTF-8, one value, no duplicate keys, keys spelled exactly as declared,
// types as declared. Its errors are domain errors (CodeInvalid naming the
// field by its full path, CodeUnsupportedMediaType, CodePayloadTooLarge);
// each adapter renders them in its own wire format.
package jsonbody

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// MaxBytes bounds every request body (docs/openapi.json, "Conventions").
const MaxBytes = 1 << 20

// Read returns the body of r: at most MaxBytes (else CodePayloadTooLarge),
// sent as application/json when contentType is set, and not compressed
// (else CodeUnsupportedMediaType). When optional, an absent or blank body is
// nil, nil.
func Read(r *http.Request, contentType, optional bool) ([]byte, error) {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil, nil
	}
	if contentType {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return nil, portico.Errorf(portico.CodeUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json.")
		}
	}
	if ce := strings.TrimSpace(r.Header.Get("Content-Encoding")); ce != "" && !strings.EqualFold(ce, "identity") {
		// Read as it is, a compressed body is "not valid UTF-8".
		return nil, portico.Errorf(portico.CodeUnsupportedMediaType, "Send the body uncompressed: Content-Encoding %.32q is not accepted.", ce)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBytes+1))
	if err != nil {
		return nil, portico.Invalid("", "The request body could not be read.")
	}
	if len(body) > MaxBytes {
		return nil, portico.Errorf(portico.CodePayloadTooLarge, "The request body must be at most %d bytes.", MaxBytes)
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	return body, nil
}

// Decode unmarshals body into v strictly: valid UTF-8, a single JSON value,
// no key named twice in one object, no key v's structs do not declare with
// exactly that spelling, and every value of the type declared for it.
// Errors are CodeInvalid with Field set to the full path of the offending
// key (user.id, settings.integrations[2]).
func Decode(body []byte, v any) error {
	if !utf8.Valid(body) {
		return portico.Invalid("", "The request body is not valid UTF-8.")
	}
	if err := checkKeys(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	// A null body is not an object: refused (400) rather than read as {}
	// and then found short of its required fields (422).
	if t := reflect.TypeOf(v); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return portico.Invalid("", "The request body must be a JSON object, not null.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return portico.Invalid("", "The request body must hold a single JSON value.")
	}
	return nil
}

// Check applies the rules of Decode that need no Go type to body: valid
// UTF-8, well-formed JSON, no key named twice in one object, nesting
// bounded. For bodies read by another decoder (the MCP SDK's).
func Check(body []byte) error {
	if !utf8.Valid(body) {
		return portico.Invalid("", "The request body is not valid UTF-8.")
	}
	return checkKeys(body, nil)
}

// jsonErrorAt is jsonError for a type's own UnmarshalJSON refusing the
// value of field: the message names the field, never echoes the error.
func jsonErrorAt(err error, field string) error {
	var timeErr *time.ParseError
	var domainErr *portico.Error
	switch {
	case field == "" || errors.As(err, &domainErr):
		return jsonError(err)
	case errors.As(err, &timeErr):
		return portico.Invalid(field, "%s is not RFC 3339 text such as 2026-01-02T15:04:05Z.", field)
	}
	return portico.Invalid(field, "%s does not have the form it takes.", field)
}

// jsonError turns an error of encoding/json, or of a type's own
// UnmarshalJSON, into a domain error by its type alone: the client never
// sees a parser's or a library's raw message.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var timeErr *time.ParseError
	var domainErr *portico.Error
	switch {
	case errors.As(err, &domainErr):
		return domainErr
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return portico.Invalid("", "The request body must be a JSON object.")
		}
		return portico.Invalid(field, "%s must be of type %s.", field, jsonType(typeErr.Type))
	case errors.As(err, &syntaxErr):
		return portico.Invalid("", "The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return portico.Invalid("", "The request body is empty or truncated JSON.")
	case errors.As(err, &timeErr):
		return portico.Invalid("", "A time in the request body is not RFC 3339 text such as 2026-01-02T15:04:05Z.")
	}
	// Unknown fields never get here: checkKeys names them first. What is
	// left is a value a type's own UnmarshalJSON refused.
	return portico.Invalid("", "A value in the request body does not have the form its field takes.")
}

// jsonType names a Go type as a JSON type.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.Kind().String()
}

// maxDepth is encoding/json's own nesting limit: a deeper body fails to
// decode anyway, so walking it further would only burn stack.
const maxDepth = 10000

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawMessageType      = reflect.TypeFor[json.RawMessage]()
)

// decodesItself reports whether values of t are read by their own
// UnmarshalJSON or UnmarshalText, whose accepted forms the walk cannot know.
func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType)
}

// checkKeys walks body once, following the Go type t it will be decoded
// into (nil: any), and refuses a key named twice in one object, a key that
// t's struct does not declare with exactly that spelling, and a value whose
// JSON type cannot fill its Go type. encoding/json matches keys
// case-insensitively, so without the second rule
// {"external_id":"a","EXTERNAL_ID":"b"} would slip past the first; and it
// names a mistyped field without its array index, which the third rule
// gives (settings.integrations[2]).
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// path holds the keys and indexes leading to the current value. It is
	// turned into text only to name a bad key: building the text at every
	// level costs time and memory quadratic in the depth, which a 1 MiB
	// body of "[[[[…" turns into minutes and gigabytes.
	var path []any
	root := t
	mistyped := func(t reflect.Type) error {
		field := pathString(path)
		if field == "" {
			return portico.Invalid("", "The request body must be a JSON %s.", jsonType(t))
		}
		return portico.Invalid(field, "%s must be of type %s.", field, jsonType(t))
	}
	var walk, walkValue func(t reflect.Type) error
	walk = func(t reflect.Type) error {
		pointer := false
		for t != nil && t.Kind() == reflect.Pointer {
			t, pointer = t.Elem(), true
		}
		if t == nil || t.Kind() == reflect.Interface || t == rawMessageType || !reflect.PointerTo(t).Implements(unmarshalerType) {
			return walkValue(t)
		}
		// A type with its own UnmarshalJSON reads the value here too, so
		// that a refusal names the field (request.query.tag), which
		// encoding/json does not tell.
		start := dec.InputOffset()
		if err := walkValue(t); err != nil {
			return err
		}
		raw := bytes.TrimLeft(body[start:dec.InputOffset()], ":, \t\r\n")
		if pointer && string(raw) == "null" {
			return nil // encoding/json sets the pointer to nil
		}
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			return jsonErrorAt(err, pathString(path))
		}
		return nil
	}
	walkValue = func(t reflect.Type) error {
		if t != nil && (t.Kind() == reflect.Interface || decodesItself(t) ||
			t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
			// Read by its own rules: anything, its own UnmarshalJSON, or
			// []byte (base64 text).
			t = nil
		}
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		d, ok := tok.(json.Delim)
		if !ok {
			if t != nil && !scalarFits(tok, t.Kind()) {
				return mistyped(t)
			}
			if n, isNum := tok.(json.Number); isNum && t != nil && !intFits(n, t) {
				// A whole number is the right type however large; one
				// beyond what the field holds is an unacceptable value
				// (422), like one beyond the field's own limit.
				field := pathString(path)
				if strings.HasPrefix(string(n), "-") {
					return portico.Invalidf(field, "%s is too small.", field)
				}
				return portico.Invalidf(field, "%s is too large.", field)
			}
			return nil
		}
		if len(path) >= maxDepth {
			return portico.Invalid("", "The request body is nested more than %d levels deep.", maxDepth)
		}
		switch d {
		case '{':
			if t != nil && t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
				return mistyped(t)
			}
			fields := jsonFields(t)
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return jsonError(err)
				}
				k := kt.(string)
				path = append(path, k)
				if seen[k] {
					field := pathString(path)
					return portico.Invalid(field, "Duplicate key %q.", field)
				}
				seen[k] = true
				var child reflect.Type
				switch {
				case fields != nil:
					ft, ok := fields.types[k]
					if !ok {
						return unknownField(root, fields, path)
					}
					child = ft
				case t != nil && t.Kind() == reflect.Map:
					child = t.Elem()
				}
				if err := walk(child); err != nil {
					return err
				}
				path = path[:len(path)-1]
			}
		case '[':
			if t != nil && t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return mistyped(t)
			}
			var elem reflect.Type
			if t != nil {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				path = append(path, i)
				if err := walk(elem); err != nil {
					return err
				}
				path = path[:len(path)-1]
			}
		}
		_, err = dec.Token() // the closing delimiter
		if err != nil {
			return jsonError(err)
		}
		return nil
	}
	return walk(t)
}

// scalarFits reports whether encoding/json can store the scalar token tok
// (null, a bool, a json.Number or a string) in a value of kind k. null
// fits anything (encoding/json leaves the value as it is).
func scalarFits(tok json.Token, k reflect.Kind) bool {
	switch tok := tok.(type) {
	case nil:
		return true
	case bool:
		return k == reflect.Bool
	case string:
		return k == reflect.String
	case json.Number:
		switch k {
		case reflect.Float32, reflect.Float64:
			return true
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			// Range is left to encoding/json; a fraction or exponent is
			// not an integer.
			return !strings.ContainsAny(string(tok), ".eE")
		}
		return false
	}
	return false
}

// intFits reports whether the number n, already known to fit an integer
// kind's syntax, is within the range of t; non-integer kinds always fit.
func intFits(n json.Number, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		_, err := strconv.ParseInt(string(n), 10, t.Bits())
		return err == nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err := strconv.ParseUint(string(n), 10, t.Bits())
		return err == nil
	}
	return true
}

var fieldCache sync.Map // reflect.Type → *structFields

// structFields are the JSON fields of a struct type decoded field by field.
type structFields struct {
	types map[string]reflect.Type // exact JSON name → Go type
	names []string                // the JSON names in declaration order
}

// jsonFields returns the exact JSON names of struct t's fields with their
// types; nil when t is not a struct decoded field by field (a map, an
// interface, a type with its own UnmarshalJSON).
func jsonFields(t reflect.Type) *structFields {
	if t == nil || t.Kind() != reflect.Struct || decodesItself(t) {
		return nil
	}
	if v, ok := fieldCache.Load(t); ok {
		return v.(*structFields)
	}
	f := &structFields{types: map[string]reflect.Type{}}
	addFields(f, t)
	fieldCache.Store(t, f)
	return f
}

func addFields(m *structFields, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" && opts == "":
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			addFields(m, f.Type)
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		ft := f.Type
		if strings.Contains(opts, "string") {
			// ,string: the value travels as a JSON string.
			ft = reflect.TypeFor[string]()
		}
		if _, dup := m.types[name]; !dup {
			m.names = append(m.names, name)
		}
		m.types[name] = ft
	}
}

// pathString writes a path as a field name: settings.theme, account_ids[2].
func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}
