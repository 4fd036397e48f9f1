package client_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/client"
	"github.com/porticohq/portico/internal/webhook"
)

// sign is what a receiver's test would do to fake a delivery.
func sign(secret string, t int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", t, body)
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

func ExampleVerifyWebhook() {
	// In a receiver: secret from PATCH /v1/app, header and body from the
	// request (r.Header.Get(client.WebhookSignatureHeader), io.ReadAll(r.Body)).
	secret := "whsec_example"
	body := []byte(`{"id":"evt_1","type":"session.created","created_at":"2030-01-02T03:04:05Z","app_id":"app_1","data":{"id":"ses_1"}}`)
	now := time.Date(2030, 1, 2, 3, 4, 6, 0, time.UTC)
	header := sign(secret, now.Unix()-1, body)

	event, err := client.VerifyWebhook(secret, header, body, 5*time.Minute, now)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println(event.ID, event.Type, string(event.Data))

	_, err = client.VerifyWebhook(secret, header, append(body, ' '), 5*time.Minute, now)
	fmt.Println(err)
	// Output:
	// evt_1 session.created {"id":"ses_1"}
	// portico webhook: no signature matches
}

func TestVerifyWebhook(t *testing.T) {
	secret := "whsec_test"
	body := []byte(`{"id":"evt_9","type":"user.created","created_at":"2030-01-02T03:04:05Z","app_id":"app_1","data":{}}`)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	good := webhook.Sign(secret, now.Unix(), body)
	ts := "t=" + strconv.FormatInt(now.Unix(), 10)
	v1 := func(h string) string { return h[strings.Index(h, "v1="):] }
	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"server signature", secret, good, body, now, nil},
		{"within tolerance", secret, good, body, now.Add(4 * time.Minute), nil},
		{"replayed later", secret, good, body, now.Add(6 * time.Minute), client.ErrWebhookExpired},
		{"from the future", secret, good, body, now.Add(-6 * time.Minute), client.ErrWebhookExpired},
		{"other secret", "whsec_other", good, body, now, client.ErrWebhookSignature},
		{"tampered body", secret, good, []byte(string(body[:len(body)-2]) + `1}`), now, client.ErrWebhookSignature},
		{"tampered time", secret, "t=" + strconv.FormatInt(now.Unix()+1, 10) + good[len("t=")+10:], body, now, client.ErrWebhookSignature},
		{"rotation: second v1 matches", secret, ts + "," + v1(sign("whsec_old", now.Unix(), body)) + "," + v1(good), body, now, nil},
		{"rotation: none matches", secret, ts + "," + v1(sign("whsec_old", now.Unix(), body)), body, now, client.ErrWebhookSignature},
		{"no v1", secret, ts, body, now, client.ErrWebhookHeader},
		{"no t", secret, v1(good), body, now, client.ErrWebhookHeader},
		{"garbage", secret, "hello", body, now, client.ErrWebhookHeader},
		{"empty", secret, "", body, now, client.ErrWebhookHeader},
		{"short v1", secret, ts + ",v1=abcd", body, now, client.ErrWebhookHeader},
		{"not an event", secret, webhook.Sign(secret, now.Unix(), []byte(`[1]`)), []byte(`[1]`), now, client.ErrWebhookBody},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := client.VerifyWebhook(tc.secret, tc.header, tc.body, 0, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err == nil && (e.ID != "evt_9" || e.Type != "user.created" || e.AppID != "app_1" || !e.CreatedAt.Equal(now)) {
				t.Fatalf("event %+v", e)
			}
		})
	}
}
