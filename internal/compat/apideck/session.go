package apideck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/portico"
)

// sessionBody is the Vault's Session schema.
type sessionBody struct {
	ConsumerMetadata       *consumerMetadata `json:"consumer_metadata"`
	RedirectURI            *string           `json:"redirect_uri"`
	Settings               *sessionSettings  `json:"settings"`
	Theme                  *theme            `json:"theme"`
	CustomConsumerSettings json.RawMessage   `json:"custom_consumer_settings"`
}

// sessionOut is the data of the Vault's CreateSessionResponse.
type sessionOut struct {
	SessionURI   string `json:"session_uri"`
	SessionToken string `json:"session_token"`
}

// consumerMetadata is the Vault's ConsumerMetadata schema.
type consumerMetadata struct {
	AccountName *string `json:"account_name,omitempty"`
	UserName    *string `json:"user_name,omitempty"`
	Email       *string `json:"email,omitempty"`
	Image       *string `json:"image,omitempty"`
}

// sessionSettings is Session.settings. hide_resource_settings, show_logs,
// show_suggestions, show_sidebar and hide_guides shape the hosted page
// (docs/hosted-page.md) through their native counterparts; show_logs is
// show_activity.
type sessionSettings struct {
	UnifiedAPIs          []string  `json:"unified_apis"`
	HideResourceSettings *bool     `json:"hide_resource_settings"`
	SandboxMode          *bool     `json:"sandbox_mode"`
	IsolationMode        *bool     `json:"isolation_mode"`
	SessionLength        *string   `json:"session_length"`
	ShowLogs             *bool     `json:"show_logs"`
	ShowSuggestions      *bool     `json:"show_suggestions"`
	ShowSidebar          *bool     `json:"show_sidebar"`
	AutoRedirect         *bool     `json:"auto_redirect"`
	HideGuides           *bool     `json:"hide_guides"`
	AllowActions         *[]string `json:"allow_actions"`
}

// theme is Session.theme.
type theme struct {
	Favicon                  string `json:"favicon"`
	Logo                     string `json:"logo"`
	PrimaryColor             string `json:"primary_color"`
	SidepanelBackgroundColor string `json:"sidepanel_background_color"`
	SidepanelTextColor       string `json:"sidepanel_text_color"`
	VaultName                string `json:"vault_name"`
	PrivacyURL               string `json:"privacy_url"`
	TermsURL                 string `json:"terms_url"`
}

// allActions is the Vault's default for allow_actions: "By default all
// actions are visible".
var allActions = []string{"delete", "disconnect", "reauthorize", "disable"}

// defaultSessionLength is the Vault's documented default, "1h".
const defaultSessionLength = 3600

// The native names of the fields this surface renames: a domain error about
// one of them is reported under the Vault's name.
var sessionFields = map[string]string{
	"ttl_seconds":                    "settings.session_length",
	"settings.categories":            "settings.unified_apis",
	"theme.name":                     "theme.vault_name",
	"theme.logo_url":                 "theme.logo",
	"theme.favicon_url":              "theme.favicon",
	"theme.sidebar_background_color": "theme.sidepanel_background_color",
	"theme.sidebar_text_color":       "theme.sidepanel_text_color",
	"user.name":                      "consumer_metadata.user_name",
	"user.email":                     "consumer_metadata.email",
	"user.metadata":                  "consumer_metadata",
	"user.external_id":               headerConsumerID,
	"user.account_ids":               "consumer_metadata",
}

// handleSessionCreate is POST /vault/sessions: a Portico session for the
// consumer (found or created), answered with its configuration URL as
// session_uri and its token as session_token.
func (s *server) handleSessionCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var body sessionBody
	if err := decodeBody(r, &body, true); err != nil {
		return err
	}
	in, err := sessionInput(c, &body)
	if err != nil {
		return err
	}
	if in.User, err = s.Service.KeyInput(r.Context(), c.app.ID, c.consumerID, in.User); err != nil {
		return err
	}
	out, err := s.Service.CreateSession(r.Context(), c.app, *in)
	if err != nil {
		return renameField(err, sessionFields)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeOK(w, sessionOut{SessionURI: out.Link.URL, SessionToken: out.Token})
	return nil
}

// sessionInput translates a Session body to the native session request.
func sessionInput(c *call, body *sessionBody) (*portico.SessionInput, error) {
	consumer := c.consumerID
	in := &portico.SessionInput{User: portico.UserInput{ExternalID: &consumer}}
	if m := body.ConsumerMetadata; m != nil {
		if err := metadataInto(&in.User, m); err != nil {
			return nil, err
		}
	}
	if body.RedirectURI != nil {
		in.RedirectURI = *body.RedirectURI
	}
	ttl := min(defaultSessionLength, c.app.Settings.MaxSessionTTLSeconds)
	in.Settings.AllowActions = append([]string{}, allActions...)
	if st := body.Settings; st != nil {
		if st.SessionLength != nil {
			secs, err := sessionLength(*st.SessionLength, c.app.Settings.MaxSessionTTLSeconds)
			if err != nil {
				return nil, err
			}
			ttl = secs
		}
		in.Settings.Categories = st.UnifiedAPIs
		if st.AllowActions != nil {
			for i, a := range *st.AllowActions {
				if !slices.Contains(allActions, a) {
					return nil, portico.Invalid(fmt.Sprintf("settings.allow_actions[%d]", i),
						"settings.allow_actions[%d] must be one of %s.", i, strings.Join(allActions, ", "))
				}
			}
			in.Settings.AllowActions = append([]string{}, *st.AllowActions...)
		}
		in.Settings.SandboxMode = deref(st.SandboxMode)
		in.Settings.IsolationMode = deref(st.IsolationMode)
		in.Settings.AutoRedirect = deref(st.AutoRedirect)
		in.Settings.ShowSidebar, in.Settings.ShowActivity = st.ShowSidebar, st.ShowLogs
		in.Settings.HideGuides = deref(st.HideGuides)
		in.Settings.HideResourceSettings = deref(st.HideResourceSettings)
		in.Settings.ShowSuggestions = deref(st.ShowSuggestions)
	}
	in.TTLSeconds = &ttl
	if t := body.Theme; t != nil {
		in.Theme = &portico.Theme{Name: t.VaultName, LogoURL: t.Logo, FaviconURL: t.Favicon,
			PrimaryColor: t.PrimaryColor, SidebarBackgroundColor: t.SidepanelBackgroundColor,
			SidebarTextColor: t.SidepanelTextColor, PrivacyURL: t.PrivacyURL, TermsURL: t.TermsURL}
	}
	// The domain keeps custom settings as a JSON object of bounded size;
	// say so in the Vault's terms before it does in its own.
	if cs := bytes.TrimSpace(body.CustomConsumerSettings); len(cs) > 0 && !bytes.Equal(cs, []byte("null")) {
		if cs[0] != '{' {
			return nil, portico.Invalid("custom_consumer_settings", "custom_consumer_settings must be of type object.")
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, cs); err != nil {
			return nil, err
		}
		if compact.Len() > portico.MaxMetadataSize {
			return nil, portico.Invalidf("custom_consumer_settings", "custom_consumer_settings must be at most %d bytes of JSON.", portico.MaxMetadataSize)
		}
		in.CustomSettings = compact.Bytes()
	}
	return in, nil
}

// sessionLength checks a session_length against the Vault's limit of one
// week and the app's max_session_ttl_seconds, and returns it in seconds.
func sessionLength(v string, appMax int) (int, error) {
	secs, valid := parseSessionLength(v)
	switch {
	case !valid:
		return 0, portico.Invalid("settings.session_length",
			"settings.session_length must be a whole number followed by a unit: s, m, h, d or w (\"30m\", \"1h\", \"7d\").")
	case secs <= 0:
		return 0, portico.Invalidf("settings.session_length", "settings.session_length must be longer than zero.")
	case secs > maxSessionLength:
		return 0, portico.Invalidf("settings.session_length", "settings.session_length must be at most one week (\"7d\").")
	case secs > int64(appMax):
		return 0, portico.Invalidf("settings.session_length",
			"settings.session_length must be at most the app's max_session_ttl_seconds (%d seconds).", appMax)
	}
	return int(secs), nil
}

// maxSessionLength is the Vault's limit: "maximum 1 week".
const maxSessionLength = 7 * 24 * 3600

// sessionLengthUnits are the units a session_length may end with, in
// seconds.
var sessionLengthUnits = map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}

// parseSessionLength reads a Vault session length: 1 to 7 decimal digits
// and one unit of s, m, h, d or w, nothing else ("30m", "1h", "7d"). Seven
// digits are enough for a week in seconds, and keep every product within
// int64.
func parseSessionLength(v string) (int64, bool) {
	if len(v) < 2 || len(v) > 8 {
		return 0, false
	}
	unit, found := sessionLengthUnits[v[len(v)-1]]
	if !found {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v)-1; i++ {
		d := v[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		n = n*10 + int64(d-'0')
	}
	return n * unit, true
}

// metadataInto sets the user fields of consumer metadata: user_name is the
// name, email the email, account_name and image go to the metadata.
func metadataInto(u *portico.UserInput, m *consumerMetadata) error {
	if m.UserName != nil {
		u.Name = *m.UserName
	}
	u.Email = m.Email
	md, err := extraMetadata(nil, m)
	if err != nil {
		return err
	}
	u.Metadata = md
	return nil
}

// extraMetadata returns the user metadata old with the consumer metadata
// kept there (account_name, image) set from m.
func extraMetadata(old json.RawMessage, m *consumerMetadata) (json.RawMessage, error) {
	md := map[string]any{}
	if len(old) > 0 {
		if err := json.Unmarshal(old, &md); err != nil {
			return nil, err
		}
	}
	if m.AccountName != nil {
		if len(*m.AccountName) > portico.MaxNameLen || !utf8.ValidString(*m.AccountName) || portico.HasControl(*m.AccountName) {
			return nil, portico.Invalidf("consumer_metadata.account_name",
				"consumer_metadata.account_name must be at most %d bytes of text without control characters.", portico.MaxNameLen)
		}
		md["account_name"] = *m.AccountName
	}
	if m.Image != nil {
		if portico.CheckWebURL(*m.Image) != nil {
			return nil, portico.Invalidf("consumer_metadata.image", "consumer_metadata.image must be an absolute http or https URL.")
		}
		md["image"] = *m.Image
	}
	return json.Marshal(md)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// renameField reports a domain error about a natively named field under the
// Vault's name, in its field and its message.
func renameField(err error, names map[string]string) error {
	e, isDomain := err.(*portico.Error)
	if !isDomain || e.Field == "" {
		return err
	}
	to, found := names[e.Field]
	if !found {
		return err
	}
	c := *e
	c.Field = to
	switch from := e.Field[strings.LastIndexByte(e.Field, '.')+1:]; {
	case e.Field == "page_token":
		c.Message = errBadCursor.Message
	case strings.Contains(e.Message, e.Field):
		c.Message = strings.Replace(e.Message, e.Field, to, 1)
	default:
		c.Message = replaceWord(e.Message, from, to)
	}
	return &c
}

// errBadCursor is the Vault's word for a page token the list refuses.
var errBadCursor = portico.Invalid("cursor", "The cursor is invalid; use meta.cursors.next of a previous page of the same list.")

// replaceWord replaces the first occurrence of word in s that is a word of
// its own: not part of a longer name (next_page_token holds page_token).
func replaceWord(s, word, to string) string {
	isName := func(b byte) bool {
		return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
	}
	// A dot joins names (consumer_metadata.image) unless it ends a sentence.
	joined := func(i int) bool { return s[i] == '.' && i+1 < len(s) && isName(s[i+1]) }
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return s
		}
		start, end := i+j, i+j+len(word)
		before := start > 0 && (isName(s[start-1]) || s[start-1] == '.')
		after := end < len(s) && (isName(s[end]) || joined(end))
		if !before && !after {
			return s[:start] + to + s[end:]
		}
		i = end
	}
}
