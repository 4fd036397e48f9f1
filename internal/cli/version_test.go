package cli

import (
	"encoding/json"
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	const rev = "3eaef1a4c0de5f6a7b8c9d0e1f2a3b4c5d6e7f80"
	for _, tc := range []struct {
		name     string
		bi       *debug.BuildInfo
		line     string
		jsonForm string
	}{
		{"a checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "-buildmode", Value: "exe"}, {Key: "vcs", Value: "git"},
				{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-04T10:11:12Z"}, {Key: "vcs.modified", Value: "true"}}},
			"portico (devel) " + rev + " 2026-12-04T10:11:12Z (modified)",
			`{"version":"(devel)","revision":"` + rev + `","revision_time":"2026-12-04T10:11:12Z","modified":true,"go":"go1.26.1"}`},
		{"a clean tagged build", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-04T10:11:12Z"}, {Key: "vcs.modified", Value: "false"}}},
			"portico v1.4.0 " + rev + " 2026-12-04T10:11:12Z",
			`{"version":"v1.4.0","revision":"` + rev + `","revision_time":"2026-12-04T10:11:12Z","modified":false,"go":"go1.26.1"}`},
		{"go install of a module version", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.4.0"}},
			"portico v1.4.0", `{"version":"v1.4.0","go":"go1.26.1"}`},
		{"no build information", nil, "portico (devel)", `{"version":"(devel)","go":""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := versionOf(tc.bi)
			if got := v.String(); got != tc.line {
				t.Errorf("line %q, want %q", got, tc.line)
			}
			b, err := json.Marshal(v)
			if err != nil || string(b) != tc.jsonForm {
				t.Errorf("JSON %s (%v), want %s", b, err, tc.jsonForm)
			}
		})
	}
}

func TestVersion_LinkerOverride(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.9.9"
	if v := currentVersion(); v.Version != "v9.9.9" {
		t.Fatalf("version %q, want the -X value", v.Version)
	}
}
