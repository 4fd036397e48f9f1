package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func stepNames(st []step) string {
	var out []string
	for _, s := range st {
		if s.rounds > 1 {
			out = append(out, fmt.Sprintf("%s/%d", s.scenario, s.round))
		} else {
			out = append(out, s.scenario)
		}
	}
	return strings.Join(out, " ")
}

func TestSteps(t *testing.T) {
	cases := []struct {
		scenarios []string
		engine    string
		rounds    int
		want      string
	}{
		// me_1m follows me_1k wherever the list has them both.
		{[]string{"bare", "pgbench", "me_1k", "mcp_call", "me_1m"}, "sqlite", 1, "bare pgbench me_1k me_1m mcp_call"},
		{[]string{"bare", "pgbench", "me_1k", "perform", "mcp_call", "me_1m", "list"}, "sqlite", 2,
			"bare/1 me_1k/1 me_1m/1 perform/1 mcp_call/1 bare/2 me_1k/2 me_1m/2 perform/2 mcp_call/2 pgbench list"},
		{[]string{"bare", "pgbench", "me_1k", "perform", "mcp_call", "me_1m"}, "postgres", 3,
			"bare pgbench/1 me_1k/1 me_1m/1 perform/1 mcp_call/1 pgbench/2 me_1k/2 me_1m/2 perform/2 mcp_call/2 pgbench/3 me_1k/3 me_1m/3 perform/3 mcp_call/3"},
		// The baseline leads every round wherever the list has it.
		{[]string{"me_1k", "pgbench"}, "postgres", 2, "pgbench/1 me_1k/1 pgbench/2 me_1k/2"},
		{[]string{"me_1m", "bare", "me_1k"}, "sqlite", 2, "bare/1 me_1k/1 me_1m/1 bare/2 me_1k/2 me_1m/2"},
		// Nothing of the small store: nothing repeats, not even the baseline.
		{[]string{"bare", "me_1m"}, "sqlite", 3, "bare me_1m"},
		{[]string{"me_1m", "me_1m_hot", "list"}, "sqlite", 2, "me_1m me_1m_hot list"},
		// Without the baseline, the small store's scenarios repeat alone.
		{[]string{"perform", "mcp_call"}, "sqlite", 2, "perform/1 mcp_call/1 perform/2 mcp_call/2"},
	}
	for _, c := range cases {
		if got := stepNames(steps(c.scenarios, c.engine, c.rounds)); got != c.want {
			t.Errorf("steps(%v, %s, %d):\n got %s\nwant %s", c.scenarios, c.engine, c.rounds, got, c.want)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := append([]float64(nil), c.in...)
		if got := median(in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		if fmt.Sprint(in) != fmt.Sprint(c.in) {
			t.Errorf("median reordered its argument: %v", in)
		}
	}
}

// measured is a row of n requests over one second, with its p99.
func measured(engine, scenario string, n int64, p99 time.Duration, round, rounds int) *row {
	return &row{engine: engine, scenario: scenario, round: round, rounds: rounds, rssIdle: 1 << 20, rssPeak: 1 << 20,
		res: loadResult{requests: n, elapsed: time.Second, p50: p99 / 2, p99: p99}}
}

func TestEvaluate_RoundsJudgedByTheirMedian(t *testing.T) {
	ms := time.Millisecond
	rows := []*row{
		measured("-", "bare", 1000, 10*ms, 1, 3),
		measured("sqlite", "me_1k", 550, 12*ms, 1, 3), // 55 %
		measured("sqlite", "me_1m", 440, 14*ms, 1, 3), // −20 %
		measured("sqlite", "perform", 200, 50*ms, 1, 3),
		measured("sqlite", "mcp_call", 90, 90*ms, 1, 3), // 45 %
		measured("-", "bare", 500, 10*ms, 2, 3),
		measured("sqlite", "me_1k", 320, 20*ms, 2, 3), // 64 %, p99 2×
		measured("sqlite", "me_1m", 304, 14*ms, 2, 3), // −5 %
		measured("sqlite", "perform", 100, 50*ms, 2, 3),
		measured("sqlite", "mcp_call", 60, 90*ms, 2, 3), // 60 %
		measured("-", "bare", 1000, 10*ms, 3, 3),
		measured("sqlite", "me_1k", 610, 14*ms, 3, 3), // 61 %
		measured("sqlite", "me_1m", 561, 14*ms, 3, 3), // −8 %
		measured("sqlite", "perform", 200, 50*ms, 3, 3),
		measured("sqlite", "mcp_call", 104, 90*ms, 3, 3), // 52 %
		measured("sqlite", "me_1m_hot", 500, 14*ms, 0, 0),
		measured("sqlite", "me_members", 495, 14*ms, 0, 0),
	}
	evaluate(rows, &options{})
	for _, i := range []int{1, 6, 11} {
		r := rows[i]
		if !r.pass || !strings.Contains(r.target, "≥60% bare req/s (median 61% of 55%, 64%, 61%)") ||
			!strings.Contains(r.target, "p99 ≤1.5× bare (median 1.40× of 1.20×, 2.00×, 1.40×)") {
			t.Errorf("me_1k round %d: %s → %s", r.round, r.target, r.verdict)
		}
	}
	for _, i := range []int{4, 9, 14} {
		r := rows[i]
		if !r.pass || !strings.Contains(r.target, "(median 52% of 45%, 60%, 52%)") {
			t.Errorf("mcp_call round %d: %s → %s", r.round, r.target, r.verdict)
		}
	}
	// Each round's me_1m is compared with the me_1k just before it, not
	// with another round's.
	for _, i := range []int{2, 7, 12} {
		r := rows[i]
		if !r.pass || !strings.Contains(r.target, "within 10% of me_1k req/s (median -8.0% of -20.0%, -5.0%, -8.0%)") {
			t.Errorf("me_1m round %d: %s → %s", r.round, r.target, r.verdict)
		}
	}
	// Rows of the large store that run once use the round of median rate
	// (610/s is the highest; 550/s the median).
	if r := rows[15]; !strings.Contains(r.target, "req/s 91% of me_1k") {
		t.Errorf("me_1m_hot: %s", r.target)
	}
	if r := rows[16]; !r.pass || !strings.Contains(r.target, "reported: req/s 90% of me_1k") {
		t.Errorf("me_members: %s → %s", r.target, r.verdict)
	}
}

func TestEvaluate_OneRunAndMissingBaselines(t *testing.T) {
	ms := time.Millisecond
	rows := []*row{
		measured("sqlite", "perform", 200, 50*ms, 0, 0),
		measured("sqlite", "perform_nolog", 250, 50*ms, 0, 0), // the nearest, though after
		measured("sqlite", "me_1k", 600, 10*ms, 0, 0),
		measured("postgres", "me_1k", 500, 10*ms, 0, 0),
		measured("postgres", "mcp_call", 50, 10*ms, 0, 0),
	}
	evaluate(rows, &options{})
	if r := rows[0]; r.pass || !strings.Contains(r.verdict, "the activity log costs 20.0% of req/s") {
		t.Errorf("perform: %s → %s", r.target, r.verdict)
	}
	if r := rows[2]; r.pass || !strings.Contains(r.verdict, "no bare run to compare with") {
		t.Errorf("me_1k without bare: %s", r.verdict)
	}
	if r := rows[3]; r.pass || !strings.Contains(r.verdict, "no pgbench run to compare with") {
		t.Errorf("PostgreSQL me_1k without pgbench: %s", r.verdict)
	}
	// Another engine's perform is not a baseline.
	if r := rows[4]; r.pass || !strings.Contains(r.verdict, "no perform run to compare with") {
		t.Errorf("PostgreSQL mcp_call without perform: %s", r.verdict)
	}
}
