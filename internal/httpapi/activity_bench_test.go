//go:build unix

package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/httpapi"
	"github.com/porticohq/portico/internal/portico"
	"github.com/porticohq/portico/internal/secret"
	"github.com/porticohq/portico/internal/store/storetest"
	"github.com/porticohq/portico/internal/upstream"
)

// noActivity is a store that drops activity rows: the "off" side of the
// benchmark.
type noActivity struct{ portico.Store }

func (noActivity) RecordActivity(context.Context, *portico.Activity) error { return nil }

// BenchmarkPerform_ActivityLog: POST /v1/perform of an action against a
// loopback upstream, on SQLite, with the activity log off and
// on in the same run (bench/README.md has the figures). 8 clients per
// core.
func BenchmarkPerform_ActivityLog(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	b.Cleanup(up.Close)
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			db := storetest.Open(b, storetest.Engines(b)[0], time.Now)
			ring, err := secret.ParseKeys(secret.NewKey())
			if err != nil {
				b.Fatal(err)
			}
			proxy := upstream.NewProxy(true)
			var store portico.Store = db
			if mode == "off" {
				store = noActivity{db}
			}
			svc := portico.NewService(store, &portico.Service{Sealer: ring, Pages: portico.NewPageCodec(bytes.Repeat([]byte("k"), 32)), Now: time.Now,
				PublicURL: "http://portico.test", Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), AllowPrivateUpstreams: true, Upstream: proxy})
			srv := httptest.NewServer(httpapi.New(httpapi.Options{Service: svc, Logger: svc.Log, Now: time.Now}))
			b.Cleanup(srv.Close)
			ctx := context.Background()
			app, key, err := svc.CreateApp(ctx, "bench")
			if err != nil {
				b.Fatal(err)
			}
			st := app.Settings
			st.PerformRatePerUser, st.PerformBurstPerUser = portico.MaxPerformRate, portico.MaxPerformRate
			if _, _, err := svc.UpdateApp(ctx, app.ID, portico.AppPatch{Settings: &portico.SettingsPatch{
				PerformRatePerUser: &st.PerformRatePerUser, PerformBurstPerUser: &st.PerformBurstPerUser}}); err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			send := func(method, path, body string) int {
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return 0
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode
			}
			if c := send("PUT", "/v1/integrations/echo", `{"name":"Echo","base_url":"`+up.URL+`","auth":{"type":"api_key","fields":[{"name":"api_key","secret":true}],
				"inject":{"header":"Authorization","format":"Bearer {api_key}"}},"actions":[{"name":"get-item","method":"GET","path":"/items/{id}",
				"input_schema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}}]}`); c != 201 {
				b.Fatalf("put integration: %d", c)
			}
			if c := send("POST", "/v1/users", `{"external_id":"u-1"}`); c != 201 {
				b.Fatalf("create user: %d", c)
			}
			users, _ := svc.ListUsers(ctx, app.ID, portico.UserFilter{}, portico.PageRequest{})
			if c := send("PUT", "/v1/users/"+users.Data[0].ID+"/connections/echo", `{"credentials":{"api_key":"sk_bench"}}`); c != 201 {
				b.Fatalf("connect: %d", c)
			}
			body := `{"user":{"external_id":"u-1"},"integration":"echo","action":"get-item","input":{"id":"7"}}`
			b.SetParallelism(8)
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if c := send("POST", "/v1/perform", body); c != 200 {
						b.Errorf("perform: %d", c)
						return
					}
				}
			})
			if err := db.FlushActivity(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			// CPU time of the whole process (client, server, upstream,
			// writer) per call: what the log costs, less sensitive than
			// wall time to other work on the machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
