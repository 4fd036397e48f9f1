package webhook_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/webhook"
)

// The signature checks docs/webhooks.md gives for Python and Node.js
// accept a delivery Portico signed, and refuse a forged, stale or
// malformed header by answering false, not by raising: a receiver that
// copies them answers a bad header with its refusal, not with a 500.
func TestWebhookDocs_SignatureSnippets(t *testing.T) {
	doc, err := os.ReadFile("../../docs/webhooks.md")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_test"
	body := []byte(`{"id":"evt_1","type":"session.created","data":{"name":"Zoë"}}`)
	now := time.Now().Unix()
	good := webhook.Sign(secret, now, body)
	stale := webhook.Sign(secret, now-3600, body)
	ts := strconv.FormatInt(now, 10)
	headers := []struct {
		h  string
		ok bool
	}{
		{good, true},
		{stale, false},
		{"t=" + ts + ",v1=" + strings.Repeat("0", 64), false},
		{"t=" + ts + ",v1=" + strings.Repeat("zz", 32), false}, // 64 characters, not hex
		{"t=" + ts + ",v1=" + strings.Repeat("é", 32), false},  // not ASCII
		{"t=" + ts + ",v1=abc", false},
		{"t=" + ts, false},
		{"t=soon," + good[strings.Index(good, ",")+1:], false},
		{"", false},
		{"garbage", false},
		{"t=,v1=,,==", false},
	}
	for _, lang := range []struct{ name, fence, bin, call string }{
		{"python", "python", "python3", `
import sys, json
cases = json.load(sys.stdin)
out = []
for c in cases:
    try:
        out.append("true" if verify(c["secret"], c["header"], c["body"].encode()) else "false")
    except Exception as e:
        out.append("raised " + type(e).__name__)
print(" ".join(out))
`},
		{"node", "js", "node", `
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(cases.map((c) => {
  try { return verify(c.secret, c.header, Buffer.from(c.body)) ? "true" : "false"; }
  catch (e) { return "raised " + e.name; }
}).join(" "));
`},
	} {
		t.Run(lang.name, func(t *testing.T) {
			bin, err := exec.LookPath(lang.bin)
			if err != nil {
				t.Skipf("%s is not installed", lang.bin)
			}
			m := regexp.MustCompile("(?s)```" + lang.fence + "\n(.*?)```").FindSubmatch(doc)
			if m == nil {
				t.Fatalf("docs/webhooks.md has no %s block", lang.fence)
			}
			var in, want []string
			for _, c := range headers {
				in = append(in, `{"secret":`+strconv.Quote(secret)+`,"header":`+strconv.Quote(c.h)+`,"body":`+strconv.Quote(string(body))+`}`)
				want = append(want, strconv.FormatBool(c.ok))
			}
			cmd := exec.Command(bin, "-c", string(m[1])+lang.call)
			if lang.name == "node" {
				cmd = exec.Command(bin, "-e", string(m[1])+lang.call)
			}
			cmd.Stdin = strings.NewReader("[" + strings.Join(in, ",") + "]")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			got := strings.Fields(strings.ReplaceAll(string(out), "raised ", "raised_"))
			if len(got) != len(want) {
				t.Fatalf("answers %v, want %v", got, want)
			}
			for i, c := range headers {
				if got[i] != want[i] {
					t.Errorf("header %q: %s, want %s", c.h, got[i], want[i])
				}
			}
		})
	}
}
