package portico_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

// An input schema nesting past MaxInputSchemaDepth, which only an
// integration stored before the limit was checked can hold, leaves its
// action out of the agent's tools; the others stay.
func TestAgentTools_LeaveOutAStoredSchemaTooDeep(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			svc, db, _, app := newAppService(t, e)
			ctx := context.Background()
			name, base, none := "Notes", "https://notes.example.com", "none"
			actions := []portico.Action{{Name: "list", Method: "GET", Path: "/notes"}, {Name: "deep", Method: "POST", Path: "/notes"}}
			if _, _, err := svc.PutIntegration(ctx, app.ID, "notes", portico.IntegrationInput{Name: &name, BaseURL: &base,
				Auth: &portico.AuthInput{Type: &none}, Actions: &actions}); err != nil {
				t.Fatal(err)
			}
			in, err := db.FindIntegration(ctx, app.ID, "notes")
			if err != nil {
				t.Fatal(err)
			}
			deep := `{"type":"object","properties":{"a":` + strings.Repeat(`{"type":"array","items":`, 600) + `{}` + strings.Repeat(`}`, 600) + `}}`
			in.Actions[1].InputSchema = json.RawMessage(deep)
			if _, err := db.PutIntegration(ctx, in, false); err != nil {
				t.Fatal(err)
			}
			agent := &portico.Agent{App: app}
			tools, err := svc.AgentTools(ctx, agent)
			if err != nil || len(tools) != 1 || tools[0].Name != "notes_list" {
				t.Fatalf("tools: %v %+v", err, tools)
			}
			if _, err := svc.AgentTool(ctx, agent, "notes_deep"); portico.ErrorCode(err) != portico.CodeNotFound {
				t.Fatalf("the deep tool by name: %v", err)
			}
		})
	}
}
