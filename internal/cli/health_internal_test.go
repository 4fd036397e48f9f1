package cli

import "testing"

func TestReadyzURL(t *testing.T) {
	for _, tc := range []struct{ base, addr, want string }{
		{"", "127.0.0.1:8080", "http://127.0.0.1:8080/readyz"},
		{"", "0.0.0.0:8080", "http://127.0.0.1:8080/readyz"},
		{"", ":9000", "http://127.0.0.1:9000/readyz"},
		{"", "[::]:8080", "http://[::1]:8080/readyz"},
		{"", "[::1]:8080", "http://[::1]:8080/readyz"},
		{"", "portico.internal:8080", "http://portico.internal:8080/readyz"},
		{"https://portico.example.com/", "0.0.0.0:1", "https://portico.example.com/readyz"},
		{"https://example.com/portico", "", "https://example.com/portico/readyz"},
	} {
		got, err := readyzURL(tc.base, tc.addr)
		if err != nil || got != tc.want {
			t.Errorf("readyzURL(%q, %q) = %q, %v; want %q", tc.base, tc.addr, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ base, addr string }{
		{"", "8080"}, {"ftp://x", ""}, {"http://x/?a=1", ""}, {"/relative", ""},
	} {
		if got, err := readyzURL(tc.base, tc.addr); err == nil {
			t.Errorf("readyzURL(%q, %q) = %q, want an error", tc.base, tc.addr, got)
		}
	}
}
