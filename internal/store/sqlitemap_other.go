//go:build !linux

package store

// lookupVFS returns 0, SQLite's default VFS: the shared mapping of the
// store (sqlitemap_linux.go) is built on Linux's mmap, and elsewhere the
// lookups read with pread.
func lookupVFS() (uintptr, error) { return 0, nil }
