package httpapi

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// openAPIJSON is the OpenAPI 3.1 description of the native API, served at
// GET /openapi.json. It is written by hand; the tests hold it to the routes
// and the api types. docs/openapi.json is a copy for readers of the
// repository (go:embed cannot reach outside this package's directory), and a
// test fails when the two differ: after editing this one, run go generate.
//
//go:generate cp openapi.json ../../docs/openapi.json
//go:embed openapi.json
var openAPIJSON []byte

// openAPIETag is a strong validator of the document, which changes only
// with the binary.
var openAPIETag = mustCheckOpenAPI(openAPIJSON)

// mustCheckOpenAPI refuses, at package initialisation, a document that is
// not JSON or not OpenAPI 3.1: a broken document fails every test and the
// server's start, rather than one request in production.
func mustCheckOpenAPI(doc []byte) string {
	var head struct {
		OpenAPI string          `json:"openapi"`
		Paths   json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &head); err != nil {
		panic(fmt.Sprintf("httpapi: openapi.json is not valid JSON: %v", err))
	}
	if head.OpenAPI != "3.1.0" || len(head.Paths) == 0 {
		panic("httpapi: openapi.json is not an OpenAPI 3.1.0 document with paths")
	}
	sum := sha256.Sum256(doc)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// handleOpenAPI serves the document; a client that already holds it (its
// If-None-Match names the ETag) gets 304.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", openAPIETag)
	if etagMatches(r.Header.Get("If-None-Match"), openAPIETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIJSON)))
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIJSON)
	return nil
}

// etagMatches applies the weak comparison If-None-Match calls for (RFC 9110
// §13.1.2): "*" or any listed tag equal to etag, W/ prefixes ignored.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
