package jsonlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// both writes r with this handler and with slog's JSONHandler.
func both(t testing.TB, r slog.Record) (got, want string) {
	var a, b bytes.Buffer
	if err := New(&a, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if err := slog.NewJSONHandler(&b, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return a.String(), b.String()
}

func record(t time.Time, level slog.Level, msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(t, level, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

// Every record, written fast or left to JSONHandler, is the line
// JSONHandler writes.
func TestHandler_WritesWhatJSONHandlerWrites(t *testing.T) {
	at := time.Date(2026, 12, 4, 16, 13, 25, 660262087, time.UTC)
	for _, r := range []slog.Record{
		record(at, slog.LevelInfo, "request", slog.String("request_id", "req_nffvt3qnrsdthwcxobdvddulyq"), slog.String("method", "GET"),
			slog.String("route", "GET /readyz"), slog.Int("status", 200), slog.Float64("duration_ms", 0.37), slog.Int("bytes", 19), slog.String("app_id", "")),
		record(time.Time{}, slog.LevelWarn+2, "no time", slog.Bool("ok", false), slog.Uint64("big", math.MaxUint64), slog.Int64("neg", math.MinInt64)),
		record(at.In(time.FixedZone("X", 5*3600+1800)), slog.LevelDebug, "zone"),
		record(at, slog.LevelError, "esc \"\\\n\r\t\x00\x1f\x7f <>& \u2028\u2029 \xff é", slog.String("k\"\n", "v\u2028\xfe")),
		record(at, slog.LevelInfo, "floats", slog.Float64("a", 0), slog.Float64("b", 1e-7), slog.Float64("c", 1e21), slog.Float64("d", -123.456),
			slog.Float64("e", 1e20), slog.Float64("f", 5e-324), slog.Float64("g", math.MaxFloat64), slog.Float64("h", math.Copysign(0, -1))),
		// Left to JSONHandler:
		record(at, slog.LevelInfo, "nan", slog.Float64("x", math.NaN()), slog.Float64("y", math.Inf(1))),
		record(at, slog.LevelInfo, "kinds", slog.Duration("d", time.Second), slog.Time("t", at), slog.Any("err", errors.New("boom")),
			slog.Group("g", slog.Int("n", 1)), slog.Any("m", map[string]int{"a": 1})),
		record(at, slog.LevelInfo, "empty key", slog.String("", "v"), slog.Any("", nil)),
		record(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "year"),
	} {
		if got, want := both(t, r); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// A logger made With attributes or a group, and a record below the level,
// behave as JSONHandler's; lines from both paths never interleave.
func TestHandler_DerivedLoggersAndLevels(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(New(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	log.Info("hidden")
	if buf.Len() != 0 {
		t.Fatalf("an info line passed the warn level: %s", buf.String())
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := log
			if i%2 == 1 {
				l = log.With("component", "x").WithGroup("g")
			}
			for range 200 {
				l.Warn("line", "i", i)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["msg"] != "line" {
			t.Fatalf("line %q: %v", l, err)
		}
	}
}

func FuzzHandler_SameAsJSONHandler(f *testing.F) {
	f.Add("request", "k", "v\n\"é\xff", int64(-3), 0.37, true, int64(1733328805660262087))
	f.Add("", "\u2028", "", int64(0), 1e-7, false, int64(0))
	f.Fuzz(func(t *testing.T, msg, key, val string, n int64, x float64, b bool, ns int64) {
		r := record(time.Unix(0, ns).UTC(), slog.Level(n%12), msg, slog.String(key, val), slog.Int64(key+"n", n), slog.Float64("x", x), slog.Bool("b", b))
		if got, want := both(t, r); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

func BenchmarkRequestLine(b *testing.B) {
	at := time.Now()
	r := record(at, slog.LevelInfo, "request", slog.String("request_id", "req_nffvt3qnrsdthwcxobdvddulyq"), slog.String("method", "GET"),
		slog.String("route", "GET /v1/me"), slog.Int("status", 200), slog.Float64("duration_ms", 0.37), slog.Int("bytes", 419), slog.String("app_id", "app_nffvt3qnrsdthwcxobdvddulyq"))
	for name, h := range map[string]slog.Handler{"jsonlog": New(discard{}, nil), "slog": slog.NewJSONHandler(discard{}, nil)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = h.Handle(context.Background(), r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
