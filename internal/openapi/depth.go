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

// checkDepth refuses a document nested deeper than maxDepth, before it is
// resolved. JSON is scanned as bytes (portico.JSONDepth); YAML is parsed
// to its nodes (an alias is not followed: it repeats a node counted where
// it stands). A document that does not parse is left to the loader to
// refuse.
func checkDepth(data []byte) error {
	errDeep := fmt.Errorf("it nests deeper than %d levels", maxDepth)
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		if portico.JSONDepth(t) > maxDepth {
			return errDeep
		}
		return nil
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	type at struct {
		n     *yaml.Node
		depth int
	}
	stack := []at{{&root, 0}}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if top.depth > maxDepth {
			return errDeep
		}
		for _, c := range top.n.Content {
			d := top.depth
			if c.Kind == yaml.MappingNode || c.Kind == yaml.SequenceNode {
				d++
			}
			stack = append(stack, at{c, d})
		}
	}
	return nil
}
