package cli

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// refreshBatch bounds the connections one read of the background refresher
// returns; it refreshes them one after the other.
const refreshBatch = 100

// Defaults of the background refresher: every minute, the tokens that
// expire within five minutes, so that a token is renewed a few passes
// before it runs out and a use seldom waits for a refresh.
const (
	defaultRefreshInterval = time.Minute
	defaultRefreshWindow   = 5 * time.Minute
)

// refreshDefaults fills the refresher's settings left zero by callers that
// build a Config in code.
func (c *Config) refreshDefaults() {
	if c.RefreshInterval == 0 {
		c.RefreshInterval = defaultRefreshInterval
	}
	if c.RefreshWindow == 0 {
		c.RefreshWindow = defaultRefreshWindow
	}
}

// validateRefresh reports a bad refresher setting.
func (c *Config) validateRefresh() error {
	if c.RefreshInterval <= 0 || c.RefreshWindow <= 0 {
		return errors.New("--refresh-interval and --refresh-window must be positive")
	}
	return nil
}

// refreshLoop renews, every refresh interval, the OAuth2 access tokens that
// expire within the refresh window (portico.Service.RefreshDue). Every node
// runs it: the lease in the store makes each refresh happen once.
func (s *Server) refreshLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := s.Service.RefreshDue(ctx, s.cfg.RefreshWindow, refreshBatch)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("oauth_refresh_pass_failed", slog.Any("error", err))
		}
		if st.Checked > 0 {
			s.log.Info("oauth_refresh_pass", slog.Int("due", st.Checked), slog.Int("refreshed", st.Refreshed), slog.Int("failed", st.Failed))
		}
	}
}
