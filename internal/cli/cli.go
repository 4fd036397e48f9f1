// Package cli implements the portico command: a dispatch table of
// subcommands, each with its own flags. Every flag can also be set from the
// environment as PORTICO_<FLAG_IN_UPPER_SNAKE>, or read from a file named by
// PORTICO_<FLAG>_FILE; flags win over the environment, the environment over
// defaults. Two exceptions: secrets that must not show in ps (the
// encryption key) come from the environment only, and confirmations of
// destructive commands (--yes) from the command line only.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// command is one command of portico: its name, its one-line summary and
// what runs it.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the dispatch table: every command of portico. The commands of
// a group (app, key, encryption) are named by two words, and the group's
// name alone lists them. It is a function because the commands' help reads
// the table: as a variable, it would refer to itself through them, an
// initialization cycle.
func commands() []command {
	return []command{
		{"serve", "run the server", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"app create", "create an app and its first API key", runAppCreate},
		{"app list", "list apps", runAppList},
		{"app rename", "rename an app", runAppRename},
		{"app delete", "erase an app and everything it holds (needs --yes)", runAppDelete},
		{"key create", "create an API key for an app", runKeyCreate},
		{"key list", "list an app's API keys (never their secrets)", runKeyList},
		{"key revoke", "revoke an API key: portico key revoke [--app APP_ID] KEY_ID", runKeyRevoke},
		{"encryption rotate", "re-encrypt every stored secret with the first of the configured keys", runEncryptionRotate},
		{"health", "check that a running server is ready (GET /readyz); exit 0 when it is", runHealth},
		{"version", "print the version and the source revision it was built from", runVersion},
	}
}

// findCommand returns the command called name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Env is what a command runs with.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// LookupEnv, when set, tells a variable set to "" from one unset.
	LookupEnv func(string) (string, bool)
}

// errUsage marks an error whose message is the usage already printed.
var errUsage = errors.New("usage")

// usageError is a misuse of a command (exit 2) with a message of its own.
type usageError string

func (e usageError) Error() string        { return string(e) }
func (e usageError) Is(target error) bool { return target == errUsage }

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, &Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, LookupEnv: os.LookupEnv})
}

// RunEnv is Run with an explicit environment (tests).
func RunEnv(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 || isHelp(args[0]) {
		if len(args) > 1 && args[0] == "help" {
			// "portico help key list" is "portico key list -h".
			return RunEnv(ctx, append(slices.Clone(args[1:]), "-h"), env)
		}
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name, rest := args[0], args[1:]
	// Two-word commands: "app create", "key list" …
	if len(rest) > 0 {
		if _, ok := findCommand(name + " " + rest[0]); ok {
			name, rest = name+" "+rest[0], rest[1:]
		}
	}
	cmd, ok := findCommand(name)
	if !ok && isGroup(name) {
		// "portico app", "portico app -h": the group's commands.
		switch {
		case len(rest) == 0:
			groupUsage(env.Stdout, name)
			return 2
		case isHelp(rest[0]):
			groupUsage(env.Stdout, name)
			return 0
		}
		fmt.Fprintf(env.Stderr, "portico: unknown command %q\n\n", name+" "+rest[0])
		groupUsage(env.Stderr, name)
		return 2
	}
	if !ok {
		fmt.Fprintf(env.Stderr, "portico: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		usage(env.Stderr)
		return 2
	}
	if err := cmd.run(ctx, env, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != errUsage {
			fmt.Fprintf(env.Stderr, "portico %s: %v\n", name, err)
		}
		return exitCode(err)
	}
	return 0
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// sortedCommands returns the commands, those of group (when not "") alone,
// sorted by name.
func sortedCommands(group string) []command {
	var cmds []command
	for _, c := range commands() {
		if group == "" || strings.HasPrefix(c.name, group+" ") {
			cmds = append(cmds, c)
		}
	}
	slices.SortFunc(cmds, func(a, b command) int { return strings.Compare(a.name, b.name) })
	return cmds
}

// isGroup reports whether name is the first word of two-word commands.
func isGroup(name string) bool { return len(sortedCommands(name)) > 0 }

func usage(w io.Writer) {
	fmt.Fprintln(w, "Portico: a self-hosted end-user session hub.\n\nUsage: portico <command> [flags]\n\nCommands:")
	for _, c := range sortedCommands("") {
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can be set as PORTICO_<FLAG> (e.g. PORTICO_DATABASE_URL), or from a file\nas PORTICO_<FLAG>_FILE. Run 'portico <command> -h' for its flags.")
}

func groupUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: portico %s <command> [flags]\n\nCommands:\n", group)
	for _, c := range sortedCommands(group) {
		fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'portico %s <command> -h' for the flags of one.\n", group)
}

// flagSet is a command's flags and what its help says.
type flagSet struct {
	*flag.FlagSet
	env *Env
	// synopsis follows "Usage: portico"; its lines after the first are
	// the command's longer description.
	synopsis string
	// envOnly are settings read from the environment alone.
	envOnly []envSetting
	// refused are flags that once existed and are refused now, with why.
	refused map[string]*refusedFlag
	// flagOnly are flags the environment does not set (a confirmation).
	flagOnly map[string]bool
	// fromEnv are the flags whose value came from the environment, with
	// the variable (or file) it came from.
	fromEnv map[string]string
}

// flagName matches a flag as messages name it.
var flagName = regexp.MustCompile(`--[a-z][a-z0-9-]*`)

// misuse is a usage error (exit 2) whose message names each flag by where
// its value came from: PORTICO_LOG_LEVEL, not --log-level, for a value the
// user set in the environment and never passed as a flag.
func (fs *flagSet) misuse(msg string) error {
	return usageError(flagName.ReplaceAllStringFunc(msg, func(f string) string {
		if from, ok := fs.fromEnv[f[2:]]; ok {
			return from
		}
		return f
	}))
}

// envSetting is a setting that has no flag: PORTICO_<Name> or
// PORTICO_<Name>_FILE.
type envSetting struct{ name, usage string }

// refusedFlag takes a refused flag's value without echoing it, so that
// the refusal can name the flag alone.
type refusedFlag struct {
	used bool
	why  string
}

func (r *refusedFlag) String() string     { return "" }
func (r *refusedFlag) Set(_ string) error { r.used = true; return nil }

// fileFlags are the flags whose value may be a secret (a database URL
// holds a password): their help names the _FILE variable too.
var fileFlags = map[string]bool{"database-url": true}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *Env, name, synopsis string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: env, synopsis: synopsis,
		refused: map[string]*refusedFlag{}, flagOnly: map[string]bool{}, fromEnv: map[string]string{}}
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fs.printUsage(env.Stderr) }
	return fs
}

// envVar is the environment variable of a flag or setting.
func envVar(name string) string {
	return "PORTICO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// secretFromEnv declares a setting read only from the environment and
// refuses its old flag, whose value would show in ps and in the shell's
// history.
func (fs *flagSet) secretFromEnv(name, usage string) {
	fs.envOnly = append(fs.envOnly, envSetting{name, usage})
	r := &refusedFlag{why: fmt.Sprintf("--%s is not accepted: a flag's value shows in ps and in the shell's history; set %s, or %s_FILE to a file that holds it",
		name, envVar(name), envVar(name))}
	fs.refused[name] = r
	fs.Var(r, name, "")
}

// confirm declares a flag that confirms a destructive command: only the
// command line can give it, never a variable left in the environment.
func (fs *flagSet) confirm(p *bool, name, usage string) {
	fs.BoolVar(p, name, false, usage)
	fs.flagOnly[name] = true
}

// lookup returns an environment-only setting: PORTICO_<NAME>, else the
// content of the file PORTICO_<NAME>_FILE names.
func (fs *flagSet) lookup(name string) (string, error) {
	// Set but empty is a mistake (a secret a deployment did not pass
	// through), as an empty file is below.
	if fs.env.LookupEnv != nil {
		if s, ok := fs.env.LookupEnv(envVar(name)); ok && s == "" {
			return "", usageError(fmt.Sprintf("%s is set but empty: give it its value, or unset it", envVar(name)))
		}
	}
	v, _, err := lookupEnv(fs.env, envVar(name))
	if err != nil {
		return "", usageError(err.Error())
	}
	return v, nil
}

// lookupEnv reads variable v, else the file that v_FILE names (its
// trailing newline dropped).
func lookupEnv(env *Env, v string) (string, bool, error) {
	if s := env.Getenv(v); s != "" {
		return s, true, nil
	}
	file := env.Getenv(v + "_FILE")
	if file == "" {
		return "", false, nil
	}
	b, err := readSettingFile(file)
	if err != nil {
		return "", false, fmt.Errorf("%s_FILE: %w", v, err)
	}
	value := strings.TrimRight(string(b), "\r\n")
	if value == "" {
		// Set but empty is a mistake (a secret not mounted yet), never a
		// request for the default: a default encryption key would be made
		// beside the store it was meant to live apart from.
		return "", false, fmt.Errorf("%s_FILE: %s is empty", v, file)
	}
	return value, true, nil
}

// maxSettingFile bounds a file a setting is read from: a key, a password,
// a URL. Far larger is a mistake (/dev/zero, a log file).
const maxSettingFile = 64 << 10

// readSettingFile reads a setting's file: a regular file of at most
// maxSettingFile bytes. It is opened without blocking, so that a FIFO
// nobody writes to is refused rather than waited on forever.
func readSettingFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSettingFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSettingFile {
		return nil, fmt.Errorf("%s is larger than %d KiB", name, maxSettingFile>>10)
	}
	return b, nil
}

// printUsage writes the command's help: its synopsis and summary, its
// flags with their environment variables, and its environment-only
// settings.
func (fs *flagSet) printUsage(w io.Writer) {
	first, more, _ := strings.Cut(fs.synopsis, "\n")
	fmt.Fprintf(w, "Usage: portico %s\n", first)
	if more = strings.Trim(more, "\n"); more != "" {
		fmt.Fprintf(w, "\n%s\n", more)
	} else if c, ok := findCommand(fs.Name()); ok {
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(c.summary[:1]), c.summary[1:])
	}
	listed := false
	fs.VisitAll(func(f *flag.Flag) {
		if fs.refused[f.Name] != nil {
			return
		}
		if !listed {
			fmt.Fprintln(w, "\nFlags, each also set by the environment variable shown:")
			listed = true
		}
		typ, text := flag.UnquoteUsage(f)
		if typ != "" {
			typ = " " + typ
		}
		vars := envVar(f.Name)
		if fileFlags[f.Name] {
			vars += " or " + envVar(f.Name) + "_FILE"
		}
		if fs.flagOnly[f.Name] {
			vars = "flag only, never from the environment"
		}
		fmt.Fprintf(w, "  --%s%s  (%s)\n        %s", f.Name, typ, vars, text)
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "0s" {
			if typ == " string" {
				d = strconv.Quote(d)
			}
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
	if len(fs.envOnly) > 0 {
		fmt.Fprintln(w, "\nEnvironment only (never a flag, whose value would show in ps):")
		for _, e := range fs.envOnly {
			fmt.Fprintf(w, "  %s or %s_FILE\n        %s\n", envVar(e.name), envVar(e.name), e.usage)
		}
	}
	if listed {
		fmt.Fprintln(w, "\nA flag wins over its variable. Any variable can instead name a file that holds\nthe value, as PORTICO_<FLAG>_FILE (for secrets; a trailing newline is ignored).")
	}
}

// parse is parsePositional for commands that take no positional
// arguments: the command line, then the environment for the flags it did
// not set.
func parse(fs *flagSet, args []string) error {
	rest, err := parsePositional(fs, args)
	if err == nil && len(rest) > 0 {
		return misuse(fs, fmt.Sprintf("unexpected argument %q", rest[0]))
	}
	return err
}

// wantOf says what a flag's value must be, for an environment variable
// that did not parse.
func wantOf(f *flag.Flag) string {
	switch typ, _ := flag.UnquoteUsage(f); typ {
	case "":
		return "true or false"
	case "duration":
		return "a duration such as 30s, 5m or 1h"
	case "int", "uint":
		return "a whole number"
	case "float":
		return "a number"
	default:
		return "a valid " + typ
	}
}

// misuse reports a wrong command line: what is wrong, then the usage.
func misuse(fs *flagSet, what string) error {
	fmt.Fprintln(fs.Output(), what)
	fs.Usage()
	return errUsage
}

// parsePositional is parse for commands that take positional arguments,
// which may stand before, between or after the flags. Help (-h) goes to
// standard output; misuse to standard error, with the usage.
func parsePositional(fs *flagSet, args []string) ([]string, error) {
	var positional []string
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage(fs.env.Stdout)
				return nil, err
			}
			usage()
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	// The environment fills in what the command line did not set: a flag
	// wins over its variable, even one that would not parse.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || fs.refused[f.Name] != nil || fs.flagOnly[f.Name] {
			return
		}
		name := envVar(f.Name)
		v, ok, err := lookupEnv(fs.env, name)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if ok {
			from := name
			if fs.env.Getenv(name) == "" {
				from = fmt.Sprintf("%s_FILE (%s)", name, fs.env.Getenv(name+"_FILE"))
			}
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s holds %q; want %s", from, v, wantOf(f)))
				return
			}
			fs.fromEnv[f.Name] = from
		}
	})
	if err := errors.Join(errs...); err != nil {
		// A variable no flag would accept is the same misuse as the flag
		// (exit 2).
		return nil, usageError(err.Error())
	}
	for _, name := range slices.Sorted(maps.Keys(fs.refused)) {
		if r := fs.refused[name]; r.used {
			return nil, usageError(r.why)
		}
	}
	return positional, nil
}
