package portico

import "sync"

// ConnectedHub tells the callers waiting on a user's connection to an
// integration that it was stored (connected, or connected again): the MCP
// server waits on it to answer a retried tool call, or to tell a client
// that the user finished connecting (docs/mcp.md). It reaches the callers
// of this process; a store that shares events between nodes calls Publish
// for the others' connections too. The zero value is ready.
type ConnectedHub struct {
	mu      sync.Mutex
	waiters map[connectedKey]map[chan struct{}]struct{}
}

type connectedKey struct{ app, user, integration string }

// Wait returns a channel closed at the next Publish for the user's
// connection to the integration, and a function that stops waiting (call
// it in any case).
func (h *ConnectedHub) Wait(appID, userID, slug string) (<-chan struct{}, func()) {
	k := connectedKey{appID, userID, slug}
	ch := make(chan struct{})
	h.mu.Lock()
	if h.waiters == nil {
		h.waiters = map[connectedKey]map[chan struct{}]struct{}{}
	}
	if h.waiters[k] == nil {
		h.waiters[k] = map[chan struct{}]struct{}{}
	}
	h.waiters[k][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.waiters[k][ch]; ok {
			delete(h.waiters[k], ch)
			if len(h.waiters[k]) == 0 {
				delete(h.waiters, k)
			}
		}
	}
}

// Publish wakes every waiter on the user's connection to the integration.
func (h *ConnectedHub) Publish(appID, userID, slug string) {
	k := connectedKey{appID, userID, slug}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.waiters[k] {
		close(ch)
	}
	delete(h.waiters, k)
}
