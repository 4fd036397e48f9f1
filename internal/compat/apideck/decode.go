package apideck

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
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// maxBody bounds every request body, as on the native API.
const maxBody = 1 << 20

// maxDepth is encoding/json's own nesting limit: deeper bodies fail to
// decode anyway, so the key walk stops there.
const maxDepth = 10000

// decodeBody reads a JSON body strictly into v: application/json only, at
// most 1 MiB, valid UTF-8, no duplicate keys, no key v does not declare
// (spelled exactly), no trailing data, types as declared. Errors are 400
// RequestValidationError naming the field. An absent body leaves v as it
// is when optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	if optional && r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return portico.Errorf(portico.CodeUnsupportedMediaType, "Send the body as JSON with Content-Type: application/json.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return portico.Invalid("", "The request body could not be read.")
	}
	if len(body) > maxBody {
		return portico.Errorf(portico.CodePayloadTooLarge, "The request body must be at most %d bytes.", maxBody)
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeStrict(body, v)
}

// decodeStrict is the part of decodeBody that reads the bytes; the fuzz
// target drives it directly.
func decodeStrict(body []byte, v any) error {
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
		if typeErr.Field == "" {
			return portico.Invalid("", "The request body must be a JSON object.")
		}
		return portico.Invalid(typeErr.Field, "%s must be of type %s.", typeErr.Field, jsonType(typeErr.Type))
	case errors.As(err, &syntaxErr):
		return portico.Invalid("", "The request body is not valid JSON (at byte %d).", syntaxErr.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return portico.Invalid("", "The request body is empty or truncated JSON.")
	}
	// encoding/json names an unknown field only in its message; checkKeys
	// catches those first, so this is a fallback.
	if name, found := strings.CutPrefix(err.Error(), "json: unknown field "); found {
		name = strings.Trim(name, `"`)
		return portico.Invalid(name, "Unknown field %q.", name)
	}
	return portico.Invalid("", "The request body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonType names a Go type as a JSON Schema type.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return t.Kind().String()
}

// checkKeys walks body once along the Go type t it will be decoded into
// (nil: anything) and refuses a key named twice in one object and a key
// that t's struct does not declare with exactly that spelling: encoding/json
// keeps the last of duplicates and matches keys case-insensitively, so
// without this two parsers could read one body differently. Errors name the
// full path (settings.unified_apis[2]).
func checkKeys(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	// The path is kept as parts and turned into text only for an error:
	// building it at every level is quadratic in the depth.
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
		d, isDelim := tok.(json.Delim)
		if !isDelim {
			return nil
		}
		if len(path) >= maxDepth {
			return portico.Invalid("", "The request body is nested more than %d levels deep.", maxDepth)
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
					return portico.Invalid(pathString(path), "Duplicate key %q.", pathString(path))
				}
				seen[k] = true
				var child reflect.Type
				switch {
				case fields != nil:
					ft, declared := fields[k]
					if !declared {
						return portico.Invalid(pathString(path), "Unknown field %q.", pathString(path))
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
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return jsonError(err)
		}
		return nil
	}
	return walk(t)
}

// jsonFields maps the JSON names of struct t's fields to their types; nil
// when t is not a struct (a map, a RawMessage, an interface).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

// pathString writes a path as a field name: settings.theme, unified_apis[2].
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
