// Package webhook delivers the events of the durable outbox to the apps'
// webhook URLs: signed, at least once, in order per user, retried with
// exponential backoff for a day (docs/webhooks.md).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// Delivery policy.
const (
	// Timeout bounds one delivery attempt.
	Timeout = 10 * time.Second
	// FirstRetry is the delay after the first failed attempt; each further
	// failure doubles it, up to MaxRetryDelay, plus up to 10 % of jitter so
	// that events failing together do not all come back at once.
	FirstRetry    = 10 * time.Second
	MaxRetryDelay = time.Hour
	// GiveUpAfter: an event not delivered this long after it happened is
	// marked failed (one last attempt is made at that instant).
	GiveUpAfter = 24 * time.Hour
	// DefaultRetention keeps delivered and failed events before pruning.
	DefaultRetention = 7 * 24 * time.Hour
)

// Header names of a delivery.
const (
	SignatureHeader = "Portico-Signature"
	EventIDHeader   = "Portico-Event-Id"
	EventTypeHeader = "Portico-Event-Type"
)

// Outcomes counted by Options.Count: the domain's delivery outcomes, so
// that the metrics (package httpapi) name them without importing this
// adapter.
const (
	OutcomeDelivered = portico.DeliveryDelivered
	OutcomeRetry     = portico.DeliveryRetry
	OutcomeFailed    = portico.DeliveryFailed
)

// Options configure a Worker.
type Options struct {
	Store  portico.EventStore
	Sealer portico.Sealer
	// Client sends the deliveries. The caller builds it with the address
	// guard of the deployment (no loopback or private addresses unless
	// allowed); it must not follow redirects.
	Client *http.Client
	Now    portico.Clock
	Log    *slog.Logger
	// Count, when set, counts each attempt's outcome (Outcome…).
	Count func(outcome string)
	// Poll is how often the outbox is checked without a wake-up
	// (default 1 s); Concurrency bounds deliveries in flight (default 8);
	// Retention keeps finished events (default DefaultRetention).
	Poll        time.Duration
	Concurrency int
	Retention   time.Duration
}

// Worker delivers outbox events. Several workers (one per node) may share a
// PostgreSQL outbox: the store's lease gives each event to one of them.
type Worker struct {
	o    Options
	kick chan struct{}
}

// New returns a worker; Run starts it.
func New(o Options) *Worker {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Count == nil {
		o.Count = func(string) {}
	}
	return &Worker{o: o, kick: make(chan struct{}, 1)}
}

// lease is how long a claimed event stays with its worker: longer than an
// attempt can take, so that a live worker keeps it, short enough that the
// events of a worker that died are taken over soon.
const lease = 3 * Timeout

// pruneEvery is how many polls pass between two prunes.
const pruneEvery = 60

// Run delivers until ctx is done, then waits for the attempts in flight
// (at most Timeout) so that their outcome is recorded.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, w.o.Concurrency)
	var mu sync.Mutex
	busy := map[string]int{} // events in flight, by app
	tick := time.NewTicker(w.o.Poll)
	defer tick.Stop()
	polls := 0
	for {
		if free := cap(slots) - len(slots); free > 0 && ctx.Err() == nil {
			mu.Lock()
			claim := portico.EventClaim{Limit: free, PerApp: w.perApp(), Busy: maps.Clone(busy)}
			mu.Unlock()
			events, err := w.o.Store.ClaimEvents(ctx, lease, claim)
			if err != nil && ctx.Err() == nil {
				w.o.Log.Warn("webhook_claim_failed", slog.Any("error", err))
			}
			// When every slot is taken there may be more due: a finishing
			// attempt wakes the loop. So may an app's events the claim
			// skipped once the app reached its bound, while slots are
			// free: the loop claims again at once, without that app.
			again := false
			for _, e := range events {
				slots <- struct{}{}
				mu.Lock()
				busy[e.AppID]++
				again = again || (busy[e.AppID] >= claim.PerApp && len(events) < free)
				mu.Unlock()
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.attempt(e)
					mu.Lock()
					if busy[e.AppID]--; busy[e.AppID] == 0 {
						delete(busy, e.AppID)
					}
					mu.Unlock()
					<-slots
					w.wake()
				}()
			}
			if again {
				w.wake()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if polls++; polls%pruneEvery == 0 {
				w.prune(ctx)
			}
		case <-w.o.Store.EventsQueued():
		case <-w.kick:
		}
	}
}

// perApp bounds one app's deliveries in flight on this worker: a quarter
// of its slots, at least one.
func (w *Worker) perApp() int { return max(1, w.o.Concurrency/4) }

func (w *Worker) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// RunOnce claims the events due now, and those that become free as
// earlier ones of their users finish, delivering each once, until none is
// due; it returns how many attempts it made. For tests and tools that
// drive the clock.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	n := 0
	for {
		events, err := w.o.Store.ClaimEvents(ctx, lease, portico.EventClaim{Limit: w.o.Concurrency, PerApp: w.perApp()})
		if err != nil || len(events) == 0 {
			return n, err
		}
		var wg sync.WaitGroup
		for _, e := range events {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.attempt(e)
			}()
		}
		wg.Wait()
		n += len(events)
	}
}

// prune deletes finished events older than the retention, in batches.
func (w *Worker) prune(ctx context.Context) {
	before := w.o.Now().Add(-w.o.Retention)
	for ctx.Err() == nil {
		n, err := w.o.Store.PruneEvents(ctx, before, 500)
		if err != nil {
			if ctx.Err() == nil {
				w.o.Log.Warn("webhook_prune_failed", slog.Any("error", err))
			}
			return
		}
		if n < 500 {
			return
		}
	}
}

// attempt makes one delivery attempt of a claimed event and records its
// outcome. It runs on a context of its own: a stopping server lets it
// finish, so that a 2xx already received is recorded.
func (w *Worker) attempt(e portico.OutboxEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	err := w.send(ctx, e)
	now := w.o.Now()
	out := portico.EventOutcome{Status: portico.EventDelivered}
	switch {
	case err == nil:
	case errors.Is(err, errNoWebhook) || !now.Before(e.CreatedAt.Add(GiveUpAfter)):
		out = portico.EventOutcome{Status: portico.EventFailed, Error: err.Error()}
	default:
		next := now.Add(Backoff(e.Attempts + 1))
		if deadline := e.CreatedAt.Add(GiveUpAfter); next.After(deadline) {
			next = deadline
		}
		out = portico.EventOutcome{Status: portico.EventPending, NextAttemptAt: next, Error: err.Error()}
	}
	fctx, fcancel := context.WithTimeout(context.Background(), Timeout)
	defer fcancel()
	ok, ferr := w.o.Store.FinishEvent(fctx, e.Seq, e.Lease, out)
	log := w.o.Log.With(slog.String("app_id", e.AppID), slog.String("event_id", e.ID), slog.String("event_type", e.Type),
		slog.Int("attempt", e.Attempts+1))
	switch {
	case ferr != nil:
		// Not recorded: the lease runs out and the event is sent again.
		log.Warn("webhook_outcome_not_recorded", slog.Any("error", ferr))
		return
	case !ok:
		log.Warn("webhook_lease_lost")
		return
	}
	switch out.Status {
	case portico.EventDelivered:
		w.o.Count(OutcomeDelivered)
		log.Debug("webhook_delivered")
	case portico.EventPending:
		w.o.Count(OutcomeRetry)
		if errors.Is(err, errSecretUnreadable) {
			log.Error("webhook_secret_unreadable", slog.String("error", out.Error), slog.Time("next_attempt_at", out.NextAttemptAt))
			return
		}
		log.Info("webhook_retry", slog.String("error", out.Error), slog.Time("next_attempt_at", out.NextAttemptAt))
	default:
		w.o.Count(OutcomeFailed)
		log.Warn("webhook_failed", slog.String("error", out.Error))
	}
}

// Backoff is the delay before attempt n+1 after n failed attempts.
func Backoff(failed int) time.Duration {
	d := MaxRetryDelay
	if failed <= 20 {
		d = min(FirstRetry<<(max(failed, 1)-1), MaxRetryDelay)
	}
	return d + time.Duration(rand.Int64N(int64(d/10)+1))
}

var errNoWebhook = errors.New("the app no longer has a webhook")

// errSecretUnreadable: the app's webhook secret cannot be opened with the
// configured keys, Portico's fault and not the receiver's (a server started
// without the key a rotation moved it to). The delivery is retried, and
// logged as an error.
var errSecretUnreadable = errors.New("the webhook secret cannot be decrypted with the configured encryption keys")

// send POSTs the event, signed; nil means a 2xx answer.
func (w *Worker) send(ctx context.Context, e portico.OutboxEvent) error {
	if e.WebhookURL == "" || e.WebhookSecret == "" {
		return errNoWebhook
	}
	secret, err := w.o.Sealer.Open(e.WebhookSecret, portico.WebhookSecretAAD(e.AppID))
	if err != nil {
		return fmt.Errorf("%w: %w", errSecretUnreadable, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.WebhookURL, bytes.NewReader(e.Body))
	if err != nil {
		return errors.New("invalid webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Portico-Webhooks/1")
	req.Header.Set(SignatureHeader, Sign(string(secret), w.o.Now().Unix(), e.Body))
	req.Header.Set(EventIDHeader, e.ID)
	req.Header.Set(EventTypeHeader, e.Type)
	resp, err := w.o.Client.Do(req)
	if err != nil {
		// The URL stays out of the message: it is the app's and may carry
		// a token of its own.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return nil
}

// Sign is the Portico-Signature header value of body sent at unix time t:
// t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>.
func Sign(secret string, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
