package portico

import (
	"context"
	"strings"
)

// SealedKind names a kind of stored ciphertext. Key rotation walks each.
type SealedKind string

// The sealed values a deployment stores (besides the key-check canary,
// which the CLI owns).
const (
	SealedConnection   SealedKind = "connection"
	SealedClientSecret SealedKind = "client_secret"
	SealedWebhook      SealedKind = "webhook_secret"
)

// SealedKinds lists every kind, in the order rotation re-seals them.
var SealedKinds = []SealedKind{SealedConnection, SealedClientSecret, SealedWebhook}

// SealedValue is one stored ciphertext and the identity of its row, which
// its associated data binds it to.
type SealedValue struct {
	Kind   SealedKind
	AppID  string
	UserID string // connections only
	ID     string // the connection id, the integration slug or the app id
	Value  string
}

// AAD returns the associated data the value was sealed with.
func (v SealedValue) AAD() string {
	switch v.Kind {
	case SealedConnection:
		return ConnectionAAD(v.AppID, v.UserID, v.ID)
	case SealedClientSecret:
		return ClientSecretAAD(v.AppID, v.ID)
	case SealedWebhook:
		return WebhookSecretAAD(v.AppID)
	}
	return ""
}

// SealedSwap replaces a stored value by New, if its row still holds Value.
type SealedSwap struct {
	SealedValue
	New string
}

// SealedKeyID returns the key id a sealed value names ("v1:<key id>:…"),
// or "" when it names none. The store keeps it beside each ciphertext so
// that rotation and the start-up check find values by key.
func SealedKeyID(sealed string) string {
	rest, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return id
}

// ResealStats count what a re-seal of one kind did.
type ResealStats struct {
	Kind SealedKind
	// Scanned values were on another key than the primary.
	Scanned int
	// Resealed values are now on the primary key.
	Resealed int
	// Changed values were rewritten by someone else meanwhile (with the
	// key the writer seals with); a later pass looks at them again.
	Changed int
	// Failed values could not be opened with any key of the ring.
	Failed    int
	FailedIDs []string // the first few, to name in a report
}

// Reseal re-seals every stored value of kind that is not sealed with the
// key primaryID (the sealer's primary), batch rows per transaction. Each row
// is replaced only if it still holds the ciphertext that was read, so it is
// safe while servers run and write. progress is called after every batch.
// Values that cannot be opened are counted and left as they are.
func (s *Service) Reseal(ctx context.Context, kind SealedKind, primaryID string, batch int, progress func(ResealStats)) (ResealStats, error) {
	st := ResealStats{Kind: kind}
	var after *SealedValue
	for {
		vals, err := s.store.ListSealed(ctx, kind, primaryID, after, batch)
		if err != nil {
			return st, err
		}
		if len(vals) == 0 {
			return st, nil
		}
		st.Scanned += len(vals)
		swaps := make([]SealedSwap, 0, len(vals))
		for _, v := range vals {
			plain, err := s.Sealer.Open(v.Value, v.AAD())
			if err != nil {
				st.Failed++
				if len(st.FailedIDs) < 10 {
					st.FailedIDs = append(st.FailedIDs, v.ID)
				}
				continue
			}
			sealed, err := s.Sealer.Seal(plain, v.AAD())
			clear(plain)
			if err != nil {
				return st, err
			}
			swaps = append(swaps, SealedSwap{SealedValue: v, New: sealed})
		}
		n, err := s.store.ReplaceSealed(ctx, swaps)
		if err != nil {
			return st, err
		}
		st.Resealed += n
		st.Changed += len(swaps) - n
		if progress != nil {
			progress(st)
		}
		last := vals[len(vals)-1]
		after = &last
		if len(vals) < batch {
			return st, nil
		}
	}
}
