package apideck

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// consumerOut is the Vault's Consumer schema. Portico counts no requests
// per user, so the request-count fields are left out rather than filled
// with made-up numbers.
type consumerOut struct {
	ConsumerID    string                `json:"consumer_id"`
	ApplicationID string                `json:"application_id"`
	Metadata      consumerMetadata      `json:"metadata"`
	Connections   *[]consumerConnection `json:"connections,omitempty"`
	Services      *[]string             `json:"services,omitempty"`
	Created       string                `json:"created"`
	Modified      string                `json:"modified"`
}

// createConsumerBody is the Vault's CreateConsumerRequest.
type createConsumerBody struct {
	ConsumerID *string           `json:"consumer_id"`
	Metadata   *consumerMetadata `json:"metadata"`
}

// updateConsumerBody is the Vault's UpdateConsumerRequest.
type updateConsumerBody struct {
	Metadata *consumerMetadata `json:"metadata"`
}

// meta and links are the Vault's pagination objects. Portico's pages are
// keyset pages that only go forward, so there is no previous cursor.
type meta struct {
	ItemsOnPage int     `json:"items_on_page"`
	Cursors     cursors `json:"cursors"`
}

type cursors struct {
	Previous *string `json:"previous"`
	Current  *string `json:"current"`
	Next     *string `json:"next"`
}

type links struct {
	Previous *string `json:"previous"`
	Current  string  `json:"current"`
	Next     *string `json:"next"`
}

// consumerFields names in the Vault's terms the user fields a consumer
// request sets.
var consumerFields = map[string]string{
	"external_id": "consumer_id",
	"name":        "metadata.user_name",
	"email":       "metadata.email",
	"metadata":    "metadata",
	"page_token":  "cursor",
	"page_size":   "limit",
}

// Page sizes of the Vault: 1 to 200, 20 by default. Portico's pages hold at
// most portico.MaxPageSize; a larger limit gets full pages of that size,
// which a cursor-following client cannot tell from a short page.
const (
	defaultLimit = 20
	maxLimit     = 200
)

// handleConsumerList is GET /vault/consumers: the app's users, oldest
// first, a page at a time.
func (s *server) handleConsumerList(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	for k := range q {
		if k == "filter" || strings.HasPrefix(k, "filter[") {
			return portico.Invalid("filter", "filter is not supported: page through all consumers with cursor, or get one by its id.")
		}
	}
	limit := defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return portico.Invalid("limit", "limit must be a whole number between 1 and %d.", maxLimit)
		}
		limit = n
	}
	cursor := q.Get("cursor")
	page, err := s.Service.ListUsers(r.Context(), c.app.ID, portico.UserFilter{},
		portico.PageRequest{Size: min(limit, portico.MaxPageSize), Token: cursor})
	if err != nil {
		return renameField(err, consumerFields)
	}
	data := make([]consumerOut, len(page.Data))
	for i := range page.Data {
		data[i] = toConsumer(c.app.ID, &page.Data[i])
	}
	self := func(cur string) string {
		v := url.Values{}
		if q.Has("limit") {
			v.Set("limit", strconv.Itoa(limit))
		}
		if cur != "" {
			v.Set("cursor", cur)
		}
		u := s.Service.PublicURL + "/vault/consumers"
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		return u
	}
	m := &meta{ItemsOnPage: len(data), Cursors: cursors{Next: page.Next}}
	l := &links{Current: self(cursor)}
	if cursor != "" {
		m.Cursors.Current = &cursor
	}
	if page.Next != nil {
		next := self(*page.Next)
		l.Next = &next
	}
	compat.WriteJSON(w, http.StatusOK, ok{StatusCode: http.StatusOK, Status: "OK", Data: data, Meta: m, Links: l})
	return nil
}

// handleConsumerCreate is POST /vault/consumers: finds or creates the user
// keyed by consumer_id. The metadata of a user that exists already is left
// as it is (use PATCH), as the native find-or-create does.
func (s *server) handleConsumerCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	var body createConsumerBody
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	if body.ConsumerID == nil {
		return portico.Invalid("consumer_id", "consumer_id is required.")
	}
	in := portico.UserInput{ExternalID: body.ConsumerID}
	if body.Metadata != nil {
		if err := metadataInto(&in, body.Metadata); err != nil {
			return renameField(err, map[string]string{"consumer_metadata.account_name": "metadata.account_name", "consumer_metadata.image": "metadata.image"})
		}
	}
	in, err := s.Service.KeyInput(r.Context(), c.app.ID, *body.ConsumerID, in)
	if err != nil {
		return err
	}
	user, _, err := s.Service.FindOrCreateUser(r.Context(), c.app.ID, in)
	if err != nil {
		return renameField(err, consumerFields)
	}
	return s.writeConsumer(w, r, c, user)
}

// handleConsumerGet is GET /vault/consumers/{consumer_id}: the user with
// its connections.
func (s *server) handleConsumerGet(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := s.consumer(r, c)
	if err != nil {
		return err
	}
	return s.writeConsumer(w, r, c, user)
}

// handleConsumerUpdate is PATCH /vault/consumers/{consumer_id}: sets the
// metadata fields given, keeps the others.
func (s *server) handleConsumerUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	var body updateConsumerBody
	if err := decodeBody(r, &body, false); err != nil {
		return err
	}
	user, err := s.consumer(r, c)
	if err != nil {
		return err
	}
	if m := body.Metadata; m != nil {
		u := portico.UserUpdate{Name: m.UserName, Email: m.Email}
		if m.AccountName != nil || m.Image != nil {
			md, err := extraMetadata(user.Metadata, m)
			if err != nil {
				return renameField(err, map[string]string{"consumer_metadata.account_name": "metadata.account_name", "consumer_metadata.image": "metadata.image"})
			}
			u.Metadata = md
		}
		if user, err = s.Service.UpdateUser(r.Context(), c.app.ID, user.ID, u); err != nil {
			return renameField(err, consumerFields)
		}
	}
	return s.writeConsumer(w, r, c, user)
}

// handleConsumerDelete is DELETE /vault/consumers/{consumer_id}: erases the
// user with its sessions, connections and credentials.
func (s *server) handleConsumerDelete(w http.ResponseWriter, r *http.Request, c *call) error {
	user, err := s.consumer(r, c)
	if err != nil {
		return err
	}
	if err := s.Service.DeleteUser(r.Context(), c.app.ID, user.ID); err != nil {
		return err
	}
	writeOK(w, map[string]string{"consumer_id": portico.UserKey(user)})
	return nil
}

// consumer finds the user of the consumer_id path value (404 when the app
// has none).
func (s *server) consumer(r *http.Request, c *call) (*portico.User, error) {
	user, err := s.Service.FindUserByKey(r.Context(), c.app.ID, r.PathValue("consumer_id"))
	if portico.ErrorCode(err) == portico.CodeNotFound {
		return nil, portico.NotFound("Consumer")
	}
	return user, err
}

// writeConsumer answers with user as a Consumer, with its connections and
// the services they are to.
func (s *server) writeConsumer(w http.ResponseWriter, r *http.Request, c *call, user *portico.User) error {
	states, err := s.Service.UserIntegrations(r.Context(), c.app.ID, user, "")
	if err != nil {
		return err
	}
	out := toConsumer(c.app.ID, user)
	conns, services := []consumerConnection{}, []string{}
	for i := range states {
		st := &states[i]
		if st.Connection == nil || st.Integration.Category == "" {
			continue
		}
		conns = append(conns, toConsumerConnection(out.ConsumerID, st))
		if st.Status != portico.StatusRevoked {
			services = append(services, st.Integration.Slug)
		}
	}
	out.Connections, out.Services = &conns, &services
	writeOK(w, out)
	return nil
}

// toConsumer shows a user as a Consumer: its key is the consumer id,
// user_name its name, email its email, account_name and image come from its
// metadata.
func toConsumer(appID string, u *portico.User) consumerOut {
	out := consumerOut{ConsumerID: portico.UserKey(u), ApplicationID: appID,
		Created: timestamp(u.CreatedAt), Modified: timestamp(u.UpdatedAt)}
	if u.Name != "" {
		out.Metadata.UserName = &u.Name
	}
	out.Metadata.Email = u.Email
	var md map[string]any
	if json.Unmarshal(u.Metadata, &md) == nil {
		if v, isString := md["account_name"].(string); isString {
			out.Metadata.AccountName = &v
		}
		if v, isString := md["image"].(string); isString {
			out.Metadata.Image = &v
		}
	}
	return out
}

// timestamp writes a time as the Vault does: UTC, milliseconds, Z.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
