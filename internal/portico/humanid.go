package portico

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// humanIDKeyMeta names the deployment-wide key of human ids.
const humanIDKeyMeta = "human_id_key"

// HumanID returns the Human API Connect id of a user (its human_id): the
// first 32 hex digits of HMAC-SHA256 over the app and user ids, keyed by a
// random deployment-wide key. It is stable for the user's life, identical
// on every node, different in every app, and tells nothing about the user,
// the app or how many users there are.
func (s *Service) HumanID(ctx context.Context, appID, userID string) (string, error) {
	key, err := s.humanIDKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(appID + "\x00" + userID))
	return hex.EncodeToString(m.Sum(nil))[:32], nil
}

// humanIDKey reads the key, creating it once: the first node to store one
// wins and every other node reads that one.
func (s *Service) humanIDKey(ctx context.Context) ([]byte, error) {
	v, ok, err := s.store.Meta(ctx, humanIDKeyMeta)
	if err != nil {
		return nil, err
	}
	if !ok {
		var b [32]byte
		rand.Read(b[:])
		if v, err = s.store.SetMetaIfAbsent(ctx, humanIDKeyMeta, base64.StdEncoding.EncodeToString(b[:])); err != nil {
			return nil, err
		}
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("decode %s: stored value is not a key", humanIDKeyMeta)
	}
	return key, nil
}
