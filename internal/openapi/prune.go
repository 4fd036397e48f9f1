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
// the chosen operations and what their $refs reach. prune cuts a document
// down to that before it is read: a JSON document as text, a YAML one as
// its parsed nodes.

// operationKeys are the members of a path item that hold an operation,
// as kin-openapi reads them; additionalOperations holds more, by name.
var operationKeys = []string{"connect", "delete", "get", "head", "options", "patch", "post", "put", "trace", "query"}

// form is what pruning needs of a document's values, of type V: the raw
// text of a JSON value, or a YAML node.
type form[V any] interface {
	// members are an object's members; ok is false when v is not an
	// object, or not one whose members a JSON pointer names plainly.
	members(v V) (map[string]V, bool)
	// text is a string value; null reads as "". ok is false for any other.
	text(v V) (string, bool)
	// refs are the string values of the "$ref" members anywhere in v.
	refs(v V) []string
	// encode writes the kept part of the document.
	encode(k *kept[V]) ([]byte, error)
}

// kept is the part of a value the pruned document keeps: all of it
// (whole), or some members of an object. val is the value.
type kept[V any] struct {
	whole   bool
	val     V
	members map[string]*kept[V]
}

type pruner[V any] struct {
	f       form[V]
	root    map[string]V
	objects map[string]map[string]V // objects read so far, by JSON pointer
	out     *kept[V]
	scan    []V // kept values whose $refs are still to be followed
}

// prune returns a document with the document's "openapi" and "info", the
// path items holding an operation that sels choose (whole), and every
// value their $refs reach, directly or through others. ok is false when
// the document is not one prune can cut (not an object, a path item that
// is a $ref, a $ref that is not a JSON pointer into the document, a value
// not shaped as OpenAPI says, a YAML anchor): the caller then reads it
// whole, and its own errors say what is wrong.
func prune[V any](f form[V], doc V, sels []string) (out []byte, ok bool) {
	root, ok := f.members(doc)
	if !ok {
		return nil, false
	}
	p := &pruner[V]{f: f, root: root, objects: map[string]map[string]V{}, out: &kept[V]{val: doc, members: map[string]*kept[V]{}}}
	paths, ok := p.object("/paths", p.root["paths"])
	if !ok {
		return nil, false
	}
	for _, k := range []string{"openapi", "info"} {
		if v, ok := p.root[k]; ok {
			p.out.members[k] = &kept[V]{whole: true, val: v}
		}
	}
	keptPaths := &kept[V]{val: p.root["paths"], members: map[string]*kept[V]{}}
	p.out.members["paths"] = keptPaths
	for path, v := range paths {
		hit, ok := p.chosen(path, v, sels)
		if !ok {
			return nil, false
		}
		if hit {
			keptPaths.members[path] = &kept[V]{whole: true, val: v}
			p.scan = append(p.scan, v)
		}
	}
	for len(p.scan) > 0 {
		v := p.scan[len(p.scan)-1]
		p.scan = p.scan[:len(p.scan)-1]
		for _, ref := range f.refs(v) {
			if !p.keep(ref) {
				return nil, false
			}
		}
	}
	b, err := f.encode(p.out)
	return b, err == nil
}

// chosen tells whether the path item at path holds an operation one of
// sels chooses, as find would choose it.
func (p *pruner[V]) chosen(path string, v V, sels []string) (hit, ok bool) {
	item, ok := p.f.members(v)
	if !ok {
		return false, false
	}
	if _, isRef := item["$ref"]; isRef {
		return false, false
	}
	type op struct{ method, id string }
	var ops []op
	read := func(method string, v V) bool {
		fields, ok := p.f.members(v)
		if !ok {
			return false
		}
		o := op{method: strings.ToUpper(method)}
		if id, ok := fields["operationId"]; ok {
			if o.id, ok = p.f.text(id); !ok {
				return false
			}
		}
		ops = append(ops, o)
		return true
	}
	for _, k := range operationKeys {
		if v, ok := item[k]; ok && !read(k, v) {
			return false, false
		}
	}
	if v, ok := item["additionalOperations"]; ok {
		more, ok := p.f.members(v)
		if !ok {
			return false, false
		}
		for m, v := range more {
			if !read(m, v) {
				return false, false
			}
		}
	}
	for _, sel := range sels {
		sel = strings.TrimSpace(sel)
		m, ps, isPath := strings.Cut(sel, " ")
		isPath = isPath && strings.HasPrefix(strings.TrimSpace(ps), "/")
		if slices.ContainsFunc(ops, func(o op) bool {
			return isPath && o.method == strings.ToUpper(m) && path == strings.TrimSpace(ps) || o.id != "" && o.id == sel
		}) {
			return true, true
		}
	}
	return false, true
}

// object reads the object at a JSON pointer once.
func (p *pruner[V]) object(ptr string, v V) (map[string]V, bool) {
	if obj, ok := p.objects[ptr]; ok {
		return obj, true
	}
	obj, ok := p.f.members(v)
	if !ok {
		return nil, false
	}
	p.objects[ptr] = obj
	return obj, true
}

// keep adds the value a $ref names to the pruned document; false when
// ref is not a JSON pointer to a value of the document.
func (p *pruner[V]) keep(ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	toks := strings.Split(rest, "/")
	obj, at, ptr := p.root, p.out, ""
	for i, tok := range toks {
		if tok, ok = refToken(tok); !ok {
			return false
		}
		v, ok := obj[tok]
		if !ok {
			return false
		}
		ptr += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
		next := at.members[tok]
		if next == nil {
			next = &kept[V]{val: v, members: map[string]*kept[V]{}}
			at.members[tok] = next
		}
		if next.whole {
			return true
		}
		if i == len(toks)-1 {
			next.whole = true
			p.scan = append(p.scan, v)
			return true
		}
		if obj, ok = p.object(ptr, v); !ok {
			// An array, or a value a pointer cannot enter: kept whole.
			next.whole = true
			p.scan = append(p.scan, v)
			return true
		}
		at = next
	}
	return true
}

// jsonForm is the text of JSON values, valid (pruneJSON checks the
// document once).
type jsonForm struct{}

// pruneJSON is prune of a JSON document.
func pruneJSON(data []byte, sels []string) ([]byte, bool) {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, false
	}
	return prune[json.RawMessage](jsonForm{}, t, sels)
}

func (jsonForm) members(v json.RawMessage) (map[string]json.RawMessage, bool) { return members(v) }

func (jsonForm) text(v json.RawMessage) (string, bool) {
	var s string
	return s, json.Unmarshal(v, &s) == nil
}

func (jsonForm) refs(v json.RawMessage) []string { return refs(v) }

func (jsonForm) encode(k *kept[json.RawMessage]) ([]byte, error) {
	var b bytes.Buffer
	write(&b, k)
	return b.Bytes(), nil
}

// write writes the kept part of a value; members in key order.
func write(b *bytes.Buffer, k *kept[json.RawMessage]) {
	if k.whole {
		b.Write(k.val)
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
