package portico

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// User is an end user of an app, keyed by ExternalID or, without one, by Email.
type User struct {
	ID         string
	AppID      string
	ExternalID *string
	Email      *string
	Name       string
	Metadata   json.RawMessage
	AccountIDs []string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Limits of user fields.
const (
	MaxExternalIDLen = 255
	MaxEmailLen      = 254
	MaxNameLen       = 255
	MaxMetadataSize  = 16 << 10
	MaxAccountIDs    = 100
)

// UserInput identifies a user to find or create, with the fields used when
// it is created.
type UserInput struct {
	ExternalID *string
	Email      *string
	Name       string
	Metadata   json.RawMessage
	AccountIDs []string
	// CreateAccounts: an account of AccountIDs the app lacks is created,
	// named by its id, in the transaction that finds or creates the user,
	// so that a request refused later (a limit) leaves none behind.
	// Mindset's accountUids create their accounts (docs/compat/mindset.md);
	// the native API refuses an unknown account.
	CreateAccounts bool
	// RefuseHeldEmail: a user keyed by Email (no ExternalID) that does not
	// exist yet is not created while a user with an external id has that
	// email; the answer is EmailHeld naming that user, not a second
	// person. The native API sets it (docs/openapi.json, createUser);
	// Mindset's users keyed by email stay a namespace of their own
	// (docs/compat/mindset.md).
	RefuseHeldEmail bool
}

// EmailHeld is the CodeConflict of a user keyed by an email that the user
// userID, who has an external id, already has (details.user_id; the field
// is email).
func EmailHeld(userID string) *Error {
	return &Error{Code: CodeConflict, Field: "email",
		Message: "User " + userID + " already has this email and an external_id: send that external_id to mean this user, or an external_id of your own for another person.",
		Details: map[string]any{"user_id": userID}}
}

// Normalize validates the input in place (trims and lower-cases the email)
// and reports the first problem; prefix is the field path ("" or "user.").
func (in *UserInput) Normalize(prefix string) error {
	if in.ExternalID == nil && in.Email == nil {
		return Invalidf(prefix+"external_id", "Either external_id or email is required.")
	}
	if in.ExternalID != nil {
		if err := CheckExternalID(*in.ExternalID); err != nil {
			return withField(err, prefix+"external_id")
		}
	}
	if in.Email != nil {
		e, err := NormalizeEmail(*in.Email)
		if err != nil {
			return withField(err, prefix+"email")
		}
		in.Email = &e
	}
	if err := checkName(in.Name); err != nil {
		return withField(err, prefix+"name")
	}
	md, err := NormalizeMetadata(prefix+"metadata", in.Metadata)
	if err != nil {
		return err
	}
	in.Metadata = md
	ids, err := NormalizeAccountIDs(in.AccountIDs)
	if err != nil {
		return withField(err, prefix+"account_ids")
	}
	in.AccountIDs = ids
	return nil
}

// UserUpdate is a partial change of a user; nil fields stay as they are.
type UserUpdate struct {
	ExternalID *string
	Email      *string
	Name       *string
	Metadata   json.RawMessage
	// AccountIDs, when non-nil, replaces the user's memberships.
	AccountIDs *[]string
}

// Normalize validates the update in place.
func (u *UserUpdate) Normalize() error {
	if u.ExternalID != nil {
		if err := CheckExternalID(*u.ExternalID); err != nil {
			return withField(err, "external_id")
		}
	}
	if u.Email != nil {
		e, err := NormalizeEmail(*u.Email)
		if err != nil {
			return withField(err, "email")
		}
		u.Email = &e
	}
	if u.Name != nil {
		if err := checkName(*u.Name); err != nil {
			return withField(err, "name")
		}
	}
	if u.Metadata != nil {
		md, err := NormalizeMetadata("metadata", u.Metadata)
		if err != nil {
			return err
		}
		u.Metadata = md
	}
	if u.AccountIDs != nil {
		ids, err := NormalizeAccountIDs(*u.AccountIDs)
		if err != nil {
			return withField(err, "account_ids")
		}
		u.AccountIDs = &ids
	}
	return nil
}

// UserFilter narrows a user list.
type UserFilter struct {
	ExternalID *string
	Email      *string
	AccountID  *string
}

func withField(err error, field string) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Field = field
		return &c
	}
	return err
}

// CheckExternalID accepts 1–255 bytes of valid UTF-8 without control characters.
func CheckExternalID(s string) error {
	switch {
	case s == "" || len(s) > MaxExternalIDLen:
		return Invalidf("external_id", "external_id must be 1 to %d bytes long.", MaxExternalIDLen)
	case !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError):
		return Invalidf("external_id", "external_id must be valid UTF-8.")
	case hasControl(s):
		return Invalidf("external_id", "external_id must not contain control characters.")
	}
	return nil
}

// NormalizeEmail trims and lower-cases an email address and checks its shape:
// at most 254 bytes, exactly one @ with text on both sides, no white space or
// control characters.
func NormalizeEmail(s string) (string, error) {
	bad := Invalidf("email", "email must be an address such as ann@example.com.")
	// Control characters are refused before trimming: TrimSpace would
	// quietly drop a trailing CR LF (a header-injection probe) and accept it.
	if hasControl(s) {
		return "", bad
	}
	e := strings.ToLower(strings.TrimSpace(s))
	if len(e) > MaxEmailLen {
		return "", Invalidf("email", "email must be at most %d bytes; this one is %d.", MaxEmailLen, len(e))
	}
	if e == "" || !utf8.ValidString(e) || hasControl(e) {
		return "", bad
	}
	at := strings.IndexByte(e, '@')
	if at <= 0 || at == len(e)-1 || strings.Count(e, "@") != 1 {
		return "", bad
	}
	for _, r := range e {
		if r == ' ' || r == '\t' || r == '\u00a0' || r == utf8.RuneError || r == '<' || r == '>' || r == ',' || r == ';' || r == '"' {
			return "", bad
		}
	}
	return e, nil
}

func checkName(s string) error {
	if len(s) > MaxNameLen || !utf8.ValidString(s) || hasControl(s) {
		return Invalidf("name", "name must be at most %d bytes of text without control characters.", MaxNameLen)
	}
	return nil
}

// NormalizeMetadata checks that md, the value of field (metadata,
// user.metadata, custom_settings), is a JSON object of at most 16 KiB and
// returns it compacted, its strings written as plain UTF-8 (a client's
// "\u00e9" is "é"), so that the limit and what is echoed back do not
// depend on the client's JSON encoder; nil becomes {}. Another JSON type is
// CodeInvalid, as a wrong type is everywhere (400); a larger object
// CodeValidation.
func NormalizeMetadata(field string, md json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(md)) == 0 || bytes.Equal(bytes.TrimSpace(md), []byte("null")) {
		return json.RawMessage("{}"), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, md); err != nil || buf.Bytes()[0] != '{' {
		return nil, Invalid(field, "%s must be of type object.", field)
	}
	out := buf.Bytes()
	if bytes.IndexByte(out, '\\') >= 0 {
		var err error
		if out, err = unescapeJSON(out); err != nil {
			return nil, Invalid(field, "%s must be of type object.", field)
		}
	}
	if len(out) > MaxMetadataSize {
		return nil, Invalidf(field, "%s must be at most %d bytes.", field, MaxMetadataSize)
	}
	return out, nil
}

// unescapeJSON writes compact JSON again with its strings in their
// shortest form (encoding/json's, without HTML escaping), keeping the
// order of object keys and the text of numbers.
func unescapeJSON(data []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var out bytes.Buffer
	str := json.NewEncoder(&out)
	str.SetEscapeHTML(false)
	type frame struct {
		object bool
		n      int
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if dl, ok := tok.(json.Delim); ok && (dl == '}' || dl == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(dl))
			continue
		}
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			switch {
			case f.object && f.n%2 == 1:
				out.WriteByte(':')
			case f.n > 0:
				out.WriteByte(',')
			}
			f.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, frame{object: v == '{'})
		case string:
			if err := str.Encode(v); err != nil {
				return nil, err
			}
			out.Truncate(out.Len() - 1) // Encode's newline
		case json.Number:
			out.WriteString(string(v))
		case bool:
			out.WriteString(strconv.FormatBool(v))
		case nil:
			out.WriteString("null")
		}
	}
}

var accountIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// CheckAccountID accepts 1–128 of A-Za-z0-9_-.
func CheckAccountID(s string) error {
	if !accountIDRe.MatchString(s) {
		return Invalidf("id", "Account ids are 1 to 128 characters of A-Z, a-z, 0-9, _ and -.")
	}
	return nil
}

// NormalizeAccountIDs validates a list of account ids and removes repeats.
func NormalizeAccountIDs(ids []string) ([]string, error) {
	if len(ids) > MaxAccountIDs {
		return nil, Invalidf("account_ids", "At most %d account ids.", MaxAccountIDs)
	}
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := CheckAccountID(id); err != nil {
			return nil, Invalidf("account_ids", "%q is not a valid account id.", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// Account is a group of users inside an app.
type Account struct {
	AppID     string
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CheckAccountName accepts 1–255 bytes of text.
func CheckAccountName(s string) error {
	if strings.TrimSpace(s) == "" || len(s) > MaxNameLen || !utf8.ValidString(s) || hasControl(s) {
		return Invalidf("name", "name is required: 1 to %d bytes of text.", MaxNameLen)
	}
	return nil
}
