package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/porticohq/portico/internal/cli"
	"github.com/porticohq/portico/internal/cli/clitest"
	"github.com/porticohq/portico/internal/mcp"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/store/storetest"
)

var eras = []string{"2026-07-28", "2025-11-25"}

// Who may call: a session token, or a key with mcp:act_as_user and a
// user header; everything else is refused before the SDK, a missing or
// refused credential with the resource metadata's address.
func TestMCP_Authentication(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`
		ctx := context.Background()
		_, allKey, err := e.svc.CreateAPIKey(ctx, e.app.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, agentKey, err := e.svc.CreateAPIKey(ctx, e.app.ID, []string{portico.PermissionActAsUser})
		if err != nil {
			t.Fatal(err)
		}
		revokedSess, revokedTok := e.session("ann", portico.SessionSettings{})
		if err := e.svc.RevokeSession(ctx, e.app.ID, revokedSess.ID); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			h      map[string]string
			status int
			code   string
		}{
			{"no credential", nil, 401, "unauthenticated"},
			{"unknown token", bearer("pst_" + strings.Repeat("A", 43)), 401, "invalid_token"},
			{"revoked session", bearer(revokedTok), 401, "invalid_token"},
			{"key without mcp:act_as_user", map[string]string{"Authorization": "Bearer " + allKey, "Portico-User-Id": "ann"}, 403, "forbidden"},
			{"agent key without a user", bearer(agentKey), 422, "validation_failed"},
			{"agent key with both user headers", map[string]string{"Authorization": "Bearer " + agentKey, "Portico-User-Id": "ann", "Portico-User-Email": "a@example.com"}, 422, "validation_failed"},
			{"agent key with two user ids", map[string]string{"Authorization": "Bearer " + agentKey, "Portico-User-Id": "bob\nann"}, 422, "validation_failed"},
			{"agent key with two user emails", map[string]string{"Authorization": "Bearer " + agentKey, "Portico-User-Email": "b@example.com\na@example.com"}, 422, "validation_failed"},
			{"foreign origin", map[string]string{"Authorization": "Bearer " + e.annTok, "Origin": "https://evil.example"}, 403, "forbidden"},
			{"a trusted origin, then a foreign one", map[string]string{"Authorization": "Bearer " + e.annTok, "Origin": e.URL + "\nhttps://evil.example"}, 403, "forbidden"},
			{"rebound host", map[string]string{"Authorization": "Bearer " + e.annTok, "Host": "evil.example"}, 403, "forbidden"},
		}
		for _, c := range cases {
			res, body := e.raw("POST", init, c.h)
			if res.StatusCode != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) {
				t.Errorf("%s: %d %s, want %d %s", c.name, res.StatusCode, body, c.status, c.code)
			}
			if c.h == nil && !strings.Contains(body, "an API key with the mcp:act_as_user permission") {
				t.Errorf("%s: the message does not name every credential: %s", c.name, body)
			}
			if c.status == 401 {
				if got, want := res.Header.Get("WWW-Authenticate"), `Bearer resource_metadata="`+e.URL+`/.well-known/oauth-protected-resource/mcp"`; got != want {
					t.Errorf("%s: WWW-Authenticate %q, want %q", c.name, got, want)
				}
			}
		}
		// An app id from the path goes into the header as a path segment.
		req, _ := http.NewRequest("POST", e.URL+`/a/app_x%22,%20y=%5C/mcp`, strings.NewReader(init))
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 ||
			res.Header.Get("WWW-Authenticate") != `Bearer resource_metadata="`+e.URL+`/.well-known/oauth-protected-resource/a/app_x%22%2C%20y=%5C/mcp"` {
			t.Errorf("an odd app id: %v %v", res, err)
		} else {
			res.Body.Close()
		}
		// Another kind of Portico secret is named, with the endpoint.
		if res, body := e.raw("POST", init, bearer("prt_"+strings.Repeat("A", 43))); res.StatusCode != 401 ||
			!strings.Contains(body, "This is a refresh token; /mcp takes a session token, which starts with pst_.") {
			t.Errorf("refresh token: %d %s", res.StatusCode, body)
		}
		res, body := e.raw("POST", init, map[string]string{"Authorization": "Bearer " + agentKey, "Portico-User-Id": "ann"})
		if res.StatusCode != 200 || !strings.Contains(body, `"protocolVersion":"2025-11-25"`) {
			t.Errorf("agent key: %d %s", res.StatusCode, body)
		}
		// The resource metadata (RFC 9728), at both addresses.
		for _, p := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
			r, err := httpGet(e.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			var prm map[string]any
			if err := json.Unmarshal([]byte(r), &prm); err != nil || prm["resource"] != e.URL+"/mcp" || fmt.Sprint(prm["authorization_servers"]) != "["+e.URL+"]" {
				t.Errorf("%s: %s", p, r)
			}
		}
	})
}

// Tools are the caller's, by name, with hints from the method, in both
// eras; a session's settings narrow them, and the list does not depend on
// what the user has connected.
func TestMCP_ToolsList(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		for _, era := range eras {
			cs := e.dial(clientOpts{version: era, headers: bearer(e.annTok)})
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatalf("%s: %v", era, err)
			}
			var names []string
			byName := map[string]*sdk.Tool{}
			for _, tl := range res.Tools {
				names = append(names, tl.Name)
				byName[tl.Name] = tl
			}
			want := "acme_crm_big acme_crm_create_deal acme_crm_delete_deal acme_crm_get_deal acme_crm_list acme_crm_missing notes_add"
			if strings.Join(names, " ") != want {
				t.Errorf("%s: tools %v, want %s", era, names, want)
			}
			get, del, list := byName["acme_crm_get_deal"], byName["acme_crm_delete_deal"], byName["acme_crm_list"]
			if get == nil || del == nil || list == nil {
				t.Fatalf("%s: missing tools", era)
			}
			if !get.Annotations.ReadOnlyHint || get.Title != "Acme CRM: Get deal" || !strings.HasPrefix(get.Description, "Acme CRM: ") {
				t.Errorf("%s: get-deal %+v %+v", era, get, get.Annotations)
			}
			if del.Annotations.ReadOnlyHint || del.Annotations.DestructiveHint == nil || !*del.Annotations.DestructiveHint || !del.Annotations.IdempotentHint {
				t.Errorf("%s: delete-deal hints %+v", era, del.Annotations)
			}
			if list.Annotations.OpenWorldHint == nil || *list.Annotations.OpenWorldHint {
				t.Errorf("%s: the action's annotations do not override: %+v", era, list.Annotations)
			}
			if era == "2026-07-28" && res.CacheScope != "private" {
				t.Errorf("%s: cacheScope %q", era, res.CacheScope)
			}
		}
		// A read-only session limited to acme_crm_* sees its read tools
		// only, though the user has connected nothing of notes.
		_, tok := e.session("ann", portico.SessionSettings{Tools: portico.ToolSettings{Allow: []string{"acme_crm_*"}, Deny: []string{"acme_crm_big"}, ReadOnly: true}})
		for _, era := range eras {
			cs := e.dial(clientOpts{version: era, headers: bearer(tok)})
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tl := range res.Tools {
				names = append(names, tl.Name)
			}
			if got := strings.Join(names, " "); got != "acme_crm_get_deal acme_crm_list acme_crm_missing" {
				t.Errorf("%s: read-only tools %s", era, got)
			}
		}
	})
}

// tools/call runs the action as perform does: the upstream sees the
// user's credential, never Portico's token; answers are structured and
// text; upstream errors, bad arguments and oversized results are tool
// errors.
func TestMCP_ToolsCall(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		for _, era := range eras {
			cs := e.dial(clientOpts{version: era, headers: bearer(e.annTok)})
			call := func(name string, args any) *sdk.CallToolResult {
				t.Helper()
				res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
				if err != nil {
					t.Fatalf("%s %s: %v", era, name, err)
				}
				return res
			}
			n := len(e.up.requests())
			res := call("acme_crm_create_deal", map[string]any{"title": "Big one", "amount": 5})
			if res.IsError {
				t.Fatalf("%s: %s", era, textOf(res))
			}
			seen := e.up.requests()[n:]
			if len(seen) != 1 || seen[0].Method != "POST" || seen[0].Path != "/deals" || seen[0].Auth != "Bearer ann-crm-key-0001" ||
				!strings.Contains(seen[0].Body, `"title":"Big one"`) {
				t.Errorf("%s: upstream saw %+v", era, seen)
			}
			if strings.Contains(fmt.Sprint(seen), e.annTok) {
				t.Errorf("%s: the upstream saw the session token", era)
			}
			sc, _ := json.Marshal(res.StructuredContent)
			if !strings.Contains(string(sc), `"path":"/deals"`) || !strings.Contains(textOf(res), `"path":"/deals"`) {
				t.Errorf("%s: result %s / %s", era, sc, textOf(res))
			}
			if res := call("acme_crm_list", nil); res.IsError || !strings.Contains(fmt.Sprint(res.StructuredContent), "result") {
				t.Errorf("%s: a JSON array is not under result: %+v", era, res.StructuredContent)
			}
			if res := call("acme_crm_missing", nil); !res.IsError || !strings.Contains(textOf(res), "Acme CRM answered HTTP 404 Not Found") {
				t.Errorf("%s: upstream 404: %+v %s", era, res.IsError, textOf(res))
			}
			n = len(e.up.requests())
			if res := call("acme_crm_get_deal", map[string]any{"id": 7}); !res.IsError || !strings.Contains(textOf(res), "(id)") {
				t.Errorf("%s: bad arguments: %s", era, textOf(res))
			}
			if res := call("acme_crm_get_deal", map[string]any{}); !res.IsError || !strings.Contains(textOf(res), "id") {
				t.Errorf("%s: missing argument: %s", era, textOf(res))
			}
			if len(e.up.requests()) != n {
				t.Errorf("%s: a call with bad arguments reached the upstream", era)
			}
			if _, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "acme_crm_nothing"}); !isRPC(err, jsonrpc.CodeInvalidParams) {
				t.Errorf("%s: unknown tool: %v", era, err)
			}
		}
		// The app's result bound cuts long results, on a rune boundary.
		limit := 1024
		if _, _, err := e.svc.UpdateApp(context.Background(), e.app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{MCPMaxResultBytes: &limit}}); err != nil {
			t.Fatal(err)
		}
		cs := e.dial(clientOpts{headers: bearer(e.annTok)})
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "acme_crm_big"})
		if err != nil {
			t.Fatal(err)
		}
		text := textOf(res)
		if res.StructuredContent != nil || !strings.Contains(text, "Portico cut this result: it was 6012 bytes, over the app's limit of 1024") || len(text) > 1024+300 || !strings.HasPrefix(text, `{"items":"é`) {
			t.Errorf("cut result (%d bytes): %.200s … %s", len(text), text, text[max(0, len(text)-200):])
		}
	})
}

// A read-only session cannot call a write tool, even by name: the upstream
// sees nothing.
func TestMCP_ReadOnlySession(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, tok := e.session("ann", portico.SessionSettings{Tools: portico.ToolSettings{ReadOnly: true}})
		for _, era := range eras {
			cs := e.dial(clientOpts{version: era, headers: bearer(tok)})
			n := len(e.up.requests())
			_, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "acme_crm_delete_deal", Arguments: map[string]any{"id": "1"}})
			if !isRPC(err, jsonrpc.CodeInvalidParams) {
				t.Errorf("%s: write tool on a read-only session: %v", era, err)
			}
			if len(e.up.requests()) != n {
				t.Errorf("%s: the upstream saw the refused call", era)
			}
		}
	})
}

// Two users calling at once each reach the upstream with their own
// credential, the stateless calls through the one server of their tool.
func TestMCP_UsersNeverCross(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, bobTok := e.session("bob", portico.SessionSettings{})
		e.connect("bob", "acme-crm", "bob-crm-key-0002")
		var wg sync.WaitGroup
		for _, u := range []struct{ tok, want string }{{e.annTok, "Bearer ann-crm-key-0001"}, {bobTok, "Bearer bob-crm-key-0002"}} {
			for _, era := range eras {
				cs := e.dial(clientOpts{version: era, headers: bearer(u.tok)})
				wg.Go(func() {
					for i := range 20 {
						res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "acme_crm_get_deal", Arguments: map[string]any{"id": fmt.Sprint(i)}})
						if err != nil {
							t.Error(err)
							return
						}
						var got map[string]string
						b, _ := json.Marshal(res.StructuredContent)
						json.Unmarshal(b, &got)
						if got["auth"] != u.want {
							t.Errorf("%s: upstream saw %q, want %q", era, got["auth"], u.want)
						}
					}
				})
			}
		}
		wg.Wait()
	})
}

// A 2025-era session is bound to its caller: another principal presenting
// its id is refused.
func TestMCP_SessionBoundToCaller(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		h := e.legacySession(e.annTok)
		_, bobTok := e.session("bob", portico.SessionSettings{})
		list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
		bob := bearer(bobTok)
		bob["Mcp-Session-Id"], bob["MCP-Protocol-Version"] = h["Mcp-Session-Id"], h["MCP-Protocol-Version"]
		if res, body := e.raw("POST", list, bob); res.StatusCode != 403 {
			t.Errorf("another session's token on the session: %d %s", res.StatusCode, body)
		}
		if res, body := e.raw("POST", list, h); res.StatusCode != 200 || !strings.Contains(body, "acme_crm_get_deal") {
			t.Errorf("the session's own token: %d %s", res.StatusCode, body)
		}
	})
}

func isRPC(err error, code int64) bool {
	var re *jsonrpc.Error
	return errors.As(err, &re) && re.Code == code
}

func httpGet(u string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return get(ctx, u)
}

// urlCaps declares URL elicitation.
var urlCaps = &sdk.ClientCapabilities{Elicitation: &sdk.ElicitationCapabilities{URL: &sdk.URLElicitationCapabilities{}}}

// A 2026-07-28 client that takes URL elicitation gets an
// InputRequiredResult with the configuration URL; its retry waits for the
// user to connect, then runs the call once.
func TestMCP_MissingCredential_InputRequired(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, carlTok := e.session("carl", portico.SessionSettings{})
		var asked []*sdk.ElicitParams
		opts := &sdk.ClientOptions{Capabilities: urlCaps, ElicitationHandler: func(ctx context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
			asked = append(asked, req.Params)
			// The user connects a moment after the client retries.
			time.AfterFunc(500*time.Millisecond, func() { e.connect("carl", "notes", "carl-notes-key-003") })
			return &sdk.ElicitResult{Action: "accept"}, nil
		}}
		cs := e.dial(clientOpts{headers: bearer(carlTok), opts: opts})
		n := len(e.up.requests())
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: map[string]any{"text": "hi"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.IsError || len(asked) != 1 || asked[0].Mode != "url" || !strings.HasPrefix(asked[0].URL, e.URL+"/connect/") ||
			!strings.Contains(asked[0].Message, "Notes is not connected") {
			t.Fatalf("result %+v %s; asked %+v", res, textOf(res), asked)
		}
		seen := e.up.requests()[n:]
		if len(seen) != 1 || seen[0].Auth != "Bearer carl-notes-key-003" {
			t.Errorf("upstream saw %+v, want one call with carl's key", seen)
		}
	})
}

// An MCP call's activity row carries the request id of the POST that made
// it, as its log line does, in both eras.
func TestMCP_ActivityRequestID(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, tok := e.session("carl", portico.SessionSettings{})
		e.connect("carl", "notes", "carl-notes-key-003")
		call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"notes_add","arguments":{"text":"hi"},` +
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},` +
			`"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}}}`
		modern := bearer(tok)
		modern["Mcp-Method"], modern["Mcp-Name"], modern["MCP-Protocol-Version"] = "tools/call", "notes_add", "2026-07-28"
		legacy := e.legacySession(tok)
		for _, h := range []map[string]string{modern, legacy} {
			body := call
			if h["Mcp-Session-Id"] != "" {
				body = `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"notes_add","arguments":{"text":"hi"}}}`
			}
			res, out := e.raw("POST", body, h)
			if res.StatusCode != 200 || !strings.Contains(out, `"result"`) || strings.Contains(out, `"isError":true`) {
				t.Fatalf("call: %d %s", res.StatusCode, out)
			}
			page, err := e.svc.ListActivity(context.Background(), e.app.ID, portico.ActivityFilter{}, portico.PageRequest{Size: 1})
			if err != nil || len(page.Data) != 1 {
				t.Fatalf("activity: %+v %v", page, err)
			}
			if got, want := page.Data[0].RequestID, res.Header.Get("X-Request-Id"); got == "" || got != want {
				t.Errorf("session %q: activity request id %q, the answer's %q", h["Mcp-Session-Id"], got, want)
			}
		}
	})
}

// On the wire, an InputRequiredResult holds content as an array (empty),
// never null: a client that reads every tools/call answer as a
// CallToolResult first would refuse null.
func TestMCP_InputRequiredWireShape(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, tok := e.session("carl", portico.SessionSettings{})
		h := bearer(tok)
		h["Mcp-Method"], h["Mcp-Name"], h["MCP-Protocol-Version"] = "tools/call", "notes_add", "2026-07-28"
		res, body := e.raw("POST", `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"notes_add","arguments":{"text":"hi"},`+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{"url":{}}},`+
			`"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}}}`, h)
		var msg struct {
			Result map[string]json.RawMessage `json:"result"`
		}
		if res.StatusCode != 200 || json.Unmarshal([]byte(body), &msg) != nil {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		if string(msg.Result["resultType"]) != `"input_required"` || string(msg.Result["content"]) != `[]` || msg.Result["requestState"] == nil {
			t.Fatalf("result: %s", body)
		}
	})
}

// A state is bound to its caller, tool and arguments, and sealed: any
// other use is refused and never executes.
func TestMCP_RequestStateRefused(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, carlTok := e.session("carl", portico.SessionSettings{})
		_, daveTok := e.session("dave", portico.SessionSettings{})
		opts := &sdk.ClientOptions{Capabilities: urlCaps, MultiRoundTrip: &sdk.MultiRoundTripOptions{Disabled: true},
			ElicitationHandler: func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
				return &sdk.ElicitResult{Action: "accept"}, nil
			}}
		carl := e.dial(clientOpts{headers: bearer(carlTok), opts: opts})
		args := map[string]any{"text": "hi"}
		first, err := carl.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: args})
		if err != nil || first.RequestState == "" || len(first.InputRequests) != 1 {
			t.Fatalf("first answer: %+v %v", first, err)
		}
		e.connect("carl", "notes", "carl-notes-key-003")
		e.connect("dave", "notes", "dave-notes-key-004")
		n := len(e.up.requests())
		st := first.RequestState
		tampered := st[:len(st)-2] + map[bool]string{true: "AA", false: "BB"}[strings.HasSuffix(st, "AA")]
		dave := e.dial(clientOpts{headers: bearer(daveTok), opts: opts})
		for _, c := range []struct {
			name string
			cs   *sdk.ClientSession
			tool string
			args map[string]any
			st   string
		}{
			{"tampered", carl, "notes_add", args, tampered},
			{"other arguments", carl, "notes_add", map[string]any{"text": "other"}, st},
			{"other tool", carl, "acme_crm_list", nil, st},
			{"other caller", dave, "notes_add", args, st},
		} {
			res, err := c.cs.CallTool(context.Background(), &sdk.CallToolParams{Name: c.tool, Arguments: c.args, RequestState: c.st})
			if err != nil || !res.IsError || !strings.Contains(textOf(res), "not valid for this call") {
				t.Errorf("%s: %+v %v", c.name, res, err)
			}
		}
		if got := e.up.requests()[n:]; len(got) != 0 {
			t.Errorf("refused states reached the upstream: %+v", got)
		}
		res, err := carl.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: args, RequestState: st,
			InputResponses: sdk.InputResponseMap{"connect_notes": &sdk.ElicitResult{Action: "accept"}}})
		if err != nil || res.IsError {
			t.Errorf("the right retry: %+v %v", res, err)
		}
	})
}

// A 2025-era session that declared URL elicitation gets -32042, then
// notifications/elicitation/complete when the user connects.
func TestMCP_MissingCredential_LegacyElicitation(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, carlTok := e.session("carl", portico.SessionSettings{})
		cs, completed, re := elicitInLegacySession(t, e, carlTok)
		var data struct {
			Elicitations []sdk.ElicitParams `json:"elicitations"`
		}
		if err := json.Unmarshal(re.Data, &data); err != nil || len(data.Elicitations) != 1 || data.Elicitations[0].ElicitationID == "" ||
			!strings.HasPrefix(data.Elicitations[0].URL, e.URL+"/connect/") {
			t.Fatalf("elicitations %s: %v", re.Data, err)
		}
		e.connect("carl", "notes", "carl-notes-key-003")
		select {
		case id := <-completed:
			if id != data.Elicitations[0].ElicitationID {
				t.Errorf("completed %q, want %q", id, data.Elicitations[0].ElicitationID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no notifications/elicitation/complete")
		}
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: map[string]any{"text": "hi"}})
		if err != nil || res.IsError {
			t.Errorf("after connecting: %+v %v", res, err)
		}
	})
}

// elicitInLegacySession opens a 2025-era session with tok whose client
// declares URL elicitation and calls a tool of an integration the user has
// not connected: the -32042 it answers, and where the client receives the
// ids of completed elicitations.
func elicitInLegacySession(t *testing.T, e *env, tok string) (*sdk.ClientSession, chan string, *jsonrpc.Error) {
	t.Helper()
	completed := make(chan string, 1)
	cs := e.dial(clientOpts{version: "2025-11-25", headers: bearer(tok), opts: completionClient(completed), longStreams: true})
	_, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: map[string]any{"text": "hi"}})
	var re *jsonrpc.Error
	if !errors.As(err, &re) || re.Code != sdk.CodeURLElicitationRequired {
		t.Fatalf("want -32042, got %v", err)
	}
	return cs, completed, re
}

// A 2025-era session's stream outlasts the server's write timeout (60 s;
// 2 s here): a user who takes longer to connect is still heard of.
func TestMCP_StreamOutlastsTheWriteTimeout(t *testing.T) {
	const writeTimeout = 2 * time.Second
	for _, eng := range storetest.Engines(t) {
		e := newEnv(t, eng, func(c *cli.Config) { c.WriteTimeout = writeTimeout })
		_, carlTok := e.session("carl", portico.SessionSettings{})
		_, completed, _ := elicitInLegacySession(t, e, carlTok)
		time.Sleep(writeTimeout + time.Second)
		e.connect("carl", "notes", "carl-notes-key-005")
		select {
		case <-completed:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the completion did not reach a stream past the write timeout (%v)", eng.Name, writeTimeout)
		}
	}
}

// The checks of an open stream's credential are not the caller's
// requests: they spend none of its rate budget.
func TestMCP_StreamRechecksSpendNoRateBudget(t *testing.T) {
	t.Cleanup(mcp.SetStreamRecheck(20 * time.Millisecond)) // after the server stops
	dir := t.TempDir()
	cfg := cli.Config{Addr: "127.0.0.1:0", LogFormat: "json", LogLevel: "info", ShutdownTimeout: 5 * time.Second,
		LogOutput: io.Discard, RateLimitKey: 1, RateLimitKeyBurst: 5}
	cfg.DataDir = dir
	srv := clitest.Start(t, cfg)
	e := &env{t: t, URL: srv.URL(), svc: srv.Service}
	app, _, err := e.svc.CreateApp(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	_, tok := e.session("carl", portico.SessionSettings{})
	cs := e.dial(clientOpts{version: "2025-11-25", headers: bearer(tok), opts: &sdk.ClientOptions{Capabilities: urlCaps}})
	// The client's stream is open; 50 rechecks would empty a budget of 5.
	time.Sleep(time.Second)
	if _, err := cs.ListTools(context.Background(), nil); err != nil {
		t.Fatalf("the caller's own request after its stream's rechecks: %v", err)
	}
}

// A node keeps a bounded number of 2025-era sessions per caller: one more
// ends the oldest, which its client must open again; the others live on.
func TestMCP_SessionsPerCallerAreBounded(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, tok := e.session("carl", portico.SessionSettings{})
		var opened []map[string]string
		for range mcp.MaxSessionsPerCaller + 1 {
			opened = append(opened, e.legacySession(tok))
		}
		list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
		if res, body := e.raw("POST", list, opened[0]); res.StatusCode != 404 {
			t.Errorf("the oldest session past the bound: %d %s", res.StatusCode, body)
		}
		for i, h := range opened[1:] {
			if res, body := e.raw("POST", list, h); res.StatusCode != 200 {
				t.Errorf("session %d of %d: %d %s", i+2, len(opened), res.StatusCode, body)
			}
		}
		// Another caller's sessions are not counted with carl's.
		if res, body := e.raw("POST", list, e.legacySession(e.annTok)); res.StatusCode != 200 {
			t.Errorf("another caller's session: %d %s", res.StatusCode, body)
		}
	})
}

// Revoking a 2025-era session ends its open stream too: the completion of
// an elicitation made before the revocation never reaches it.
func TestMCP_RevokedSessionEndsItsStream(t *testing.T) {
	t.Cleanup(mcp.SetStreamRecheck(50 * time.Millisecond)) // after the servers stop
	engines(t, func(t *testing.T, e *env) {
		sess, carlTok := e.session("carl", portico.SessionSettings{})
		_, completed, _ := elicitInLegacySession(t, e, carlTok)
		if err := e.svc.RevokeSession(context.Background(), e.app.ID, sess.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		e.connect("carl", "notes", "carl-notes-key-004")
		select {
		case id := <-completed:
			t.Fatalf("the revoked session's stream got the completion of %s", id)
		case <-time.After(2 * time.Second):
		}
	})
}

// A client without URL elicitation gets a tool error that says what was
// not done and where the user connects, with the same data in _meta; a
// key's unknown user gets a session and a link too.
func TestMCP_MissingCredential_Text(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		_, carlTok := e.session("carl", portico.SessionSettings{})
		_, agentKey, err := e.svc.CreateAPIKey(context.Background(), e.app.ID, []string{portico.PermissionActAsUser})
		if err != nil {
			t.Fatal(err)
		}
		callers := map[string]map[string]string{
			"session":           bearer(carlTok),
			"key, unknown user": {"Authorization": "Bearer " + agentKey, "Portico-User-Id": "erin"},
		}
		for who, h := range callers {
			for _, era := range eras {
				cs := e.dial(clientOpts{version: era, headers: h})
				res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: map[string]any{"text": "hi"}})
				if err != nil {
					t.Fatalf("%s %s: %v", who, era, err)
				}
				meta, _ := res.Meta["dev.portico/configuration_required"].(map[string]any)
				text := textOf(res)
				if !res.IsError || meta == nil || meta["integration"] != "notes" || meta["reason"] != "missing" ||
					!strings.HasPrefix(fmt.Sprint(meta["url"]), e.URL+"/connect/") || !strings.Contains(text, fmt.Sprint(meta["url"])) ||
					!strings.HasPrefix(text, "NOT EXECUTED: Notes is not connected for this user.") || !strings.Contains(text, "call notes_add again") {
					t.Errorf("%s %s: %+v %s", who, era, meta, text)
				}
				// The hints name where this result holds the URL, not a
				// field of the native API's answer.
				if hint := fmt.Sprint(meta["assistant_hint"]); !strings.Contains(hint, "open the URL in 'url'") || !strings.Contains(text, "open the URL above") ||
					strings.Contains(text+hint, "configuration_url") {
					t.Errorf("%s %s: hint %q, text %q", who, era, hint, text)
				}
			}
		}
		// The link of a session caller is its own session's.
		link := func() string {
			cs := e.dial(clientOpts{headers: bearer(carlTok)})
			res, _ := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "notes_add", Arguments: map[string]any{}})
			return fmt.Sprint(res.Meta["dev.portico/configuration_required"].(map[string]any)["url"])
		}
		sess, err := e.svc.OpenLink(context.Background(), link()[len(e.URL+"/connect/"):])
		if err != nil {
			t.Fatal(err)
		}
		carl, _ := e.svc.FindUserByKey(context.Background(), e.app.ID, "carl")
		if carl == nil || sess.UserID != carl.ID {
			t.Errorf("the link opens session %+v", sess)
		}
	})
}

// formCaps declares form elicitation only.
var formCaps = &sdk.ClientCapabilities{Elicitation: &sdk.ElicitationCapabilities{Form: &sdk.FormElicitationCapabilities{}}}

// A tool whose action needs approval asks the user in the client when it
// can (a form, both eras): accepted, the call runs exactly once; declined,
// never. A client without elicitation gets the approval link.
func TestMCP_Approvals(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		e.putIntegration("vault", `{"name":"Vault","base_url":"`+e.up.URL+`",
			"auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"Authorization","format":"Bearer {api_key}"}},
			"actions":[{"name":"wipe","method":"DELETE","path":"/secrets/{id}","approval":"confirm",
			  "input_schema":{"type":"object","properties":{"id":{"type":"string"},"reason":{"type":"string"}},"required":["id"]}}]}`)
		e.connect("ann", "vault", "ann-vault-key-0001")
		deletes := func() int {
			n := 0
			for _, r := range e.up.requests() {
				if r.Method == "DELETE" {
					n++
				}
			}
			return n
		}
		for i, era := range eras {
			for _, accept := range []bool{true, false} {
				var asked []*sdk.ElicitParams
				opts := &sdk.ClientOptions{Capabilities: formCaps, ElicitationHandler: func(_ context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
					asked = append(asked, req.Params)
					if accept {
						return &sdk.ElicitResult{Action: "accept", Content: map[string]any{}}, nil
					}
					return &sdk.ElicitResult{Action: "decline"}, nil
				}}
				cs := e.dial(clientOpts{version: era, headers: bearer(e.annTok), opts: opts})
				before := deletes()
				// Each case its own arguments: an approval binds to them.
				args := map[string]any{"id": fmt.Sprintf("s-%d-%v", i, accept), "reason": "purge-all"}
				res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "vault_wipe", Arguments: args})
				if err != nil {
					t.Fatalf("%s accept=%v: %v", era, accept, err)
				}
				if len(asked) != 1 || asked[0].Mode != "form" || !strings.Contains(asked[0].Message, "Allow Vault: Wipe? It sends DELETE /secrets/") ||
					!strings.Contains(asked[0].Message, "?reason=purge-all to Vault") {
					t.Errorf("%s accept=%v: asked %+v", era, accept, asked)
				}
				want := 0
				if accept {
					want = 1
				}
				if got := deletes() - before; got != want || res.IsError == accept {
					t.Errorf("%s accept=%v: %d DELETEs reached the upstream, want %d; result %v %s", era, accept, got, want, res.IsError, textOf(res))
				}
				if !accept && !strings.Contains(textOf(res), "the user declined") {
					t.Errorf("%s: declined: %s", era, textOf(res))
				}
				// The decision's activity row names the client, the session
				// and the request, as the call's own row does.
				page, err := e.svc.ListActivity(context.Background(), e.app.ID, portico.ActivityFilter{}, portico.PageRequest{Size: 3})
				if err != nil {
					t.Fatal(err)
				}
				var decided *portico.Activity
				for i := range page.Data {
					if strings.HasPrefix(page.Data[i].Action, "approval.") {
						decided = &page.Data[i]
						break
					}
				}
				if decided == nil || decided.Client != "mcp:portico-test" || decided.SessionID == "" || decided.RequestID == "" {
					t.Errorf("%s accept=%v: decision row %+v", era, accept, decided)
				}
			}
			// An answer whose action is none of accept, decline and cancel
			// is the client's mistake: nothing is recorded or sent, and a
			// proper answer to the same question still counts.
			answers := []string{"ACCEPT", "accept"}
			opts := &sdk.ClientOptions{Capabilities: formCaps, ElicitationHandler: func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
				a := answers[0]
				answers = answers[1:]
				return &sdk.ElicitResult{Action: a, Content: map[string]any{}}, nil
			}}
			cs := e.dial(clientOpts{version: era, headers: bearer(e.annTok), opts: opts})
			before := deletes()
			args := map[string]any{"id": fmt.Sprintf("s-%d-odd", i)}
			res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "vault_wipe", Arguments: args})
			if err != nil {
				t.Fatalf("%s: %v", era, err)
			}
			if !res.IsError || !strings.Contains(textOf(res), `the action "ACCEPT"`) || !strings.Contains(textOf(res), "Nothing was recorded") || deletes() != before {
				t.Errorf("%s: an odd answer: %v %s", era, res.IsError, textOf(res))
			}
			page, err := e.svc.ListActivity(context.Background(), e.app.ID, portico.ActivityFilter{}, portico.PageRequest{Size: 1})
			if err != nil || len(page.Data) != 1 || strings.HasPrefix(page.Data[0].Action, "approval.") {
				t.Errorf("%s: an odd answer was recorded: %+v %v", era, page.Data, err)
			}
			res, err = cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "vault_wipe", Arguments: args})
			if err != nil || res.IsError || deletes() != before+1 {
				t.Errorf("%s: answered properly after an odd answer: %v %v %s", era, err, res.IsError, textOf(res))
			}
		}
		// No elicitation: the link, and nothing sent.
		cs := e.dial(clientOpts{headers: bearer(e.annTok)})
		before := deletes()
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "vault_wipe", Arguments: map[string]any{"id": "plain"}})
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := res.Meta["dev.portico/approval_required"].(map[string]any)
		if !res.IsError || meta == nil || !strings.HasPrefix(fmt.Sprint(meta["url"]), e.URL+"/connect/") || deletes() != before {
			t.Errorf("without elicitation: %+v %s", res.Meta, textOf(res))
		}
		if hint, text := fmt.Sprint(meta["assistant_hint"]), textOf(res); !strings.Contains(hint, "open the URL in 'url'") ||
			!strings.Contains(text, "open the URL above") || strings.Contains(text+hint, "approval_url") {
			t.Errorf("approval hints: %q, text %q", hint, text)
		}
	})
}

// The per-user limit holds for MCP calls too: past it, a tool error that
// says when to retry, and nothing sent.
func TestMCP_PerUserLimit(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		one := 1
		if _, _, err := e.svc.UpdateApp(context.Background(), e.app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{PerformRatePerUser: &one, PerformBurstPerUser: &one}}); err != nil {
			t.Fatal(err)
		}
		cs := e.dial(clientOpts{headers: bearer(e.annTok)})
		call := func() *sdk.CallToolResult {
			res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "acme_crm_get_deal", Arguments: map[string]any{"id": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if res := call(); res.IsError {
			t.Fatalf("first call: %s", textOf(res))
		}
		n := len(e.up.requests())
		if res := call(); !res.IsError || !strings.Contains(textOf(res), "retry after") {
			t.Errorf("second call: %v %s", res.IsError, textOf(res))
		}
		if len(e.up.requests()) != n {
			t.Error("the limited call reached the upstream")
		}
	})
}

// settings.tools is checked at session creation, naming the field.
func TestMCP_ToolSettingsValidated(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ext := "ann"
		for field, st := range map[string]portico.ToolSettings{
			"settings.tools.allow": {Allow: []string{"GitHub_*"}},
			"settings.tools.deny":  {Deny: []string{"github.list"}},
		} {
			_, err := e.svc.CreateSession(context.Background(), e.app, portico.SessionInput{User: portico.UserInput{ExternalID: &ext},
				Settings: portico.SessionSettings{Tools: st}})
			if pe := portico.AsError(err); pe.Code != portico.CodeValidation || pe.Field != field {
				t.Errorf("%+v: %v, want a validation error on %s", st, err, field)
			}
		}
	})
}

// A request body to /mcp follows the native API's rules, so that a tool
// call's arguments are read as POST /v1/perform reads its input: no key
// named twice, valid UTF-8, JSON, at most 1 MiB. Nothing reaches the
// upstream when one is broken.
func TestMCP_BodiesFollowTheNativeRules(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		h := e.legacySession(e.annTok)
		call := func(args string) string {
			return `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"acme_crm_get_deal","arguments":` + args + `}}`
		}
		n := len(e.up.requests())
		cases := []struct {
			name, body, contentType string
			status                  int
			code, message           string
		}{
			{"a key twice", call(`{"id":"first","id":"second"}`), "", 400, "invalid_request", `Duplicate key \"params.arguments.id\"`},
			{"invalid UTF-8", call(`{"id":"` + "\xff" + `"}`), "", 400, "invalid_request", "not valid UTF-8"},
			{"over 1 MiB", call(`{"id":"` + strings.Repeat("a", 1<<20) + `"}`), "", 413, "payload_too_large", ""},
			{"not JSON", call(`{"id":"7"}`), "text/plain", 415, "unsupported_media_type", ""},
		}
		for _, c := range cases {
			hc := maps.Clone(h)
			if c.contentType != "" {
				hc["Content-Type"] = c.contentType
			}
			res, body := e.raw("POST", c.body, hc)
			if res.StatusCode != c.status || !strings.Contains(body, `"code":"`+c.code+`"`) || !strings.Contains(body, c.message) {
				t.Errorf("%s: %d %s, want %d %s %s", c.name, res.StatusCode, body, c.status, c.code, c.message)
			}
		}
		if got := e.up.requests()[n:]; len(got) != 0 {
			t.Errorf("a broken body reached the upstream: %+v", got)
		}
		// A well-formed call on the same session still runs.
		if res, body := e.raw("POST", call(`{"id":"7"}`), h); res.StatusCode != 200 || len(e.up.requests()) != n+1 {
			t.Errorf("a good call after them: %d %s", res.StatusCode, body)
		}
	})
}

// What the SDK refuses before any JSON-RPC handling is answered as a
// JSON-RPC error without an id, not as plain text: in a stateless request
// and in a 2025-era session alike.
func TestMCP_FramingErrorsAreJSONRPC(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		stateless := bearer(e.annTok)
		stateless["MCP-Protocol-Version"] = "2026-07-28"
		session := e.legacySession(e.annTok)
		unknownSession := maps.Clone(session)
		unknownSession["Mcp-Session-Id"] = "no-such-session"
		garbageVersion := maps.Clone(session)
		garbageVersion["MCP-Protocol-Version"] = "garbage"
		cases := []struct {
			name, body string
			headers    map[string]string
			status     int
			code       int
			message    string
		}{
			{"a batch", `[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`, stateless, 400, -32600, "batching is not supported"},
			// Read as 2025-03-26 (no MCP-Protocol-Version), which had them.
			{"a batch without a version", ` [{"jsonrpc":"2.0","id":1.5,"method":"ping"},{"jsonrpc":"2.0","id":1.5,"method":"ping"}]`, bearer(e.annTok), 400, -32600, "batching is not supported"},
			{"in a session: a batch without a version", `[{"jsonrpc":"2.0","id":4,"method":"tools/list"}]`, withoutVersion(session), 400, -32600, "batching is not supported"},
			{"a request without an id", `{"jsonrpc":"2.0","method":"tools/list"}`, stateless, 400, -32600, "missing id"},
			{"another version tag", `{"jsonrpc":"1.0","id":1,"method":"tools/list"}`, stateless, 400, -32600, "version tag"},
			{"not an object", `"hello"`, stateless, 400, -32600, "malformed payload"},
			// JSON-RPC's id is a string or a number (MCP: never null).
			{"an id that is an object", `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"an id that is an array", `{"jsonrpc":"2.0","id":[1],"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"an id that is a boolean", `{"jsonrpc":"2.0","id":true,"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"in a session: an id that is an object", `{"jsonrpc":"2.0","id":{},"method":"tools/list"}`, session, 400, -32600, "id must be a string or an integer"},
			// An answer carries its request's id unchanged; a number the
			// SDK would change (a fraction, past 64 bits, -0) is refused.
			{"an id of -0", `{"jsonrpc":"2.0","id":-0,"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"a fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"an id past 64 bits", `{"jsonrpc":"2.0","id":99999999999999999999999,"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"an id in exponent form", `{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}`, stateless, 400, -32600, "id must be a string or an integer"},
			{"in a session: a fractional id", `{"jsonrpc":"2.0","id":2.5,"method":"tools/list"}`, session, 400, -32600, "id must be a string or an integer"},
			{"an unknown method", `{"jsonrpc":"2.0","id":1,"method":"nope"}`, stateless, 404, -32601, `"nope"`},
			{"in a session: an unknown method", `{"jsonrpc":"2.0","id":3,"method":"nope"}`, session, 400, -32601, `"nope"`},
			{"in a session: a request without an id", `{"jsonrpc":"2.0","method":"tools/list"}`, session, 400, -32600, "missing id"},
			{"an unknown session", `{"jsonrpc":"2.0","id":3,"method":"tools/list"}`, unknownSession, 404, -32600, "session not found"},
			// Parameters the SDK would refuse in Go's words, or with an
			// unrelated code.
			{"initialize with a numeric protocolVersion", `{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":123,"capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`, bearer(e.annTok), 400, -32602, "params.protocolVersion must be a string"},
			{"tools/call with an answer that is not an object", `{"jsonrpc":"2.0","id":"c-8","method":"tools/call","params":{"name":"acme_crm_get_deal","arguments":{"id":"1"},"inputResponses":{"approve":"yes"}}}`, stateless, 400, -32602, "params.inputResponses must be an object of answers"},
			{"in a session: tools/call with answers that are not an object", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"acme_crm_get_deal","arguments":{"id":"1"},"inputResponses":[1]}}`, session, 400, -32602, "params.inputResponses must be an object of answers"},
			{"in a session: initialize again", `{"jsonrpc":"2.0","id":6,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`, session, 400, -32600, "initialized already"},
			{"in a session: a version that sorts after the stateless one", `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`, garbageVersion, 400, -32022, "is not supported"},
		}
		for _, c := range cases {
			res, body := e.raw("POST", c.body, c.headers)
			var out struct {
				JSONRPC string           `json:"jsonrpc"`
				ID      *json.RawMessage `json:"id"`
				Error   struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if res.StatusCode != c.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
				json.Unmarshal([]byte(body), &out) != nil || out.JSONRPC != "2.0" || out.Error.Code != c.code || !strings.Contains(out.Error.Message, c.message) {
				t.Errorf("%s: %d %s %s", c.name, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			// Refused parameters are answered to the request: its id.
			var sent struct{ ID json.RawMessage }
			if json.Unmarshal([]byte(c.body), &sent); c.code == -32602 && (out.ID == nil || string(*out.ID) != string(sent.ID)) {
				t.Errorf("%s: the answer's id is not the request's: %s", c.name, body)
			}
		}
	})
}

// withoutVersion is h without MCP-Protocol-Version.
func withoutVersion(h map[string]string) map[string]string {
	out := maps.Clone(h)
	delete(out, "MCP-Protocol-Version")
	return out
}

// An MCP request logs what any request logs: one info line, request
// (docs/operations.md). The SDK's own lines about the server session it
// makes for each request are debug lines.
func TestMCP_OneLogLinePerRequest(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		before := strings.Count(e.logs.String(), "\n")
		for _, era := range eras {
			cs := e.dial(clientOpts{version: era, headers: bearer(e.annTok)})
			if _, err := cs.ListTools(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "acme_crm_get_deal", Arguments: map[string]any{"id": "d-1"}}); err != nil {
				t.Fatal(err)
			}
			cs.Close()
		}
		lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")[before:]
		if len(lines) == 0 {
			t.Fatal("no log lines")
		}
		for _, l := range lines {
			var line struct{ Level, Msg string }
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("log line %q: %v", l, err)
			}
			// The server's start may log after the count above began.
			switch line.Msg {
			case "request", "serving", "migrated", "created_store", "generated_encryption_key":
				continue
			}
			if line.Level == "INFO" {
				t.Errorf("an info line other than request: %s", l)
			}
		}
	})
}

// A 2025-era session acts as its caller is now, not as it was when the
// session opened: a user removed from the account an integration is
// restricted to no longer sees or runs its tools there.
func TestMCP_SessionFollowsTheUsersAccounts(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		vic := "vic"
		u, _, err := e.svc.FindOrCreateUser(ctx, e.app.ID, portico.UserInput{ExternalID: &vic, AccountIDs: []string{"vip"}, CreateAccounts: true})
		if err != nil {
			t.Fatal(err)
		}
		e.putIntegration("vault", `{"name":"Vault","base_url":"`+e.up.URL+`","account_ids":["vip"],
			"auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],"inject":{"header":"Authorization","format":"Bearer {api_key}"}},
			"actions":[{"name":"read","method":"GET","path":"/secrets"}]}`)
		e.connect(vic, "vault", "vic-vault-key-0001")
		_, tok := e.session(vic, portico.SessionSettings{})
		cs := e.dial(clientOpts{version: "2025-11-25", headers: bearer(tok)})
		listed := func() bool {
			res, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, tool := range res.Tools {
				if tool.Name == "vault_read" {
					return true
				}
			}
			return false
		}
		if !listed() {
			t.Fatal("vault_read is not listed for a member")
		}
		if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "vault_read"}); err != nil || res.IsError {
			t.Fatalf("a member's call: %v %s", err, textOf(res))
		}
		none := []string{}
		if _, err := e.svc.UpdateUser(ctx, e.app.ID, u.ID, portico.UserUpdate{AccountIDs: &none}); err != nil {
			t.Fatal(err)
		}
		n := len(e.up.requests())
		if listed() {
			t.Error("vault_read is still listed after the user left the account")
		}
		if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "vault_read"}); err == nil && !res.IsError {
			t.Errorf("the session still runs vault_read: %s", textOf(res))
		}
		if len(e.up.requests()) != n {
			t.Error("a call after the user left the account reached the upstream")
		}
	})
}
