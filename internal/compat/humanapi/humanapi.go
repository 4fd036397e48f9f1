// Package humanapi speaks the wire format of the Human API Connect's token endpoint (SPEC.md §8.3), POST /v1/connect/token over the domain.
package humanapi

import "github.com/porticohq/portico/internal/compat"

// Register mounts the surface's routes.
func Register(mount compat.Mount, o compat.Options) {
}
