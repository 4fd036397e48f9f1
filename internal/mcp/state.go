package mcp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/porticohq/portico/internal/portico"
)

// stateTTL bounds how long a client may retry a call with its state.
const stateTTL = 10 * time.Minute

// stateAAD binds sealed request states to their use.
const stateAAD = "portico mcp request state v1"

// requestState is what a 2026-07-28 client carries from an answer that
// needs the user to connect to its retry: sealed with the deployment's
// key, so that a client can neither read nor forge it, and bound to the
// caller, the tool, the arguments and a deadline.
type requestState struct {
	Principal string `json:"p"`
	Tool      string `json:"t"`
	Args      string `json:"a"` // hex SHA-256 of the arguments as sent
	Expires   int64  `json:"e"` // Unix seconds
	// Approval is the approval the client asked the user about; "" when
	// the state waits for a connection.
	Approval string `json:"ap,omitempty"`
}

func argsDigest(args json.RawMessage) string {
	sum := sha256.Sum256(args)
	return hex.EncodeToString(sum[:])
}

func (h *Handler) sealState(a *portico.Agent, tool string, args json.RawMessage, approval string) (string, error) {
	plain, err := json.Marshal(requestState{Principal: a.Principal(), Tool: tool, Args: argsDigest(args),
		Expires: h.svc.Now().Add(stateTTL).Unix(), Approval: approval})
	if err != nil {
		return "", err
	}
	return h.svc.Sealer.Seal(plain, stateAAD)
}

// openState checks a state a client sent back: a tampered, expired or
// other caller's, another tool's or other arguments' state is refused.
func (h *Handler) openState(a *portico.Agent, tool string, args json.RawMessage, sealed string) (*requestState, error) {
	errBad := errors.New("the requestState sent is not valid for this call")
	plain, err := h.svc.Sealer.Open(sealed, stateAAD)
	if err != nil {
		return nil, errBad
	}
	var st requestState
	if json.Unmarshal(plain, &st) != nil || st.Principal != a.Principal() || st.Tool != tool || st.Args != argsDigest(args) {
		return nil, errBad
	}
	if h.svc.Now().Unix() > st.Expires {
		return nil, errors.New("the requestState sent has expired")
	}
	return &st, nil
}
