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
