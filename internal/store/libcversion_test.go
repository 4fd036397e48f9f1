package store

import (
	"os/exec"
	"strings"
	"testing"
)

// The SQLite lookup connections (sqlitelookup.go) call modernc.org/libc
// directly, beside the driver. The driver is built and tested against one
// libc version; a go.mod that resolves another one (an upgrade of either
// module alone) would run the C library on a runtime it was not generated
// for. This fails until both move together.
func TestLibcIsTheVersionTheDriverRequires(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to read the module graph with")
	}
	list := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(goTool, args...).Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	sqlite := list("list", "-m", "-f", "{{.Path}}@{{.Version}}", "modernc.org/sqlite")
	libc := list("list", "-m", "-f", "{{.Version}}", "modernc.org/libc")
	var required string
	for _, line := range strings.Split(list("mod", "graph"), "\n") {
		from, to, ok := strings.Cut(line, " ")
		if ok && from == sqlite && strings.HasPrefix(to, "modernc.org/libc@") {
			required = strings.TrimPrefix(to, "modernc.org/libc@")
		}
	}
	if required == "" {
		t.Fatalf("the module graph shows no libc requirement of %s", sqlite)
	}
	if libc != required {
		t.Fatalf("go.mod selects modernc.org/libc %s, but %s requires %s: move them together", libc, sqlite, required)
	}
}
