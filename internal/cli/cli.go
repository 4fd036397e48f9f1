// Package cli implements the portico command: a dispatch table of
// subcommands, each with its own flags. Every flag can also be set from the
// environment as PORTICO_<FLAG_IN_UPPER_SNAKE>, or read from a file named by
// PORTICO_<FLAG>_FILE; flags win over the environment, the environment over
// defaults.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command runs with.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, env *Env, args []string) error) {
	commands[name] = command{summary, run}
}

// errUsage marks an error whose message is the usage already printed.
var errUsage = errors.New("usage")

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, &Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

// RunEnv is Run with an explicit environment (tests).
func RunEnv(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name, rest := args[0], args[1:]
	// Two-word commands: "app create", "key list" …
	if len(rest) > 0 {
		if _, ok := commands[name+" "+rest[0]]; ok {
			name, rest = name+" "+rest[0], rest[1:]
		}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "portico: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		usage(env.Stderr)
		return 2
	}
	if err := cmd.run(ctx, env, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if !errors.Is(err, errUsage) {
			fmt.Fprintf(env.Stderr, "portico %s: %v\n", name, err)
		}
		return exitCode(err)
	}
	return 0
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Portico: a self-hosted end-user session hub.\n\nUsage: portico <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery flag can be set as PORTICO_<FLAG> (e.g. PORTICO_DATABASE_URL), or from a file\nas PORTICO_<FLAG>_FILE. Run 'portico <command> -h' for its flags.")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: portico %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse applies the environment to fs, then the arguments, which win. It
// refuses positional arguments.
func parse(fs *flag.FlagSet, env *Env, args []string) error {
	rest, err := parsePositional(fs, env, args)
	if err == nil && len(rest) > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", rest[0])
		fs.Usage()
		return errUsage
	}
	return err
}

// parsePositional is parse for commands that take positional arguments,
// which may stand before, between or after the flags.
func parsePositional(fs *flag.FlagSet, env *Env, args []string) ([]string, error) {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := "PORTICO_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := env.Getenv(name), env.Getenv(name) != ""
		if file := env.Getenv(name + "_FILE"); file != "" && !ok {
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
				return
			}
			v, ok = strings.TrimRight(string(b), "\r\n"), true
		}
		if ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
