package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// MaxBodyBytes bounds every request body (SPEC.md §3).
const MaxBodyBytes = 1 << 20

// decode reads a JSON body strictly into v: application/json only (415), at
// most 1 MiB (413), valid UTF-8, no duplicate keys, no unknown fields, no
// trailing data, types as declared (400 naming the field).
func decode(r *http.Request, v any) error {
	body, err := readJSONBody(r, false)
	if err != nil {
		return err
	}
	return DecodeStrict(body, v)
}

// decodeOptional is decode for endpoints whose body may be absent.
func decodeOptional(r *http.Request, v any) error {
	body, err := readJSONBody(r, true)
	if err != nil || body == nil {
		return err
	}
	return DecodeStrict(body, v)
}

func readJSONBody(r *http.Request, optional bool) ([]byte, error) {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, portico.Errorf(portico.CodeUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, portico.Invalid("", "The request body could not be read.")
	}
	if len(body) > MaxBodyBytes {
		return nil, portico.Errorf(portico.CodePayloadTooLarge, "The request body must be at most %d bytes.", MaxBodyBytes)
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	return body, nil
}

// DecodeStrict unmarshals body into v with the rules of decode. It is
// exported for the compatible surfaces, which share them.
func DecodeStrict(body []byte, v any) error {
	if !utf8.Valid(body) {
		return portico.Invalid("", "The request body is not valid UTF-8.")
	}
	if err := checkKeys(body, reflect.TypeOf(v)); err != nil {
		return err
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

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return portico.Invalid("", "The request body must be a JSON object.")
		}
		return portico.Invalid(field, "%s must be of type %s.", field, jsonType(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		return portico.Invalid("", "The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return portico.Invalid("", "The request body is empty or truncated JSON.")
	}
	// encoding/json reports unknown fields only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return portico.Invalid(name, "Unknown field %q.", name)
	}
	return portico.Invalid("", "The request body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "ptr":
		return "value"
	}
	return kind
}

// maxJSONDepth is encoding/json's own nesting limit: a deeper body fails to
// decode anyway, so walking it further would only burn stack.
const maxJSONDepth = 10000

// CheckDuplicateKeys walks a JSON document and refuses any object that names
// a key twice: encoding/json would silently keep the last, so two parsers
// could read one body differently.
func CheckDuplicateKeys(body []byte) error { return checkKeys(body, nil) }

// checkKeys walks body once, following the Go type t it will be decoded
// into (nil: any), and refuses a key named twice in one object, and a key
// that t's struct does not declare with exactly that spelling.
// encoding/json matches keys case-insensitively, so without the second rule
// {"external_id":"a","EXTERNAL_ID":"b"} would slip past the duplicate rule.
// Errors name the full path of the key (user.id, settings.integrations[2]).
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// path holds the keys and indexes leading to the current value. It is
	// turned into text only to name a bad key: building the text at every
	// level costs time and memory quadratic in the depth, which a 1 MiB
	// body of "[[[[…" turns into minutes and gigabytes.
	var path []any
	var walk func(t reflect.Type) error
	walk = func(t reflect.Type) error {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		tok, err := dec.Token()
		if err != nil {
			return jsonError(err)
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		if len(path) >= maxJSONDepth {
			return portico.Invalid("", "The request body is nested more than %d levels deep.", maxJSONDepth)
		}
		switch d {
		case '{':
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
					ft, ok := fields[k]
					if !ok {
						field := pathString(path)
						return portico.Invalid(field, "Unknown field %q.", field)
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
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
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

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the exact JSON names of struct t's fields to their types;
// nil when t is not a struct decoded field by field (a RawMessage, a type
// with its own UnmarshalJSON, a map, an interface).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	if v, ok := fieldCache.Load(t); ok {
		return v.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(m, t)
	fieldCache.Store(t, m)
	return m
}

func addFields(m map[string]reflect.Type, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			addFields(m, f.Type)
			continue
		case !f.IsExported():
			continue
		case name == "":
			name = f.Name
		}
		m[name] = f.Type
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
