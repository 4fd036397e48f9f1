package api

// CatalogTemplate is a template of the built-in catalogue (GET
// /v1/catalog): an integration definition without an OAuth2 client (its
// client_id is "" and its client_secret null: the app brings its own), and
// the documentation pages its facts come from.
type CatalogTemplate struct {
	Slug           string            `json:"slug"`
	Name           string            `json:"name"`
	Category       string            `json:"category"`
	Description    string            `json:"description"`
	LogoURL        *string           `json:"logo_url"`
	BrandColor     *string           `json:"brand_color"`
	SourceURL      string            `json:"source_url"`
	Sources        []CatalogSource   `json:"sources"`
	BaseURL        string            `json:"base_url"`
	SettingsFields []SettingsField   `json:"settings_fields"`
	Headers        map[string]string `json:"headers"`
	Auth           IntegrationAuth   `json:"auth"`
	Guide          *Guide            `json:"guide"`
	Verify         *Verify           `json:"verify"`
	Actions        []Action          `json:"actions"`
}

// CatalogSource is a documentation page and the facts taken from it.
type CatalogSource struct {
	URL   string `json:"url"`
	Facts string `json:"facts"`
}
