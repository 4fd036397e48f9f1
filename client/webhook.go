package client

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Webhook headers Portico sends with every event.
const (
	// WebhookSignatureHeader carries t=<unix time>,v1=<hex HMAC-SHA256>.
	WebhookSignatureHeader = "Portico-Signature"
	// WebhookEventIDHeader repeats the event's id, to deduplicate before
	// reading the body.
	WebhookEventIDHeader = "Portico-Event-Id"
)

// DefaultWebhookTolerance is how far a signature's timestamp may be from
// the receiver's clock: older deliveries are refused as replays.
const DefaultWebhookTolerance = 5 * time.Minute

// WebhookEvent is the body of a webhook delivery. Data is the object the
// event is about, as the API shows it (a user, a session without tokens, a
// connection without credentials); decode it by Type.
type WebhookEvent struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	AppID     string          `json:"app_id"`
	Data      json.RawMessage `json:"data"`
}

// Errors of VerifyWebhook.
var (
	ErrWebhookHeader    = errors.New("portico webhook: malformed Portico-Signature header")
	ErrWebhookSignature = errors.New("portico webhook: no signature matches")
	ErrWebhookExpired   = errors.New("portico webhook: timestamp outside the tolerance")
	ErrWebhookBody      = errors.New("portico webhook: body is not an event")
)

// VerifyWebhook checks a delivery and returns its event. secret is the
// webhook_secret PATCH /v1/app returned (whsec_…); header is the
// Portico-Signature header; body the raw request body, unmodified. The
// signature must be an HMAC-SHA256 of "<t>.<body>" with the secret, compared
// in constant time; any of several v1= values may match (the header may
// carry more than one). The timestamp t must be within tolerance of now
// (DefaultWebhookTolerance when tolerance is 0), which stops replays of an
// old delivery. A verified event may still arrive twice (delivery is at
// least once): deduplicate by its ID.
func VerifyWebhook(secret, header string, body []byte, tolerance time.Duration, now time.Time) (*WebhookEvent, error) {
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	var (
		ts   string
		sigs [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, ErrWebhookHeader
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return nil, ErrWebhookHeader
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	matched := false
	for _, sig := range sigs {
		// Every candidate is compared, so the time taken does not tell
		// which one matched.
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return nil, ErrWebhookSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return nil, ErrWebhookExpired
	}
	var e WebhookEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil || e.ID == "" || e.Type == "" {
		return nil, ErrWebhookBody
	}
	return &e, nil
}
