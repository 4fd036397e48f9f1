package openapi

import (
	"go.yaml.in/yaml/v4"
)

// yamlForm is the nodes of a parsed YAML document. The pruned document is
// the kept nodes written again as YAML, so kin-openapi reads each kept
// value from the same nodes, with its own YAML rules, as it would have
// read them in the whole document.
type yamlForm struct{}

// pruneYAML is prune of a parsed YAML document. A document with an anchor
// (and so an alias, or a merge key that names one) is not cut: a kept
// value could name an anchor the cut leaves out.
func pruneYAML(root *yaml.Node, sels []string) ([]byte, bool) {
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || hasAnchor(root) {
		return nil, false
	}
	return prune[*yaml.Node](yamlForm{}, root.Content[0], sels)
}

func hasAnchor(n *yaml.Node) bool {
	if n.Anchor != "" || n.Kind == yaml.AliasNode {
		return true
	}
	for _, c := range n.Content {
		if hasAnchor(c) {
			return true
		}
	}
	return false
}

// members are a mapping's values by key. Keys must be plain strings or
// integers (as response codes are written), each given once, and none a
// merge key: the names a JSON pointer uses are then the keys as written.
func (yamlForm) members(n *yaml.Node) (map[string]*yaml.Node, bool) {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content)%2 != 0 {
		return nil, false
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" && k.Tag != "!!int" {
			return nil, false
		}
		if _, twice := out[k.Value]; twice {
			return nil, false
		}
		out[k.Value] = n.Content[i+1]
	}
	return out, true
}

func (yamlForm) text(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	switch n.Tag {
	case "!!str":
		return n.Value, true
	case "!!null":
		return "", true
	}
	return "", false
}

// refs are the "$ref" members with a string value anywhere below n.
func (yamlForm) refs(n *yaml.Node) []string {
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Kind == yaml.ScalarNode && k.Value == "$ref" && v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
					out = append(out, v.Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

// encode writes the kept nodes, each mapping's members in their order in
// the document, with their own keys.
func (yamlForm) encode(k *kept[*yaml.Node]) ([]byte, error) {
	var build func(k *kept[*yaml.Node]) *yaml.Node
	build = func(k *kept[*yaml.Node]) *yaml.Node {
		if k.whole {
			return k.val
		}
		src := k.val
		out := &yaml.Node{Kind: yaml.MappingNode, Tag: src.Tag, Style: src.Style}
		for i := 0; i+1 < len(src.Content); i += 2 {
			if m, ok := k.members[src.Content[i].Value]; ok {
				out.Content = append(out.Content, src.Content[i], build(m))
			}
		}
		return out
	}
	return yaml.Marshal(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{build(k)}})
}
