package portico

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"
)

// The refresh of OAuth2 access tokens (docs/oauth-refresh.md).
//
// One refresh per connection at a time, across every node: a refresher
// first claims a lease in the store (a conditional UPDATE on the row), and
// callers that lose the claim poll the row until the winner stored the new
// tokens, instead of spending the refresh token a second time (most
// providers rotate it, so a second refresh would fail and expire the
// connection). A holder that dies leaves a lease that lapses after
// RefreshLease; the next caller takes it over.
//
// A provider that refuses the refresh (a 4xx answer such as invalid_grant,
// or no refresh token at all) ends the connection: status expired, events
// connection.refresh_failed and connection.expired. A provider that cannot
// be reached or fails (network, 5xx, 429) does not: the connection stays
// connected, the failure is counted (connection.refresh_failed on the first
// of a row), and the next use or background pass tries again; the success
// that ends the row emits connection.recovered.

const (
	// RefreshSkew is how long before its expiry a token is refreshed
	// before use, so that it does not expire in flight.
	RefreshSkew = 60 * time.Second
	// RefreshLease bounds one refresh: a claim older than this has lapsed
	// and may be taken over. It outlasts refreshTimeout, so that a live
	// holder always finishes within its lease.
	RefreshLease = 45 * time.Second
	// refreshTimeout bounds the token request and the write of its answer.
	refreshTimeout = 30 * time.Second
	// tokenRequestTimeout bounds the token request itself, leaving the rest
	// of refreshTimeout to record its outcome: a provider that answers
	// late, or never, is a failure the store hears of, not a lease left to
	// lapse.
	tokenRequestTimeout = 20 * time.Second
	// refreshRounds bounds how often one caller re-reads a connection that
	// keeps changing under it before it gives up.
	refreshRounds = 8
)

// RefreshSucceeded is the outcome CountRefresh is told of a refresh that
// stored new tokens.
const RefreshSucceeded = "refreshed"

// Reasons a refresh failed, as events name them.
const (
	RefreshRejected       = "rejected"         // the provider refused the refresh token or the client
	RefreshNoRefreshToken = "no_refresh_token" // the token expired and nothing can renew it
	RefreshUnavailable    = "unavailable"      // the provider could not be reached or failed
)

// ErrRefreshRejected marks a refresh the provider refused for good (a 4xx
// answer such as invalid_grant or invalid_client, or no refresh token).
// TokenRefresher implementations wrap it; any other failure is taken as
// transient.
var ErrRefreshRejected = errors.New("the provider rejected the refresh token")

// Answers of FreshCredentials when a connection cannot be used: the one
// form of "connection required" before Perform completes it with a
// configuration URL (connectionRequired in perform.go), a CodeConnectionRequired
// error around a *ConnectionRequired that gives the reason.
var (
	ErrConnectionExpired  = &Error{Code: CodeConnectionRequired, Message: "The connection expired and could not be refreshed; the user must connect again.", Err: &ConnectionRequired{Reason: ReasonExpired}}
	ErrConnectionRevoked  = &Error{Code: CodeConnectionRequired, Message: "The connection was revoked; the user must connect again.", Err: &ConnectionRequired{Reason: ReasonRevoked}}
	errConnectionMissing  = &Error{Code: CodeConnectionRequired, Message: "The user has no connection; the user must connect.", Err: &ConnectionRequired{Reason: ReasonMissing}}
	errRefreshUnavailable = &Error{Code: CodeUnavailable, Message: "The provider could not refresh the connection's access token; try again shortly."}
	errRefreshBusy        = &Error{Code: CodeUnavailable, Message: "The connection's access token is being refreshed; try again shortly."}
)

// TokenRefresher trades a connection's refresh token for new tokens at the
// integration's token endpoint (upstream.OAuth2 in the server). A refusal
// for good wraps ErrRefreshRejected. The answer holds the token keys only.
type TokenRefresher interface {
	Refresh(ctx context.Context, integ *Integration, clientSecret string, old Credentials, now time.Time) (Credentials, error)
}

// RefreshFailure is what FailRefresh records.
type RefreshFailure struct {
	// Permanent failures expire the connection; the others are counted.
	Permanent bool
	// Reason is one of RefreshRejected, RefreshNoRefreshToken,
	// RefreshUnavailable.
	Reason string
	// Keep, when set, replaces the connection's sealed credentials: the
	// old ones with the refresh token the provider rotated in an answer
	// that could not be used otherwise.
	Keep string
}

// RefreshState is a connection's refresh bookkeeping.
type RefreshState struct {
	// LockedUntil ends the running lease; nil when none runs.
	LockedUntil *time.Time
	// Failures counts the transient failures in a row.
	Failures int
}

// RefreshStore persists refresh leases and outcomes. Every method but
// ListRefreshDue takes the app id; the conditions compare the sealed
// credentials the caller read, so that a row replaced meanwhile (a new
// connect, a revoke, another refresh) is never overwritten.
type RefreshStore interface {
	// ClaimRefresh takes the refresh lease of a connection for owner, for
	// lease from the store's now, if the connection is connected, still
	// holds sealed and no other lease is running. When it takes none, st
	// is the connection's refresh state, or nil when the connection
	// changed (re-read it). CodeNotFound.
	ClaimRefresh(ctx context.Context, appID, id, sealed, owner string, lease time.Duration) (claimed bool, st *RefreshState, err error)
	// FindRefreshState returns a connection with its refresh state
	// (CodeNotFound).
	FindRefreshState(ctx context.Context, appID, id string) (*Connection, RefreshState, error)
	// CompleteRefresh stores refreshed credentials — c's Fields,
	// Refreshable and ExpiresAt, and what seal returns for c.ID — if owner
	// holds the lease and the row still holds sealed; it releases the lease
	// and clears the failure count, and emits connection.recovered when
	// there were failures. It fills c's Credentials and UpdatedAt and
	// reports whether it stored them; when not, the lease stays.
	CompleteRefresh(ctx context.Context, c *Connection, sealed, owner string, seal func(id string) (string, error)) (bool, error)
	// FailRefresh records a failed refresh under the same conditions and
	// releases the lease. A permanent failure sets the connection expired
	// and emits connection.refresh_failed and connection.expired; a
	// transient one is counted, and the first of a row emits
	// connection.refresh_failed. It reports whether it applied.
	FailRefresh(ctx context.Context, appID, id, sealed, owner string, f RefreshFailure) (bool, error)
	// ReleaseRefresh ends owner's lease, if owner still holds it.
	ReleaseRefresh(ctx context.Context, appID, id, owner string) error
	// ListRefreshDue returns up to limit connected connections of every
	// app whose credentials expire at or before horizon — refreshable ones,
	// and the others once expired at now — and whose lease is free at now,
	// by expiry then id, after the connection after (nil: from the start).
	// Deployment-wide, like PurgeSessions.
	ListRefreshDue(ctx context.Context, horizon, now time.Time, after *Connection, limit int) ([]Connection, error)
}

// FreshCredentials returns the decrypted credentials of connection c of
// integration integ, refreshing first an OAuth2 access token that expires
// within RefreshSkew (within half its life, for a token a refresh gave
// less than twice that to live). Concurrent callers, on any node, share
// one refresh.
// ErrConnectionExpired when the token expired and cannot be refreshed (the
// connection is expired then), ErrConnectionRevoked when the connection is
// revoked, CodeUnavailable when the provider failed and the old token has
// expired, CodeNotFound when the connection is gone.
func (s *Service) FreshCredentials(ctx context.Context, integ *Integration, c *Connection) (Credentials, error) {
	creds, _, err := s.refresh(ctx, integ, c, RefreshSkew)
	return creds, err
}

// refresh returns c's credentials, refreshed when they expire within skew,
// and whether this call refreshed them.
func (s *Service) refresh(ctx context.Context, integ *Integration, c *Connection, skew time.Duration) (Credentials, bool, error) {
	if integ.AppID != c.AppID || integ.Slug != c.Integration {
		return nil, false, fmt.Errorf("refresh connection %s: integration %s is not its own", c.ID, integ.Slug)
	}
	owner := randomText(16)
	// waited: another caller refreshed while this one waited. Its tokens
	// are as fresh as a refresh would make them, so they are used while
	// valid, even when they expire within skew (a provider's token may
	// live less than RefreshSkew): the waiters do not refresh again one
	// after the other.
	waited := false
	for range refreshRounds {
		switch c.Status {
		case StatusConnected:
		case StatusRevoked:
			return nil, false, ErrConnectionRevoked
		default:
			return nil, false, ErrConnectionExpired
		}
		creds, err := s.OpenCredentials(c)
		if err != nil {
			return nil, false, fmt.Errorf("open credentials of connection %s: %w", c.ID, err)
		}
		now := s.now()
		if c.ExpiresAt == nil || c.ExpiresAt.Sub(now) > refreshMargin(c, skew) || ((waited || !c.Refreshable) && now.Before(*c.ExpiresAt)) {
			// Fresh enough; or still valid, and just refreshed by another
			// caller, or nothing can renew it.
			return creds, false, nil
		}
		claimed, st, err := s.store.ClaimRefresh(ctx, c.AppID, c.ID, c.Credentials, owner, RefreshLease)
		if err != nil {
			return nil, false, fmt.Errorf("claim refresh of connection %s: %w", c.ID, err)
		}
		if !claimed {
			cur, failed, err := s.awaitRefresh(ctx, c, st)
			if err != nil {
				return nil, false, err
			}
			if failed {
				// The holder's provider call failed a moment ago: asking
				// again now, once per waiter, would only pile on.
				if s.now().Before(*c.ExpiresAt) {
					return creds, false, nil
				}
				return nil, false, errRefreshUnavailable
			}
			waited = cur.Credentials != c.Credentials
			c = cur
			continue
		}
		out, next, err := s.refreshClaimed(ctx, integ, c, creds, owner)
		if next != nil {
			c = next
			continue
		}
		return out, err == nil, err
	}
	return nil, false, errRefreshBusy
}

// refreshMargin is how long before its expiry c's token is due: skew, or
// half the life a refresh gave the token if that is shorter. A provider may
// issue tokens that live less than skew; such a token is due halfway
// through its life rather than the moment it arrives, so that the callers
// after its refresh use it instead of refreshing it again. A token stored
// otherwise (a connect, an import) has no known life and is due within
// skew.
func refreshMargin(c *Connection, skew time.Duration) time.Duration {
	if c.RefreshedAt == nil {
		return skew
	}
	if half := c.ExpiresAt.Sub(*c.RefreshedAt) / 2; half < skew {
		return max(half, 0)
	}
	return skew
}

// awaitRefresh waits while another holds the refresh lease of c (whose
// refresh state was st; nil: the row has already changed). It returns the
// row once it changed, or once the lease ended or lapsed, to look at again;
// failed tells that the holder failed transiently meanwhile. It polls at
// least once, so that a node whose clock runs ahead of the one that took
// the lease does not spin.
func (s *Service) awaitRefresh(ctx context.Context, c *Connection, st *RefreshState) (cur *Connection, failed bool, err error) {
	if st == nil {
		cur, err := s.store.FindConnectionByID(ctx, c.AppID, c.ID)
		return cur, false, err
	}
	delay := 10 * time.Millisecond
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
		cur, now, err := s.store.FindRefreshState(ctx, c.AppID, c.ID)
		switch {
		case err != nil:
			return nil, false, err
		case cur.Credentials != c.Credentials || cur.Status != c.Status:
			return cur, false, nil
		case now.Failures != st.Failures:
			return cur, true, nil
		case now.LockedUntil == nil || !s.now().Before(*now.LockedUntil):
			return cur, false, nil
		}
	}
}

// refreshClaimed refreshes c under owner's lease. It returns the new
// credentials; or, when the row changed meanwhile, the row to look at
// again (next).
func (s *Service) refreshClaimed(ctx context.Context, integ *Integration, c *Connection, creds Credentials, owner string) (out Credentials, next *Connection, err error) {
	// The provider may rotate the refresh token: once asked, its answer
	// must be stored even if the caller goes away.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	var fresh Credentials
	var rerr error
	switch {
	case !c.Refreshable || creds[TokenRefresh] == "":
		rerr = fmt.Errorf("%w: the connection holds no refresh token", ErrRefreshRejected)
	case integ.Auth.OAuth2 == nil:
		rerr = fmt.Errorf("%w: %s no longer has an OAuth2 client", ErrRefreshRejected, integ.Slug)
	case s.Refresher == nil:
		rerr = errors.New("no token refresher is configured")
	default:
		secret, err := s.OAuth2ClientSecret(integ)
		if err != nil {
			s.releaseRefresh(wctx, c, owner)
			return nil, nil, fmt.Errorf("open client secret of %s: %w", integ.Slug, err)
		}
		var oi *Integration
		if oi, rerr = integ.oauthFor(c.Settings); rerr == nil {
			rctx, rcancel := context.WithTimeout(wctx, s.tokenTimeout())
			fresh, rerr = s.Refresher.Refresh(rctx, oi, secret, creds, s.now())
			rcancel()
		}
	}
	var (
		ch   *CheckedCredentials
		keep string
	)
	if rerr == nil {
		if ch, rerr = integ.CheckCredentials(mergeTokens(creds, fresh)); rerr != nil {
			rerr = fmt.Errorf("the provider's answer does not fit %s: %w", integ.Slug, rerr)
			keep = s.keepRotated(integ, c, creds, fresh)
		}
	}
	if rerr != nil {
		return s.failRefresh(wctx, c, creds, owner, rerr, keep)
	}
	plain, err := json.Marshal(ch.Values)
	if err != nil {
		return nil, nil, err
	}
	nc := &Connection{ID: c.ID, AppID: c.AppID, UserID: c.UserID, Integration: c.Integration, Status: StatusConnected,
		Fields: ch.Fields, Refreshable: ch.Refreshable, ExpiresAt: ch.ExpiresAt}
	seal := func(id string) (string, error) { return s.Sealer.Seal(plain, ConnectionAAD(c.AppID, c.UserID, id)) }
	sealed := c.Credentials
	for range 3 {
		ok, err := s.store.CompleteRefresh(wctx, nc, sealed, owner, seal)
		if err != nil {
			return nil, nil, fmt.Errorf("store refreshed tokens of connection %s: %w", c.ID, err)
		}
		if ok {
			s.logInfo("oauth_token_refreshed", c)
			s.note(ctx, c.AppID, c.UserID, c.Integration, EventConnectionUpdated)
			s.countRefresh(RefreshSucceeded)
			return ch.Values, nil, nil
		}
		// The row changed under the lease. A key rotation re-sealed the
		// same values: store the new tokens over it all the same, or the
		// refresh token the provider rotated away would be kept. Anything
		// else (a new connect, a revoke) wins over this refresh.
		cur, err := s.store.FindConnectionByID(wctx, c.AppID, c.ID)
		if err != nil {
			return nil, nil, err
		}
		if cur.Status != StatusConnected || cur.Credentials == "" {
			s.releaseRefresh(wctx, c, owner)
			return nil, cur, nil
		}
		if now, err := s.OpenCredentials(cur); err != nil || !maps.Equal(now, creds) {
			s.releaseRefresh(wctx, c, owner)
			return nil, cur, nil
		}
		sealed = cur.Credentials
	}
	s.releaseRefresh(wctx, c, owner)
	return nil, nil, errRefreshBusy
}

// keepRotated returns c's credentials sealed with the refresh token the
// provider rotated in an answer that is otherwise unusable (an access token
// too long, say), or "" when it rotated none: the provider may refuse the
// old one from now on, and the connection would expire at the next try.
func (s *Service) keepRotated(integ *Integration, c *Connection, creds, fresh Credentials) string {
	rt := fresh[TokenRefresh]
	if rt == "" || rt == creds[TokenRefresh] {
		return ""
	}
	kept := maps.Clone(creds)
	kept[TokenRefresh] = rt
	ch, err := integ.CheckCredentials(kept)
	if err != nil {
		return ""
	}
	plain, err := json.Marshal(ch.Values)
	if err != nil {
		return ""
	}
	sealed, err := s.Sealer.Seal(plain, ConnectionAAD(c.AppID, c.UserID, c.ID))
	if err != nil {
		return ""
	}
	return sealed
}

// failRefresh records a failed refresh of c, storing keep (sealed
// credentials) when set, and answers the caller: the old token while it
// lasts after a transient failure, else an error.
func (s *Service) failRefresh(ctx context.Context, c *Connection, creds Credentials, owner string, cause error, keep string) (Credentials, *Connection, error) {
	f := RefreshFailure{Permanent: errors.Is(cause, ErrRefreshRejected), Reason: RefreshUnavailable, Keep: keep}
	if f.Permanent {
		f.Reason = RefreshRejected
		if !c.Refreshable || creds[TokenRefresh] == "" {
			f.Reason = RefreshNoRefreshToken
		}
	}
	ok, err := s.store.FailRefresh(ctx, c.AppID, c.ID, c.Credentials, owner, f)
	if err != nil {
		return nil, nil, fmt.Errorf("record failed refresh of connection %s: %w", c.ID, err)
	}
	if !ok {
		// Replaced meanwhile: the new row is what counts.
		s.releaseRefresh(ctx, c, owner)
		cur, err := s.store.FindConnectionByID(ctx, c.AppID, c.ID)
		if err != nil {
			return nil, nil, err
		}
		return nil, cur, nil
	}
	s.countRefresh(f.Reason)
	if s.Log != nil {
		s.Log.Warn("oauth_refresh_failed", slog.String("app_id", c.AppID), slog.String("connection_id", c.ID),
			slog.String("integration", c.Integration), slog.String("reason", f.Reason), slog.Bool("permanent", f.Permanent),
			slog.String("error", cause.Error()))
	}
	if f.Permanent {
		s.note(ctx, c.AppID, c.UserID, c.Integration, EventConnectionExpired)
		return nil, nil, ErrConnectionExpired
	}
	if s.now().Before(*c.ExpiresAt) {
		return creds, nil, nil
	}
	return nil, nil, errRefreshUnavailable
}

// releaseRefresh ends owner's lease on c. A failure is logged and
// otherwise harmless: the lease lapses on its own (RefreshLease).
func (s *Service) releaseRefresh(ctx context.Context, c *Connection, owner string) {
	if err := s.store.ReleaseRefresh(ctx, c.AppID, c.ID, owner); err != nil && s.Log != nil {
		s.Log.Warn("oauth_refresh_release_failed", slog.String("app_id", c.AppID), slog.String("connection_id", c.ID),
			slog.String("integration", c.Integration), slog.String("error", err.Error()))
	}
}

func (s *Service) countRefresh(outcome string) {
	if s.CountRefresh != nil {
		s.CountRefresh(outcome)
	}
}

func (s *Service) logInfo(msg string, c *Connection) {
	if s.Log != nil {
		s.Log.Info(msg, slog.String("app_id", c.AppID), slog.String("connection_id", c.ID), slog.String("integration", c.Integration))
	}
}

// mergeTokens lays a token answer over the old credentials: the access
// token and its expiry are replaced (an answer without expires_in does not
// expire), the refresh token, type and scope only when the answer has them,
// and other fields of the integration are kept.
func mergeTokens(old, fresh Credentials) Credentials {
	out := maps.Clone(old)
	delete(out, TokenAccess)
	delete(out, TokenExpiresAt)
	maps.Copy(out, fresh)
	return out
}

// RefreshStats count what one background pass did.
type RefreshStats struct {
	Checked   int // connections due
	Refreshed int // tokens renewed
	Failed    int // connections left unusable: expired, or the provider failed after expiry
}

// RefreshDue is the background refresher's pass: through the same locked
// path as FreshCredentials, it refreshes every connected OAuth2 token that
// expires within window, and expires the connections whose token expired
// with nothing to renew it. It reads batch connections at a time and
// refreshes them one after the other; a failure of one is logged and
// counted, and the pass goes on.
func (s *Service) RefreshDue(ctx context.Context, window time.Duration, batch int) (RefreshStats, error) {
	var st RefreshStats
	now := s.now()
	integs := map[string]*Integration{}
	var after *Connection
	for {
		cs, err := s.store.ListRefreshDue(ctx, now.Add(window), now, after, batch)
		if err != nil {
			return st, err
		}
		for i := range cs {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			c := &cs[i]
			st.Checked++
			key := c.AppID + "\x00" + c.Integration
			integ, ok := integs[key]
			if !ok {
				if integ, err = s.store.FindIntegration(ctx, c.AppID, c.Integration); err != nil && ErrorCode(err) != CodeNotFound {
					return st, err
				}
				integs[key] = integ
			}
			if integ == nil {
				continue // deleted meanwhile, with its connections
			}
			_, refreshed, err := s.refresh(ctx, integ, c, window)
			switch {
			case err != nil:
				st.Failed++
			case refreshed:
				st.Refreshed++
			}
		}
		if len(cs) < batch {
			return st, nil
		}
		after = &cs[len(cs)-1]
	}
}

func (s *Service) tokenTimeout() time.Duration {
	if s.TokenTimeout > 0 {
		return s.TokenTimeout
	}
	return tokenRequestTimeout
}
