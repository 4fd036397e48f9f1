// Package superface speaks the wire format of the Superface Hub API (SPEC.md §8.1), under /api/hub/ over the domain.
package superface

import "github.com/porticohq/portico/internal/compat"

// Register mounts the surface's routes.
func Register(mount compat.Mount, o compat.Options) {
}
