package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// Rendering an error with a field leaves the error itself as it was: errors
// may be shared sentinels, rendered by many requests at once.
func TestWriteError_LeavesTheErrorsDetailsAlone(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil)), metrics: NewMetrics()}
	e := &portico.Error{Code: portico.CodeValidation, Message: "name is too long.", Field: "name",
		Details: map[string]any{"max": 100}}
	w := httptest.NewRecorder()
	s.writeError(w, httptest.NewRequest("POST", "/v1/integrations", nil), e)
	if len(e.Details) != 1 || e.Details["max"] != 100 {
		t.Fatalf("details of the error = %v, want only max", e.Details)
	}
	var body struct {
		Error struct {
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Details["field"] != "name" || body.Error.Details["max"] != float64(100) {
		t.Fatalf("rendered details = %v, want field and max", body.Error.Details)
	}
}
