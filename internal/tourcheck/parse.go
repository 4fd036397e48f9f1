package main

import (
	"fmt"
	"strings"
)

// A step is one "$ " command of a console block and the output the README
// shows under it.
type step struct {
	line     int      // 1-based line of the "$ " in the README
	command  string   // the command, continuation lines included, without "$ "
	expected []string // the lines shown under it
	endLine  int      // 1-based line after the last expected line (exclusive)
}

// parse returns the steps of every ```console block of a Markdown text, in
// order. A command goes on over the following lines while it ends in a
// backslash, has an open quote, or has a here-document whose delimiter has
// not been seen yet.
func parse(text string) ([]step, error) {
	lines := strings.Split(text, "\n")
	var steps []step
	inConsole := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !inConsole {
			if strings.HasPrefix(l, "```console") {
				inConsole = true
			}
			continue
		}
		if strings.HasPrefix(l, "```") {
			inConsole = false
			continue
		}
		if !strings.HasPrefix(l, "$ ") {
			if len(steps) == 0 || steps[len(steps)-1].endLine != i+1 {
				return nil, fmt.Errorf("line %d: console block output without a command before it", i+1)
			}
			steps[len(steps)-1].expected = append(steps[len(steps)-1].expected, l)
			steps[len(steps)-1].endLine = i + 2
			continue
		}
		s := step{line: i + 1}
		cmd := []string{strings.TrimPrefix(l, "$ ")}
		var sc shellScan
		sc.feed(cmd[0])
		for sc.continues() {
			i++
			if i >= len(lines) || strings.HasPrefix(lines[i], "```") {
				return nil, fmt.Errorf("line %d: the command does not end before its block does", s.line)
			}
			cmd = append(cmd, lines[i])
			sc.feed(lines[i])
		}
		s.command = strings.Join(cmd, "\n")
		s.endLine = i + 2
		steps = append(steps, s)
	}
	if inConsole {
		return nil, fmt.Errorf("a console block is not closed")
	}
	return steps, nil
}

// shellScan follows the quoting of shell text line by line, far enough to
// tell whether a command continues on the next line.
type shellScan struct {
	single, double bool
	backslash      bool     // the last line ended in an unquoted backslash
	heredocs       []string // delimiters still to be seen
	inHeredoc      bool
}

func (s *shellScan) continues() bool {
	return s.single || s.double || s.backslash || len(s.heredocs) > 0
}

func (s *shellScan) feed(line string) {
	if s.inHeredoc {
		if strings.TrimLeft(line, "\t") == s.heredocs[0] {
			s.heredocs = s.heredocs[1:]
			s.inHeredoc = len(s.heredocs) > 0
		}
		return
	}
	s.backslash = false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case s.single:
			if c == '\'' {
				s.single = false
			}
		case c == '\\':
			if i == len(line)-1 {
				s.backslash = true
			}
			i++
		case s.double:
			if c == '"' {
				s.double = false
			}
		case c == '\'':
			s.single = true
		case c == '"':
			s.double = true
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			i = len(line)
		case c == '<' && strings.HasPrefix(line[i:], "<<") && !strings.HasPrefix(line[i:], "<<<"):
			j := i + 2
			if j < len(line) && line[j] == '-' {
				j++
			}
			for j < len(line) && line[j] == ' ' {
				j++
			}
			k := j
			for k < len(line) && !strings.ContainsRune(" \t;&|>", rune(line[k])) {
				k++
			}
			if word := strings.Trim(line[j:k], `'"`); word != "" {
				s.heredocs = append(s.heredocs, word)
			}
			i = k - 1
		}
	}
	s.inHeredoc = len(s.heredocs) > 0 && !s.single && !s.double
}
