// Package openapitest makes OpenAPI documents for the tests and the
// benchmark of the OpenAPI import (docs/openapi-import.md, "Limits").
package openapitest

import (
	"fmt"
	"strings"
)

// Flat is a flat OpenAPI 3.0 JSON document of n operations: operation i
// is POST /items{i}/{id}, operationId createItem{i}, with a path
// parameter, a query parameter, and a body and a response of the
// component schema Item{i}.
func Flat(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"Large","version":"1"},"paths":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"/items%d/{id}":{"post":{"operationId":"createItem%d","summary":"Create an item of kind %d.",`+
			`"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}},{"name":"dry_run","in":"query","schema":{"type":"boolean"}}],`+
			`"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Item%d"}}}},`+
			`"responses":{"200":{"description":"The item.","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Item%d"}}}}}}}`, i, i, i, i, i)
	}
	b.WriteString(`},"components":{"schemas":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"Item%d":{"type":"object","required":["name"],"properties":{"name":{"type":"string","maxLength":100},"count":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"type":"string"}}}}`, i)
	}
	b.WriteString(`}}}`)
	return []byte(b.String())
}

// FlatYAML is Flat(n) written in YAML's block style.
func FlatYAML(n int) []byte {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo:\n  title: Large\n  version: \"1\"\npaths:\n")
	for i := range n {
		fmt.Fprintf(&b, `  /items%d/{id}:
    post:
      operationId: createItem%d
      summary: Create an item of kind %d.
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
        - name: dry_run
          in: query
          schema:
            type: boolean
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Item%d'
      responses:
        "200":
          description: The item.
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item%d'
`, i, i, i, i, i)
	}
	b.WriteString("components:\n  schemas:\n")
	for i := range n {
		fmt.Fprintf(&b, `    Item%d:
      type: object
      required: [name]
      properties:
        name:
          type: string
          maxLength: 100
        count:
          type: integer
          minimum: 0
        tags:
          type: array
          items:
            type: string
`, i)
	}
	return []byte(b.String())
}

// FlatUpTo is the largest Flat document of at most size bytes, within 1 %
// of it.
func FlatUpTo(size int) []byte { return upTo(Flat, size) }

// FlatYAMLUpTo is the largest FlatYAML document of at most size bytes,
// within 1 % of it.
func FlatYAMLUpTo(size int) []byte { return upTo(FlatYAML, size) }

func upTo(flat func(int) []byte, size int) []byte {
	n := size / (len(flat(1000)) / 1000)
	doc := flat(n)
	for len(doc) > size {
		n -= n / 100
		doc = flat(n)
	}
	return doc
}
