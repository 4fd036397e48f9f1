package upstream

import (
	"net/http"
	"net/url"
	"testing"
)

// A redirect is followed on the same scheme and host, a host written with
// its scheme's default port or in other case included; never elsewhere.
func TestSameHostRedirects(t *testing.T) {
	req := func(u string) *http.Request {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{URL: p}
	}
	via := []*http.Request{req("https://api.example.com/v1/x")}
	for u, ok := range map[string]bool{
		"https://api.example.com/v2/y":   true,
		"https://api.example.com:443/y":  true,
		"https://API.Example.com/y":      true,
		"https://api.example.com:8443/y": false,
		"http://api.example.com/y":       false,
		"http://api.example.com:443/y":   false,
		"https://api.example.com.evil/y": false,
		"https://evil.example/y":         false,
		"https://api.example.com@evil/y": false,
		"https://[::1]:443/y":            false,
		"https://api.example.com:0443/y": false,
	} {
		if err := sameHostRedirects(req(u), via); (err == nil) != ok {
			t.Errorf("redirect to %s: %v, want followed %v", u, err, ok)
		}
	}
}
