package openapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// Reading a whole document with kin-openapi takes memory dozens of times
// its size (docs/openapi-import.md, "Limits"), and an import needs only
// the chosen operations and what their $refs reach. prune cuts a JSON
// document down to that before it is read.

// operationKeys are the members of a path item that hold an operation,
// as kin-openapi reads them; additionalOperations holds more, by name.
var operationKeys = []string{"connect", "delete", "get", "head", "options", "patch", "post", "put", "trace", "query"}

// kept is the part of a JSON value the pruned document keeps: all of it
// (whole), or some members of an object.
type kept struct {
	whole   bool
	raw     json.RawMessage
	members map[string]*kept
}

type pruner struct {
	root    map[string]json.RawMessage
	objects map[string]map[string]json.RawMessage // objects read so far, by JSON pointer
	out     *kept
	scan    []json.RawMessage // kept values whose $refs are still to be followed
}

// prune returns a JSON document with the document's "openapi" and "info",
// the path items holding an operation that sels choose (whole), and every
// value their $refs reach, directly or through others. ok is false when
// the document is not one prune can cut (not a JSON object, a path item
// that is a $ref, a $ref that is not a JSON pointer into the document, a
// value not shaped as OpenAPI says): the caller then reads it whole, and
// its own errors say what is wrong.
func prune(data []byte, sels []string) (out []byte, ok bool) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	if !json.Valid(t) {
		return nil, false
	}
	p := &pruner{objects: map[string]map[string]json.RawMessage{}, out: &kept{members: map[string]*kept{}}}
	p.root, _ = members(t)
	paths, ok := p.object("/paths", p.root["paths"])
	if !ok {
		return nil, false
	}
	for _, k := range []string{"openapi", "info"} {
		if raw, ok := p.root[k]; ok {
			p.out.members[k] = &kept{whole: true, raw: raw}
		}
	}
	keptPaths := &kept{members: map[string]*kept{}}
	p.out.members["paths"] = keptPaths
	for path, raw := range paths {
		hit, ok := chosen(path, raw, sels)
		if !ok {
			return nil, false
		}
		if hit {
			keptPaths.members[path] = &kept{whole: true, raw: raw}
			p.scan = append(p.scan, raw)
		}
	}
	for len(p.scan) > 0 {
		raw := p.scan[len(p.scan)-1]
		p.scan = p.scan[:len(p.scan)-1]
		for _, ref := range refs(raw) {
			if !p.keep(ref) {
				return nil, false
			}
		}
	}
	var b bytes.Buffer
	write(&b, p.out)
	return b.Bytes(), true
}

// chosen tells whether the path item at path holds an operation one of
// sels chooses, as find would choose it.
func chosen(path string, raw json.RawMessage, sels []string) (hit, ok bool) {
	item, ok := members(raw)
	if !ok {
		return false, false
	}
	if _, isRef := item["$ref"]; isRef {
		return false, false
	}
	type op struct{ method, id string }
	var ops []op
	read := func(method string, raw json.RawMessage) bool {
		fields, ok := members(raw)
		if !ok {
			return false
		}
		o := op{method: strings.ToUpper(method)}
		if id, ok := fields["operationId"]; ok && json.Unmarshal(id, &o.id) != nil {
			return false
		}
		ops = append(ops, o)
		return true
	}
	for _, k := range operationKeys {
		if raw, ok := item[k]; ok && !read(k, raw) {
			return false, false
		}
	}
	if raw, ok := item["additionalOperations"]; ok {
		more, ok := members(raw)
		if !ok {
			return false, false
		}
		for m, raw := range more {
			if !read(m, raw) {
				return false, false
			}
		}
	}
	for _, sel := range sels {
		sel = strings.TrimSpace(sel)
		m, p, isPath := strings.Cut(sel, " ")
		isPath = isPath && strings.HasPrefix(strings.TrimSpace(p), "/")
		if slices.ContainsFunc(ops, func(o op) bool {
			return isPath && o.method == strings.ToUpper(m) && path == strings.TrimSpace(p) || o.id != "" && o.id == sel
		}) {
			return true, true
		}
	}
	return false, true
}

// object reads the object at a JSON pointer once.
func (p *pruner) object(ptr string, raw json.RawMessage) (map[string]json.RawMessage, bool) {
	if obj, ok := p.objects[ptr]; ok {
		return obj, true
	}
	obj, ok := members(raw)
	if !ok {
		return nil, false
	}
	p.objects[ptr] = obj
	return obj, true
}

// keep adds the value a $ref names to the pruned document; false when
// ref is not a JSON pointer to a value of the document.
func (p *pruner) keep(ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok || strings.Contains(rest, "%") {
		return false
	}
	toks := strings.Split(rest, "/")
	obj, at, ptr := p.root, p.out, ""
	for i, tok := range toks {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		raw, ok := obj[tok]
		if !ok {
			return false
		}
		ptr += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
		next := at.members[tok]
		if next == nil {
			next = &kept{members: map[string]*kept{}}
			at.members[tok] = next
		}
		if next.whole {
			return true
		}
		if i == len(toks)-1 {
			next.whole, next.raw = true, raw
			p.scan = append(p.scan, raw)
			return true
		}
		if obj, ok = p.object(ptr, raw); !ok {
			// An array, or a value a pointer cannot enter: kept whole.
			next.whole, next.raw = true, raw
			p.scan = append(p.scan, raw)
			return true
		}
		at = next
	}
	return true
}

// write writes the kept part of a value; members in key order.
func write(b *bytes.Buffer, k *kept) {
	if k.whole {
		b.Write(k.raw)
		return
	}
	keys := make([]string, 0, len(k.members))
	for key := range k.members {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	b.WriteByte('{')
	for i, key := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(key)
		b.Write(name)
		b.WriteByte(':')
		write(b, k.members[key])
	}
	b.WriteByte('}')
}

// members splits a JSON object into its members' values, which stay
// slices of raw; a name given twice keeps its last value, as
// encoding/json does. raw is valid JSON (prune checks the document
// once); ok is false when it is not an object.
func members(raw []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] == '"'; {
		end := stringEnd(raw, i)
		name := raw[i : end+1]
		i = skipSpace(raw, skipSpace(raw, end+1)+1) // past the colon
		vend := valueEnd(raw, i)
		out[unquote(name)] = raw[i:vend:vend]
		if i = skipSpace(raw, vend); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return out, true
}

// valueEnd returns the index just past the valid JSON value at raw[i].
func valueEnd(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		return stringEnd(raw, i) + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(raw); j++ {
			switch raw[j] {
			case '"':
				j = stringEnd(raw, j)
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(raw)
	}
	for ; i < len(raw); i++ {
		switch raw[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// refs returns the string values of the "$ref" members anywhere in a
// valid JSON value.
func refs(raw []byte) []string {
	var out []string
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		end := stringEnd(raw, i)
		key := raw[i : end+1]
		i = end
		j := skipSpace(raw, end+1)
		if j >= len(raw) || raw[j] != ':' {
			continue
		}
		if !bytes.Equal(key, []byte(`"$ref"`)) && !(bytes.IndexByte(key, '\\') >= 0 && unquote(key) == "$ref") {
			continue
		}
		j = skipSpace(raw, j+1)
		if j < len(raw) && raw[j] == '"' {
			vend := stringEnd(raw, j)
			out = append(out, unquote(raw[j:vend+1]))
			i = vend
		}
	}
	return out
}

// stringEnd returns the index of the quote that ends the string starting
// at raw[i].
func stringEnd(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(raw) - 1
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// unquote reads a JSON string literal as encoding/json does.
func unquote(lit []byte) string {
	plain := true
	for _, c := range lit {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	json.Unmarshal(lit, &s)
	return s
}
