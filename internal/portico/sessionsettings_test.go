package portico_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/porticohq/portico/internal/portico"
)

// Settings that do not decode are a damaged row: an error, never the zero
// settings, which would show every integration and allow no action.
func TestSessionSettingsOf(t *testing.T) {
	st, err := portico.SessionSettingsOf(&portico.Session{ID: "ses_1", Settings: json.RawMessage(`{"integrations":["crm"],"allow_actions":["delete"]}`)})
	if want := (portico.SessionSettings{Integrations: []string{"crm"}, AllowActions: []string{"delete"}}); err != nil || !reflect.DeepEqual(st, want) {
		t.Fatalf("got %+v, %v; want %+v", st, err, want)
	}
	damaged := &portico.Session{ID: "ses_2", Settings: json.RawMessage(`{"integrations":"crm"}`)}
	if _, err := portico.SessionSettingsOf(damaged); err == nil {
		t.Fatal("damaged settings decoded without an error")
	}
	// The page's actions refuse to act on such a session, as an internal
	// error rather than a refusal the session's settings would explain.
	err = (&portico.Service{}).ActOnConnection(context.Background(), damaged, &portico.User{}, "con_1", portico.ActionDelete)
	if code := portico.ErrorCode(err); code != portico.CodeInternal {
		t.Fatalf("ActOnConnection on a damaged session: %v (code %q), want an internal error", err, code)
	}
}
