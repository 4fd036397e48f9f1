package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/porticohq/portico/internal/portico"
)

// ClientMetadataFetcher reads OAuth client metadata documents
// (docs/identity.md) with client, the guarded client of Proxy.Client: a
// GET answered 200 with at most portico.MaxClientMetadataBytes.
func ClientMetadataFetcher(client *http.Client) func(ctx context.Context, url string) ([]byte, error) {
	return func(ctx context.Context, url string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		res, err := client.Do(req)
		if err != nil {
			if b := blockedOf(err); b != nil {
				return nil, portico.Errorf(portico.CodeForbidden, "its address is not allowed (%s).", b.Reason)
			}
			return nil, portico.Errorf(portico.CodeUpstreamUnreachable, "it could not be reached.")
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, portico.Errorf(portico.CodeUpstreamUnreachable, "it answered %d.", res.StatusCode)
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, portico.MaxClientMetadataBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read client metadata: %w", err)
		}
		if len(body) > portico.MaxClientMetadataBytes {
			return nil, portico.Errorf(portico.CodePayloadTooLarge, "it is larger than %d bytes.", portico.MaxClientMetadataBytes)
		}
		return body, nil
	}
}
