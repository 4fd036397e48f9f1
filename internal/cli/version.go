package cli

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// Version overrides the module version of the build information, for
// release builds made outside the module system:
// -ldflags "-X github.com/porticohq/portico/internal/cli.Version=v1.2.3".
var Version = ""

// buildVersion is what `portico version` reports, from the build
// information Go embeds in the binary.
type buildVersion struct {
	// Version is the module version: a tag, a pseudo-version, or "(devel)"
	// for a build from a checkout.
	Version string `json:"version"`
	// Revision, Time and Modified describe the checkout a binary was
	// built from (absent from `go run` and test binaries, and from a build
	// with -buildvcs=false: absent, not false, when nothing says).
	Revision string `json:"revision,omitempty"`
	Time     string `json:"revision_time,omitempty"`
	Modified *bool  `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// versionOf reads bi (nil when the binary has none).
func versionOf(bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: "(devel)"}
	if bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	v.Go = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			m := s.Value == "true"
			v.Modified = &m
		}
	}
	return v
}

// String is one line: "portico VERSION [REVISION [TIME]] [(modified)]",
// e.g. "portico (devel) 3eaef1a… 2026-12-04T10:11:12Z (modified)".
func (v buildVersion) String() string {
	parts := []string{"portico", v.Version}
	if v.Revision != "" {
		parts = append(parts, v.Revision)
	}
	if v.Time != "" {
		parts = append(parts, v.Time)
	}
	if v.Modified != nil && *v.Modified {
		parts = append(parts, "(modified)")
	}
	return strings.Join(parts, " ")
}

// currentVersion is the running binary's version.
func currentVersion() buildVersion {
	bi, _ := debug.ReadBuildInfo()
	v := versionOf(bi)
	if Version != "" {
		v.Version = Version
	}
	return v
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	var asJSON bool
	fs := newFlags(env, "version", "version [--json]")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	v := currentVersion()
	if asJSON {
		return printJSON(env.Stdout, v)
	}
	fmt.Fprintln(env.Stdout, v)
	return nil
}
