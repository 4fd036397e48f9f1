// Package mindset speaks the wire format of the Mindset AI SDK user authentication (SPEC.md §8.2) over the domain.
package mindset

import "github.com/porticohq/portico/internal/compat"

// Register mounts the surface's routes.
func Register(mount compat.Mount, o compat.Options) {
}
