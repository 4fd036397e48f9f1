package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// unknownFieldPath finds the full path ("user.id", "settings[2].x") of the
// first key of body that t does not declare. encoding/json names only the
// key, which is ambiguous in nested bodies.
func unknownFieldPath(body []byte, t reflect.Type) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var walk func(t reflect.Type, path string) (string, bool)
	walk = func(t reflect.Type, path string) (string, bool) {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return "", false
		}
		switch d {
		case '{':
			fields := structFields(t)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return "", false
				}
				k, _ := kt.(string)
				child := join(path, k)
				var ft reflect.Type
				if fields != nil {
					f, ok := fields[strings.ToLower(k)]
					if !ok {
						return child, true
					}
					ft = f
				} else if t != nil && t.Kind() == reflect.Map {
					ft = t.Elem()
				}
				if p, found := walk(ft, child); found {
					return p, true
				}
			}
		case '[':
			var et reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				et = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if p, found := walk(et, path+"["+strconv.Itoa(i)+"]"); found {
					return p, true
				}
			}
		}
		dec.Token()
		return "", false
	}
	if p, found := walk(t, ""); found {
		return p
	}
	return ""
}

// structFields maps the lower-cased JSON names of t's fields to their types;
// nil when t is not a struct that rejects unknown keys.
func structFields(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct || t == reflect.TypeFor[json.RawMessage]() {
		return nil
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[strings.ToLower(name)] = f.Type
	}
	return m
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
