package jsonbody

// CheckDuplicateKeys is checkKeys with no Go type (any): it refuses any
// object that names a key twice. The tests exercise the walk through it.
func CheckDuplicateKeys(body []byte) error { return checkKeys(body, nil) }
