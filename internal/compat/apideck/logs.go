package apideck

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/compat"
	"github.com/porticohq/portico/internal/portico"
)

// logOut is the Vault's Log schema, filled from a row of Portico's activity
// log (docs/compat/apideck.md). The Vault's facts Portico has no
// counterpart for are constant: no parent or child requests, REST, no
// sandbox, no source address kept.
type logOut struct {
	ID           string    `json:"id"`
	ParentID     *string   `json:"parent_id"`
	APIStyle     string    `json:"api_style"`
	BaseURL      string    `json:"base_url"`
	ChildRequest bool      `json:"child_request"`
	ConsumerID   string    `json:"consumer_id"`
	Duration     float64   `json:"duration"`
	ErrorMessage *string   `json:"error_message"`
	Execution    int64     `json:"execution"`
	HasChildren  bool      `json:"has_children"`
	HTTPMethod   string    `json:"http_method"`
	Latency      float64   `json:"latency"`
	Operation    logNameID `json:"operation"`
	Path         string    `json:"path"`
	Sandbox      bool      `json:"sandbox"`
	Service      logNameID `json:"service"`
	SourceIP     *string   `json:"source_ip"`
	StatusCode   int       `json:"status_code"`
	Success      bool      `json:"success"`
	Timestamp    string    `json:"timestamp"`
	UnifiedAPI   string    `json:"unified_api"`
}

type logNameID struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// unifiedAPIs are the values of the Log schema's unified_api.
var unifiedAPIs = []string{"crm", "lead", "proxy", "vault", "accounting", "hris", "ats", "ecommerce",
	"issue-tracking", "pos", "file-storage", "sms"}

// outcomeStatus is the status a row without an upstream answer reports:
// the one Portico answered with.
var outcomeStatus = map[string]int{
	portico.OutcomeSuccess:            http.StatusOK,
	portico.OutcomeConnectionRequired: http.StatusConflict,
	portico.OutcomeApprovalRequired:   http.StatusConflict,
	portico.OutcomeDenied:             http.StatusForbidden,
	portico.OutcomeRateLimited:        http.StatusTooManyRequests,
	portico.OutcomeFailed:             http.StatusBadGateway,
}

// handleLogs is GET /vault/logs: the consumer's activity, newest first, a
// page at a time. filter[start_date] and filter[end_date] (both inclusive)
// narrow it; the Vault's other filters are refused by name.
func (s *server) handleLogs(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	var f portico.ActivityFilter
	for k, vs := range q {
		if k != "filter" && !strings.HasPrefix(k, "filter[") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(k, "filter["), "]")
		v := vs[0]
		switch name {
		case "start_date", "end_date":
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return portico.Invalid("filter."+name, "filter[%s] must be an ISO 8601 date-time such as 2024-01-01T00:00:00.000Z.", name)
			}
			at = at.UTC()
			if name == "start_date" {
				f.Since = &at
			} else {
				end := at.Add(time.Microsecond)
				f.Until = &end
			}
		case "path_match_mode":
			// The SDK sends its default (CONTAINS) with every filter; it
			// matters only with a path, which is refused below.
			if !slices.Contains([]string{"CONTAINS", "STARTS_WITH", "ENDS_WITH", "EXACT"}, v) {
				return portico.Invalid("filter.path_match_mode", "filter[path_match_mode] must be CONTAINS, STARTS_WITH, ENDS_WITH or EXACT.")
			}
		default:
			return portico.Invalid("filter."+name, "filter[%s] is not supported; filter by start_date and end_date.", name)
		}
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		return portico.Invalid("filter.end_date", "filter[end_date] must not be before filter[start_date].")
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
	data := []logOut{}
	var next *string
	user, err := s.Service.FindUserByKey(r.Context(), c.app.ID, c.consumerID)
	switch {
	case portico.ErrorCode(err) == portico.CodeNotFound:
		// A consumer Portico does not know has done nothing yet, and no
		// cursor of its list was ever given.
		if cursor != "" {
			return errBadCursor
		}
	case err != nil:
		return err
	default:
		f.UserID = &user.ID
		page, err := s.Service.ListActivity(r.Context(), c.app.ID, f, portico.PageRequest{Size: min(limit, portico.MaxPageSize), Token: cursor})
		if err != nil {
			return renameField(err, map[string]string{"page_token": "cursor", "page_size": "limit"})
		}
		next = page.Next
		categories := map[string]string{}
		for i := range page.Data {
			data = append(data, s.toLog(r, c, &page.Data[i], categories))
		}
	}
	self := func(cur string) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "cursor" {
				v[k] = vs
			}
		}
		if cur != "" {
			v.Set("cursor", cur)
		}
		u := s.Service.PublicURL + "/vault/logs"
		if len(v) > 0 {
			u += "?" + v.Encode()
		}
		return u
	}
	m := &meta{ItemsOnPage: len(data), Cursors: cursors{Next: next}}
	l := &links{Current: self(cursor)}
	if cursor != "" {
		m.Cursors.Current = &cursor
	}
	if next != nil {
		n := self(*next)
		l.Next = &n
	}
	compat.WriteJSON(w, http.StatusOK, ok{StatusCode: http.StatusOK, Status: "OK", Data: data, Meta: m, Links: l})
	return nil
}

// toLog maps an activity row; categories caches the integrations' unified
// APIs by slug.
func (s *server) toLog(r *http.Request, c *call, a *portico.Activity, categories map[string]string) logOut {
	base := s.Service.PublicURL
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		base = u.Host
	}
	api := "vault"
	if a.Method != "" {
		api = "proxy"
		cat, seen := categories[a.Integration]
		if !seen {
			if integ, err := s.Service.FindIntegration(r.Context(), c.app.ID, a.Integration); err == nil {
				cat = integ.Category
			}
			categories[a.Integration] = cat
		}
		if slices.Contains(unifiedAPIs, cat) {
			api = cat
		}
	}
	status := a.UpstreamStatus
	if status == 0 {
		status = outcomeStatus[a.Outcome]
	}
	out := logOut{ID: a.ID, APIStyle: "REST", BaseURL: base, ConsumerID: c.consumerID,
		Duration: float64(a.Duration.Microseconds()) / 1000, Execution: a.Duration.Milliseconds(), HTTPMethod: a.Method,
		Operation: logNameID{ID: a.Action, Name: a.Action}, Path: a.Path, Service: logNameID{ID: a.Integration, Name: a.Integration},
		StatusCode: status, Success: a.Outcome == portico.OutcomeSuccess,
		Timestamp: a.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), UnifiedAPI: api}
	if !out.Success {
		msg := strings.ReplaceAll(a.Outcome, "_", " ")
		out.ErrorMessage = &msg
	}
	return out
}
