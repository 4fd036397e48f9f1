package store

// The few SQL strings that differ between SQLite and PostgreSQL. Placeholders
// are written as ? everywhere and rewritten by DB.q.

// forUpdate locks the selected rows until the transaction ends. SQLite needs
// no lock: its single writer connection, which begins IMMEDIATE, already
// serialises every read-then-write transaction.
func (d dialect) forUpdate() string {
	if d == postgres {
		return " FOR UPDATE"
	}
	return ""
}

// forShare keeps the selected rows from being changed until the
// transaction ends (an UPDATE waits for it); a row changed and committed
// while it waited is read as changed.
func (d dialect) forShare() string {
	if d == postgres {
		return " FOR SHARE"
	}
	return ""
}

// forKeyShare keeps the selected rows from being deleted, or their keys
// changed, until the transaction ends, while others may still read, lock
// and refer to them. A transaction that writes rows referring to a user or
// a session takes it first, as deleting the user does (its cascade locks
// the user's row, then the rows below it): the two then queue instead of
// deadlocking, and a row deleted meanwhile is not found rather than
// failing the write on its foreign key.
func (d dialect) forKeyShare() string {
	if d == postgres {
		return " FOR KEY SHARE"
	}
	return ""
}

// groupConcat aggregates a text column into one comma-separated value.
func (d dialect) groupConcat(col string) string {
	if d == postgres {
		return "string_agg(" + col + ", ',')"
	}
	return "group_concat(" + col + ", ',')"
}

// Keyset pages compare (created_at, id) as one row value: both engines turn
// that into an index range, where the equivalent
// "created_at > ? OR (created_at = ? AND id > ?)" makes them scan from the
// start of the range, so that deep pages cost more than the first.
