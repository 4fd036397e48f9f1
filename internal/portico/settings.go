package portico

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// A connection's settings are the values of its integration's
// settings_fields: not secret, stored in clear beside the sealed
// credentials, and filled into the integration's base_url, headers and
// verify path (docs/catalog-data.md).

// CheckSettings validates a connection's settings against the
// integration's settings_fields: every key declared, every required field
// present, values at most MaxSettingValueLen bytes of text matching the
// field's pattern, and the base URL they make an acceptable upstream URL.
// Blank values are left out. Errors are 422s naming settings.<field>.
func (in *Integration) CheckSettings(s map[string]string, allowPrivate bool) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(s)) {
		v := strings.TrimSpace(s[k])
		field := "settings." + k
		i := slices.IndexFunc(in.SettingsFields, func(f SettingsField) bool { return f.Name == k })
		if i < 0 {
			if len(in.SettingsFields) == 0 {
				return nil, Invalidf(field, "%s takes no settings.", in.Name)
			}
			return nil, Invalidf(field, "%q is not a settings field of %s.", Echo(k), in.Name)
		}
		if v == "" {
			continue
		}
		f := in.SettingsFields[i]
		if len(v) > MaxSettingValueLen || !utf8.ValidString(v) || hasControl(v) {
			return nil, Invalidf(field, "%s must be at most %d bytes of text.", f.Label, MaxSettingValueLen)
		}
		if f.Pattern != "" {
			re, err := regexp.Compile(f.Pattern)
			if err != nil || !re.MatchString(v) {
				return nil, Invalidf(field, "%s does not have the expected form (%s).", f.Label, f.Pattern)
			}
		}
		out[k] = v
	}
	for _, f := range in.SettingsFields {
		if _, ok := out[f.Name]; !ok && !f.Optional {
			return nil, Invalidf("settings."+f.Name, "%s is required.", f.Label)
		}
	}
	if _, err := in.BaseURLFor(out, allowPrivate); err != nil {
		return nil, err
	}
	return out, nil
}

// expandURL fills a URL template with settings: a value in the host must
// be host name labels, a value in the path is %-escaped as one segment.
// Errors name settings.<field>.
func expandURL(tmpl string, settings map[string]string) (string, error) {
	pathStart := len(tmpl)
	if i := strings.Index(tmpl, "://"); i >= 0 {
		if j := strings.IndexByte(tmpl[i+3:], '/'); j >= 0 {
			pathStart = i + 3 + j
		}
	}
	var bad error
	out := []byte{}
	last := 0
	for _, m := range placeholderRe.FindAllStringSubmatchIndex(tmpl, -1) {
		name := tmpl[m[2]:m[3]]
		v := settings[name]
		out = append(out, tmpl[last:m[0]]...)
		last = m[1]
		switch {
		case m[0] < pathStart:
			if !hostValueRe.MatchString(v) && bad == nil {
				bad = Invalidf("settings."+name, "settings.%s goes into the host name: letters, digits and hyphens, labels joined by dots.", name)
			}
			out = append(out, strings.ToLower(v)...)
		default:
			escaped := url.PathEscape(v)
			if (v == "" || v == "." || v == "..") && bad == nil {
				bad = Invalidf("settings."+name, "settings.%s cannot be empty, . or ..: it is part of the path.", name)
			}
			// Judged as an action's input is: an upstream that decodes
			// the path more than once must read no . or .. either.
			if err := checkRequestPath("/" + escaped); err != nil && bad == nil {
				bad = withField(err, "settings."+name)
			}
			out = append(out, escaped...)
		}
	}
	out = append(out, tmpl[last:]...)
	return string(out), bad
}

// BaseURLFor is the integration's base URL with the settings filled in,
// checked as an upstream URL (https, a public host unless allowPrivate).
func (in *Integration) BaseURLFor(settings map[string]string, allowPrivate bool) (string, error) {
	if !strings.Contains(in.BaseURL, "{") {
		return in.BaseURL, nil
	}
	u, err := expandURL(in.BaseURL, settings)
	if err != nil {
		return "", err
	}
	if err := checkUpstreamURL(u, allowPrivate, false); err != nil {
		return "", Invalidf("settings", "The settings make the base URL %s, which %s", Echo(u), messageOf(err))
	}
	return u, nil
}

// expandText fills a header template; ok is false when a setting it uses
// is empty (the header is then left out).
func expandText(tmpl string, settings map[string]string) (string, bool) {
	ok := true
	out := placeholderRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		v := settings[m[1:len(m)-1]]
		if v == "" {
			ok = false
		}
		return v
	})
	return out, ok
}

// expandPath fills a path template (verify.path) with %-escaped settings.
func expandPath(tmpl string, settings map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		return url.PathEscape(settings[m[1:len(m)-1]])
	})
}
