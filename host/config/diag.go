package config

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Severity says whether a Diagnostic stops the host (Error) or only advises
// the operator (Warning).
type Severity int

const (
	// Error means the configuration cannot be used as written.
	Error Severity = iota + 1
	// Warning means the configuration works but should be changed.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Diagnostic is one problem found in a configuration file. Summary names the
// object (host, plugin, site/device) and, where there is one, the attribute;
// Detail says what to do or what the attribute is for. Neither ever holds a
// source snippet or the value of a secret attribute, so a Diagnostic is safe
// to log.
type Diagnostic struct {
	Severity Severity
	// File is the config file's path as given to Load or Parse.
	File string
	// Line and Column are 1-based; both are 0 when the problem concerns the
	// whole file (it could not be read).
	Line, Column int
	// Attribute is the attribute concerned, empty for block-level problems.
	Attribute string
	Summary   string
	Detail    string
}

// String formats d as one line:
// `config.hcl:12:5: error: device "hq/reception": missing required attribute "passcode" (grandstream: the phone's admin password)`.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
	}
	fmt.Fprintf(&b, ": %s: %s", d.Severity, d.Summary)
	if d.Detail != "" {
		fmt.Fprintf(&b, " (%s)", d.Detail)
	}
	return b.String()
}

// Diagnostics is every problem found by Load, Parse or Config.Resolve,
// sorted by file, line and column. A nil Diagnostics means no problems.
// It implements error, but return it as one only when HasErrors is true.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic has severity Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Error joins the error lines (warnings are left out unless there is no
// error at all), one per line, in file order.
func (ds Diagnostics) Error() string {
	errorsOnly := ds.HasErrors()
	var lines []string
	for _, d := range ds.sorted() {
		if errorsOnly && d.Severity != Error {
			continue
		}
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// Format writes every diagnostic to w, one line each, sorted by file, line
// and column. Write errors are ignored: w is meant to be a terminal or log.
func (ds Diagnostics) Format(w io.Writer) {
	for _, d := range ds.sorted() {
		_, _ = io.WriteString(w, d.String()+"\n")
	}
}

// sorted returns a copy of ds ordered by file, line and column; diagnostics
// at the same place keep their order.
func (ds Diagnostics) sorted() Diagnostics {
	out := append(Diagnostics(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}

// sink collects the diagnostics of one Parse or Resolve run.
type sink struct {
	file  string
	diags Diagnostics
}

func (s *sink) add(sev Severity, rng hcl.Range, attr, summary, detail string) {
	file := rng.Filename
	if file == "" {
		file = s.file
	}
	s.diags = append(s.diags, Diagnostic{
		Severity:  sev,
		File:      file,
		Line:      rng.Start.Line,
		Column:    rng.Start.Column,
		Attribute: attr,
		Summary:   summary,
		Detail:    detail,
	})
}

func (s *sink) errorf(rng hcl.Range, attr, detail, format string, args ...any) {
	s.add(Error, rng, attr, fmt.Sprintf(format, args...), detail)
}

func (s *sink) warnf(rng hcl.Range, attr, detail, format string, args ...any) {
	s.add(Warning, rng, attr, fmt.Sprintf(format, args...), detail)
}

// result returns the collected diagnostics in file order.
func (s *sink) result() Diagnostics {
	if len(s.diags) == 0 {
		return nil
	}
	return s.diags.sorted()
}

// syntaxDetailUnsafe lists parser summaries whose detail quotes characters
// of the source (which may sit inside a secret string literal).
var syntaxDetailUnsafe = map[string]bool{
	"Invalid escape sequence":          true,
	"Invalid template control keyword": true,
}

// addSyntax records the parser's diagnostics.
func (s *sink) addSyntax(diags hcl.Diagnostics) {
	for _, d := range diags {
		sev := Error
		if d.Severity == hcl.DiagWarning {
			sev = Warning
		}
		rng := hcl.Range{Filename: s.file}
		if d.Subject != nil {
			rng = *d.Subject
		}
		detail := d.Detail
		if syntaxDetailUnsafe[d.Summary] {
			detail = ""
		}
		if detail == "" {
			detail = "fix the syntax at this position"
		}
		s.add(sev, rng, "", "syntax error: "+lowerFirst(d.Summary), lowerFirst(strings.TrimSuffix(detail, ".")))
	}
}

// lowerFirst lower-cases the first letter of an HCL summary so it reads as
// part of our own message.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	if len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z' { // an acronym such as "UTF-8"
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}

// suggest returns the valid name nearest to name, or "" when none is close
// enough to be a likely typo.
func suggest(name string, valid []string) string {
	best, bestDist := "", -1
	for _, v := range valid {
		d := editDistance(strings.ToLower(name), strings.ToLower(v))
		if bestDist < 0 || d < bestDist {
			best, bestDist = v, d
		}
	}
	limit := max(2, len(name)/3)
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// unknownHint tells the operator what to write instead of an unknown name.
func unknownHint(name string, valid []string, what string) string {
	if s := suggest(name, valid); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(valid) == 0 {
		return fmt.Sprintf("no %ss are allowed here; remove it", what)
	}
	return fmt.Sprintf("valid %ss: %s", what, strings.Join(valid, ", "))
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
