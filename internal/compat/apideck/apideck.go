// Package apideck speaks the wire format of the Apideck Vault (SPEC.md §8.5), under /vault/ over the domain.
package apideck

import "github.com/porticohq/portico/internal/compat"

// Register mounts the surface's routes.
func Register(mount compat.Mount, o compat.Options) {
}
