// Package sessionstorage speaks the wire format of the Session Storage API (SPEC.md §8.4), under /session-storage/ over the domain.
package sessionstorage

import "github.com/porticohq/portico/internal/compat"

// Register mounts the surface's routes.
func Register(mount compat.Mount, o compat.Options) {
}
