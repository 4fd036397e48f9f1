package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tenantTable matches a statement that reads, updates or deletes rows of a
// table holding one app's data (every table with an app_id column).
var tenantTable = regexp.MustCompile(`(?i)\b(?:FROM|UPDATE|JOIN)\s+(api_keys|users|accounts|account_members|sessions|session_counts|configuration_codes|integrations|connections|oauth_states|webhook_events|activity|approvals)\b`)

// scoped matches a condition that keys the statement by the app: app_id
// equal to a bound value (a placeholder). A join on app_id alone does not
// key it: that is how a distributed PostgreSQL (Citus, distributed by
// app_id; docs/scaling.md) routes a statement to the one node holding the
// app's rows.
var scoped = regexp.MustCompile(`\bapp_id\s*=\s*(\?|\$[0-9])`)

// unscoped lists, by function, the statements on tenant tables that carry
// no app_id, each for a reason:
//   - deployment-wide by design: token and key lookups by hash (the hash
//     names the app; docs/scaling.md says how a token could carry its app
//     for a distributed PostgreSQL to route them), the webhook outbox's claim, lease and prune, the
//     refresh pass, the re-sealing of secrets (the purges of ended rows go through purgeBatch,
//     whose table is an argument, so this test does not see them: deployment-wide too);
//   - statements whose WHERE is assembled from a list that starts with
//     app_id (the text the test sees holds only the list's placeholder).
var unscoped = map[string]string{
	"meQueryFor":         "the token lookup: the hash (unique over all apps) is the key; the row names the app",
	"returningSession":   "columns of statements keyed by app_id, joined on it",
	"returningSessionAs": "columns of statements keyed by app_id, joined on it",
	"apiKeyQueryFor":     "the key lookup: the key's hash is the lookup; the row names the app",
	"configCodeQuery":    "the link lookup (to open a link, or check one): the code's hash is the lookup; the row names the app",
	"UseOAuthState":      "says whose state a foreign hash is, after the scoped update failed",
	"ListRefreshDue":     "deployment-wide refresh pass",
	"ClaimEvents":        "deployment-wide outbox claim",
	"FinishEvent":        "the claim's lease names the event",
	"PruneEvents":        "deployment-wide prune of delivered events",
	"PurgeSessions":      "deployment-wide purge of ended sessions",
	"ListSealed":         "deployment-wide re-sealing of secrets",
	"ListActivity":       "WHERE assembled from a list that starts with app_id",
	"ListActiveSessions": "WHERE assembled from a list that starts with app_id",
	"ListConnections":    "WHERE assembled from a list that starts with app_id",
	"ListUsers":          "WHERE assembled from a list that starts with app_id",
}

// TestEveryTenantStatementIsScopedByApp: every SQL statement in this
// package that reads, updates or deletes rows of a tenant table has a
// condition on app_id (one app never reaches another's rows), unless its
// function is in unscoped. A statement
// is a string literal or a concatenation of them; parts that are not
// literals count as unknown text.
func TestEveryTenantStatementIsScopedByApp(t *testing.T) {
	fset, files := packageFiles(t)
	used := map[string]bool{}
	checked := 0
	eachStatement(files, func(owner string, e ast.Expr, text string) {
		if !tenantTable.MatchString(text) || strings.HasPrefix(strings.TrimSpace(strings.ToUpper(text)), "INSERT") {
			return
		}
		checked++
		if scoped.MatchString(text) {
			return
		}
		if _, ok := unscoped[owner]; ok {
			used[owner] = true
			return
		}
		t.Errorf("%s: %s: a statement on a tenant table without app_id:\n%s", fset.Position(e.Pos()), owner, text)
	})
	if checked < 50 {
		t.Fatalf("checked only %d statements; the scan misses the package's SQL", checked)
	}
	reportStale(t, "unscoped", unscoped, used)
}

// reportStale fails the test for each function of an exception list that
// used lacks: a list keeps only what it still excuses.
func reportStale(t *testing.T, name string, exceptions map[string]string, used map[string]bool) {
	t.Helper()
	var stale []string
	for owner := range exceptions {
		if !used[owner] {
			stale = append(stale, owner)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("%s lists functions it no longer excuses (remove them): %v", name, stale)
	}
}

// packageFiles parses the package's Go files, tests aside.
func packageFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// eachStatement calls fn with every statement of files (see statement),
// outermost first, and the name of the function it is in ("package level"
// outside one).
func eachStatement(files []*ast.File, fn func(owner string, e ast.Expr, text string)) {
	consts := packageStrings(files)
	for _, f := range files {
		for _, decl := range f.Decls {
			owner := "package level"
			if d, ok := decl.(*ast.FuncDecl); ok {
				owner = d.Name.Name
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				e, ok := n.(ast.Expr)
				if !ok {
					return true
				}
				text, ok := statement(e, consts)
				if !ok {
					return true
				}
				fn(owner, e, text)
				return false
			})
		}
	}
}

// packageStrings returns the package's string constants and variables
// initialised with a literal (or a + chain of them).
func packageStrings(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				for i, name := range v.Names {
					if i < len(v.Values) {
						if s, ok := statement(v.Values[i], out); ok {
							out[name.Name] = s
						}
					}
				}
			}
		}
	}
	return out
}

// statement returns the text of a string literal or of a + chain holding
// at least one, package constants standing for their text and other
// operands for "…".
func statement(e ast.Expr, consts map[string]string) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, lok := statement(e.X, consts)
		r, rok := statement(e.Y, consts)
		if !lok && !rok {
			return "", false
		}
		if !lok {
			l = "…"
		}
		if !rok {
			r = "…"
		}
		return l + r, true
	case *ast.ParenExpr:
		return statement(e.X, consts)
	case *ast.Ident:
		s, ok := consts[e.Name]
		return s, ok
	}
	return "", false
}
