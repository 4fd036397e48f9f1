// Command tourcheck runs the README's tour as a reader would paste it, and
// checks that every command prints what the README shows under it.
//
// It takes the "$ " commands of the README's console blocks in order, runs
// them in one bash shell in a fresh directory with a freshly built portico
// on the PATH, and compares each command's output (standard output and
// error) with the lines the README shows, once ids, secrets, times and
// signatures are masked; "…" in the README stands for elided text. A
// command that exits non-zero fails too.
//
//	go run ./internal/tourcheck -bin build/portico   # with a binary built already
//	go run ./internal/tourcheck            # from the repository's root
//	go run ./internal/tourcheck -update    # write the real outputs of the failing steps into the README
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	readme := flag.String("readme", "README.md", "the Markdown file whose console blocks are run")
	update := flag.Bool("update", false, "replace the README's output of each failing step by the real one (ids and secrets shortened)")
	keep := flag.Bool("keep", false, "keep the directory the tour ran in, and say where it is")
	timeout := flag.Duration("timeout", 3*time.Minute, "how long the whole tour may take")
	prebuilt := flag.String("bin", "", "a portico binary to run the tour with (default: build one from this checkout)")
	flag.Parse()
	if err := run(*readme, *prebuilt, *update, *keep, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "tourcheck:", err)
		os.Exit(1)
	}
}

func run(readme, prebuilt string, update, keep bool, timeout time.Duration) error {
	raw, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	steps, err := parse(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if err := checkRunnable(steps); err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}

	dir, err := os.MkdirTemp("", "portico-tour-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("the tour runs in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, work, out := filepath.Join(dir, "bin"), filepath.Join(dir, "tour"), filepath.Join(dir, "out")
	for _, d := range []string{bin, work, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if prebuilt != "" {
		abs, err := filepath.Abs(prebuilt)
		if err != nil {
			return err
		}
		if err := os.Symlink(abs, filepath.Join(bin, "portico")); err != nil {
			return err
		}
	} else {
		build := exec.Command("go", "build", "-o", filepath.Join(bin, "portico"), "./cmd/portico")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building portico: %w", err)
		}
	}

	script := filepath.Join(dir, "tour.sh")
	if err := os.WriteFile(script, []byte(shellScript(steps, out)), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", script)
	sh.Dir = work
	sh.Env = tourEnv(bin)
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sh.Stdout, sh.Stderr = os.Stdout, os.Stderr
	// The tour stops what it starts; whatever a failed run left behind is
	// stopped with the shell's process group.
	sh.Cancel = func() error { return syscall.Kill(-sh.Process.Pid, syscall.SIGKILL) }
	runErr := sh.Run()
	if sh.Process != nil {
		syscall.Kill(-sh.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("the tour ran past %s", timeout)
	}
	if runErr != nil {
		return fmt.Errorf("the tour's shell: %w", runErr)
	}

	var failed []int
	actual := make([]string, len(steps))
	for i, s := range steps {
		b, err := os.ReadFile(filepath.Join(out, strconv.Itoa(i)))
		if err != nil {
			return fmt.Errorf("line %d: no output recorded: %w (did an earlier command stop the shell?)", s.line, err)
		}
		actual[i] = string(b)
		rc, _ := os.ReadFile(filepath.Join(out, strconv.Itoa(i)+".rc"))
		code := strings.TrimSpace(string(rc))
		ok := matches(s.expected, actual[i])
		if code != "0" {
			fmt.Printf("FAIL %s:%d exited %s: $ %s\n", readme, s.line, code, firstLine(s.command))
			ok = false
		} else if !ok {
			fmt.Printf("FAIL %s:%d: $ %s\n--- the README shows:\n%s\n--- the command printed:\n%s\n", readme, s.line,
				firstLine(s.command), strings.Join(trimLines(s.expected), "\n"), trimOutput(actual[i]))
		}
		if !ok {
			failed = append(failed, i)
		}
	}
	if update && len(failed) > 0 {
		if err := os.WriteFile(readme, []byte(rewrite(string(raw), steps, failed, actual)), 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote the real output of %d step(s) into %s\n", len(failed), readme)
	}
	fmt.Printf("tour: %d passed, %d failed\n", len(steps)-len(failed), len(failed))
	if len(failed) > 0 {
		return errors.New("the README's tour does not run as written")
	}
	return nil
}

// checkRunnable refuses commands a reader could not paste as they are.
func checkRunnable(steps []step) error {
	for _, s := range steps {
		if strings.Contains(s.command, "…") {
			return fmt.Errorf("line %d: the command holds a placeholder (…); use a variable set by an earlier step", s.line)
		}
	}
	if len(steps) == 0 {
		return errors.New("no console block with a $ command")
	}
	return nil
}

// shellScript runs each step in the same shell, its output into out/N and
// its exit status into out/N.rc. A brace group keeps exports and background
// jobs in the shell.
func shellScript(steps []step, out string) string {
	var b strings.Builder
	b.WriteString("# generated by tourcheck\n")
	for i, s := range steps {
		f := filepath.Join(out, strconv.Itoa(i))
		fmt.Fprintf(&b, "# README line %d\n{ %s\n} >%q 2>&1 </dev/null\necho $? >%q\n", s.line, s.command, f, f+".rc")
	}
	return b.String()
}

// tourEnv is the environment of a reader's shell: the built portico first on
// the PATH, and no PORTICO_ setting of the caller's.
func tourEnv(bin string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PORTICO_") || strings.HasPrefix(kv, "PATH=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func rewrite(text string, steps []step, failed []int, actual []string) string {
	lines := strings.Split(text, "\n")
	// From the last step up, so that earlier line numbers stay valid.
	for k := len(failed) - 1; k >= 0; k-- {
		s := steps[failed[k]]
		start := s.endLine - 1 - len(s.expected)
		repl := shortened(trimOutput(actual[failed[k]]))
		if len(repl) == 1 && repl[0] == "" {
			repl = nil
		}
		lines = append(lines[:start], append(repl, lines[s.endLine-1:]...)...)
	}
	return strings.Join(lines, "\n")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
