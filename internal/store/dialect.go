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
