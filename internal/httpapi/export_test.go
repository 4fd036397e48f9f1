package httpapi

// QueryParamsOf exposes the query parameters declared for a route pattern
// (query.go) to the tests.
func QueryParamsOf(pattern string) ([]string, bool) {
	names, ok := queryParams[pattern]
	return names, ok
}
