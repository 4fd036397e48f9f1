package portico

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
)

// OpenAPIInput asks PUT /v1/integrations/{slug} to make actions of
// operations of an OpenAPI document (docs/openapi-import.md): exactly one
// of Document and URL.
type OpenAPIInput struct {
	// Document is the document itself: a JSON object, or a JSON string
	// holding the document's JSON or YAML text.
	Document json.RawMessage
	// URL is where to fetch the document: https, through the address
	// guard, at most MaxOpenAPIDocument bytes.
	URL string
	// Operations chooses the operations, each by operationId or as
	// "METHOD /path".
	Operations []string
}

// MaxOpenAPIDocument bounds an OpenAPI document, given or fetched.
const MaxOpenAPIDocument = 10 << 20

// MaxOpenAPIOperations bounds the operations one PUT imports.
const MaxOpenAPIOperations = MaxActions

// OpenAPIImporter reads OpenAPI documents (package openapi).
type OpenAPIImporter interface {
	// Import returns the actions of the chosen operations, in their
	// order. Errors are CodeValidation naming the field under "openapi"
	// (openapi.document, openapi.url, openapi.operations[2]) and, for an
	// operation, the operation and why it cannot be an action.
	Import(ctx context.Context, in *OpenAPIInput) ([]Action, error)
}

// addOpenAPIActions appends the actions of in's operations to integ's;
// a name already taken is refused, naming the operation.
func (s *Service) addOpenAPIActions(ctx context.Context, integ *Integration, in *OpenAPIInput) error {
	if string(bytes.TrimSpace(in.Document)) == "null" {
		in.Document = nil
	}
	if (len(in.Document) == 0) == (in.URL == "") {
		return Invalidf("openapi", "openapi needs exactly one of document and url.")
	}
	if len(in.Document) > MaxOpenAPIDocument {
		return Invalidf("openapi.document", "openapi.document must be at most %d bytes.", MaxOpenAPIDocument)
	}
	if in.URL != "" {
		if err := checkUpstreamURL(in.URL, s.AllowPrivateUpstreams, true); err != nil {
			return Invalidf("openapi.url", "openapi.url %s", messageOf(err))
		}
	}
	if len(in.Operations) == 0 {
		return Invalidf("openapi.operations", "openapi.operations must name at least one operation, by operationId or as \"GET /path\".")
	}
	if len(in.Operations) > MaxOpenAPIOperations {
		return Invalidf("openapi.operations", "At most %d operations.", MaxOpenAPIOperations)
	}
	if s.OpenAPI == nil {
		return Errorf(CodeValidation, "This server cannot read OpenAPI documents.")
	}
	actions, err := s.OpenAPI.Import(ctx, in)
	if err != nil {
		return err
	}
	for i, a := range actions {
		if slices.ContainsFunc(integ.Actions, func(b Action) bool { return b.Name == a.Name }) {
			return Invalidf(fmtField("openapi.operations", i), "Operation %s would be the action %q, which the integration already has.", in.Operations[i], a.Name)
		}
		integ.Actions = append(integ.Actions, a)
	}
	return nil
}
