package httpapi

import (
	"net/http"

	"github.com/porticohq/portico/api"
	"github.com/porticohq/portico/internal/portico"
)

// catalogJSON is the wire form of a catalogue template: its integration's
// wire form without what belongs to an app (docs/catalog-data.md).
func catalogJSON(t *portico.CatalogTemplate) api.CatalogTemplate {
	in := integrationJSON(&t.Integration)
	out := api.CatalogTemplate{Slug: t.Slug, Name: in.Name, Category: t.Category, Description: t.Description, LogoURL: in.LogoURL,
		BrandColor: in.BrandColor, SourceURL: t.SourceURL, Sources: make([]api.CatalogSource, 0, len(t.Sources)), BaseURL: in.BaseURL,
		SettingsFields: in.SettingsFields, Headers: in.Headers, Auth: in.Auth, Guide: in.Guide, Verify: in.Verify, Actions: in.Actions}
	for _, s := range t.Sources {
		out.Sources = append(out.Sources, api.CatalogSource(s))
	}
	return out
}

// handleCatalogList lists the built-in catalogue in slug order, paged
// like every list; ?category= keeps one category.
func (s *Server) handleCatalogList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageRequest(r)
	if err != nil {
		return err
	}
	category := ""
	if c := queryFilter(r, "category"); c != nil {
		category = *c
	}
	page, err := s.svc.ListCatalog(category, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listOf(page, catalogJSON))
	return nil
}
