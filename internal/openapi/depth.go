package openapi

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v4"

	"github.com/porticohq/portico/internal/portico"
)

// maxDepth bounds how deep a document's values nest. Resolving a document
// costs more than linear time in its depth, so a document nested thousands
// of levels deep took seconds of CPU and hundreds of MiB to import;
// documents in use nest a few dozen levels, and an action's schema may
// nest 64 at most anyway (docs/openapi-import.md).
const maxDepth = 128

var errDeep = fmt.Errorf("it nests deeper than %d levels", maxDepth)

// cutDown refuses a document nested deeper than maxDepth, before it is
// resolved, and returns what the operations sels choose need of it
// (prune), or the document itself (pruned false) when it cannot be cut.
// JSON is scanned as bytes (portico.JSONDepth); YAML is parsed to its
// nodes once, for both (an alias is not followed: it repeats a node
// counted where it stands). A document that does not parse is left to
// the loader to refuse.
func cutDown(data []byte, sels []string) (out []byte, pruned bool, err error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		if portico.JSONDepth(t) > maxDepth {
			return nil, false, errDeep
		}
		if cut, ok := pruneJSON(t, sels); ok {
			return cut, true, nil
		}
		return data, false, nil
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return data, false, nil
	}
	if nodeDepth(&root) > maxDepth {
		return nil, false, errDeep
	}
	if cut, ok := pruneYAML(&root, sels); ok {
		return cut, true, nil
	}
	return data, false, nil
}

// nodeDepth is how deep the mappings and sequences under root nest.
func nodeDepth(root *yaml.Node) int {
	type at struct {
		n     *yaml.Node
		depth int
	}
	deepest := 0
	stack := []at{{root, 0}}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if top.depth > maxDepth {
			return top.depth
		}
		deepest = max(deepest, top.depth)
		for _, c := range top.n.Content {
			d := top.depth
			if c.Kind == yaml.MappingNode || c.Kind == yaml.SequenceNode {
				d++
			}
			stack = append(stack, at{c, d})
		}
	}
	return deepest
}
