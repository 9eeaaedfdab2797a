// Package directory is a caller lookup read from a CSV file: the contacts a
// site's ringing calls and webhooks carry (screen pop), and what
// LookupContact answers, for any site, whatever its PBX.
//
// # The file
//
// A directory file is CSV as RFC 4180 defines it (encoding/csv, strict
// quoting), in UTF-8 (a leading byte order mark is skipped). The first row
// is the header; it names the columns, in any order and any case, with
// spaces around a name ignored:
//
//	name       the contact's display name (the column is required; a row
//	           whose name and company are both empty is skipped)
//	company    the company or organisation
//	number     one number; number2, number3 … (number followed by digits)
//	           are further number columns
//	numbers    several numbers separated by ";"
//	id         the entry's id in the source; by default the row number
//	           (the header is row 1, a row spanning lines counts once,
//	           blank lines are no rows): give ids that outlive edits
//
// Every number cell may hold several numbers separated by ";", at most 16
// numbers a row. Any other column is a field of the contact
// (Contact.fields, keyed by the column name in lower case): the first 32
// such columns are kept, any further one is ignored (a warning), a column
// with no name too. Empty values are left out. A name, company or field
// value is cut to 256 bytes (at a character boundary); an id longer than
// 256 bytes is an error, since a cut id would name another entry.
//
//	name,company,number,number2,email
//	Ada Lovelace,Analytical Engines,+44 20 7946 0000,(020) 7946-0001,ada@example.com
//	"Babbage, Charles",,+44 20 7946 0002,,
//
// A row may be shorter than the header (the missing cells are empty); a
// longer row is an error unless its extra cells are empty.
//
// # Numbers
//
// Numbers are matched in a normal form: the digits and a leading "+" are
// kept; spaces, dashes, dots, slashes and parentheses are dropped; in an
// international number, "(0)" (the trunk prefix that is not dialled from
// abroad, "+44 (0)20 …") is dropped with its parentheses. A number holding
// anything else (a letter, "#", an extension such as "x12"), none of
// digits, or more than 32 digits is ignored and counted as a warning: it
// can never match a caller's number.
//
// A lookup matches the normal form exactly. "+442079460000" does not find
// "02079460000", nor the other way round: turning one into the other means
// guessing the country (and trunk prefix) of the number or of the
// directory, and a wrong guess pops up a stranger's name on an agent's
// screen, which is worse than no name. Write the numbers as the PBX reports
// callers (or several forms of one number in its number cells).
//
// # Bounds
//
// A file may have at most 10 MiB (MaxSize), 200,000 rows after the header
// (MaxRows), 16 numbers a row and 256 columns a row. Beyond, and for
// malformed CSV (an unbalanced quote, a bare quote in an unquoted value),
// invalid UTF-8 or a bad header, loading fails with a *ParseError naming
// the file's line. Messages never quote the file's content beyond column
// names.
//
// A Directory is immutable once loaded and safe for concurrent use; a new
// version of the file is a new Directory.
package directory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// The bounds of a directory file and of its lookups.
const (
	// MaxSize is the largest file, in bytes.
	MaxSize = 10 << 20
	// MaxRows is the most rows after the header.
	MaxRows = 200_000
	// MaxNumbers is the most numbers of one row.
	MaxNumbers = 16
	// MaxFields is the most columns kept as Contact.fields.
	MaxFields = 32
	// MaxValue is the most bytes of a name, company, field value or id.
	MaxValue = 256
	// MaxColumns is the most cells of one row, header included.
	MaxColumns = 256
	// MaxColumnName is the most bytes of a column name.
	MaxColumnName = 64
	// MaxNumberDigits is the longest number in normal form (LookupContact's
	// bound on a number).
	MaxNumberDigits = 32
	// DefaultLimit is the lookups' limit when none is given; MaxLimit the
	// largest.
	DefaultLimit = 10
	MaxLimit     = 100
)

// SourcePrefix starts every Contact.source of a CSV directory: "csv:" and
// the directory's name.
const SourcePrefix = "csv:"

// ParseError is a problem with a directory file at one of its lines.
type ParseError struct {
	// Line is the 1-based line of the file (the header is line 1).
	Line int
	// Msg says what is wrong; it never holds the file's content beyond
	// column names.
	Msg string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Warnings are what loading a file skipped without failing.
type Warnings struct {
	// InvalidNumbers counts numbers ignored: not a phone number (letters,
	// other characters, no digits) or more than 32 digits.
	InvalidNumbers int
	// UnnamedRows counts rows skipped because their name and company are
	// both empty.
	UnnamedRows int
	// CutValues counts names, companies and field values cut to 256 bytes.
	CutValues int
	// IgnoredColumns are the columns beyond the 32 kept as fields, and
	// those without a name ("column N").
	IgnoredColumns []string
}

// Empty reports whether nothing was skipped.
func (w Warnings) Empty() bool {
	return w.InvalidNumbers == 0 && w.UnnamedRows == 0 && w.CutValues == 0 && len(w.IgnoredColumns) == 0
}

// String describes the warnings in one line, or "".
func (w Warnings) String() string {
	var parts []string
	if w.InvalidNumbers > 0 {
		parts = append(parts, plural(w.InvalidNumbers, "number is", "numbers are")+" ignored: not a phone number (letters or other characters) or longer than 32 digits")
	}
	if w.UnnamedRows > 0 {
		parts = append(parts, plural(w.UnnamedRows, "row is", "rows are")+" skipped: no name and no company")
	}
	if w.CutValues > 0 {
		parts = append(parts, plural(w.CutValues, "value is", "values are")+" cut to 256 bytes")
	}
	if n := len(w.IgnoredColumns); n > 0 {
		shown := w.IgnoredColumns[:min(n, 5)]
		more := ""
		if n > len(shown) {
			more = fmt.Sprintf(" and %d more", n-len(shown))
		}
		parts = append(parts, fmt.Sprintf("%s ignored (%s%s): at most %d columns besides name, company, numbers and id become fields, and a column needs a name",
			plural(n, "column is", "columns are"), strings.Join(shown, ", "), more, MaxFields))
	}
	return strings.Join(parts, "; ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Directory is a loaded directory file. It is immutable and safe for
// concurrent use.
type Directory struct {
	name, source string
	fieldKeys    []string // the field columns' names, in header order
	rows         []row
	// index maps a normal-form number to the first row holding it; more
	// holds every row, in file order, of the numbers several rows hold.
	index    map[string]int32
	more     map[string][]int32
	numbers  int // distinct normal-form numbers
	warnings Warnings
}

// row is one contact. Its strings share the memory of the file's records.
type row struct {
	id                      string // "" means the row number
	num                     int32  // the row number (the header is row 1)
	name, company           string
	nameLower, companyLower string
	numbers                 []string // as written, the valid ones
	fields                  []string // by fieldKeys; trailing empty cells dropped
}

// Parse reads a directory file from r (at most MaxSize bytes) and loads it
// as Load does.
func Parse(name string, r io.Reader) (*Directory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return Load(name, data)
}

// Load loads the directory file held in data (see the package doc for the
// format). name is the directory's name: contacts' source is "csv:" + name.
// An error is a *ParseError naming the line, except for an empty file.
func Load(name string, data []byte) (*Directory, error) {
	if len(data) > MaxSize {
		return nil, &ParseError{Line: 1 + bytes.Count(data[:MaxSize], []byte{'\n'}),
			Msg: fmt.Sprintf("the file reaches 10 MiB on this line; a directory file may have at most 10 MiB (%d bytes)", MaxSize)}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if err := checkShape(data); err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // short rows are padded, long ones checked below
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{Line: 1, Msg: "the file is empty; it needs a header row naming the columns, such as name,company,number"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	d := &Directory{name: name, source: SourcePrefix + name, index: map[string]int32{}, more: map[string][]int32{}}
	cols, err := d.readHeader(header)
	if err != nil {
		return nil, err
	}
	seen := make([]string, 0, MaxNumbers) // one row's normal forms
	for recNum := int32(2); ; recNum++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if recNum-1 > MaxRows {
			return nil, &ParseError{Line: line, Msg: fmt.Sprintf("more than %d rows; a directory file may have at most %d rows after the header", MaxRows, MaxRows)}
		}
		if len(rec) > len(cols) && slices.ContainsFunc(rec[len(cols):], func(v string) bool { return strings.TrimSpace(v) != "" }) {
			return nil, &ParseError{Line: line, Msg: fmt.Sprintf("the row has %d values, the header %d columns", len(rec), len(cols))}
		}
		seen = seen[:0]
		if err := d.readRow(rec, cols, recNum, line, &seen); err != nil {
			return nil, err
		}
	}
	d.rows = slices.Clip(d.rows)
	return d, nil
}

// The kinds of column.
const (
	colIgnored = iota
	colName
	colCompany
	colID
	colNumber
	colField
)

type column struct {
	kind  int
	field int // index in fieldKeys, for colField
}

// readHeader reads the header row.
func (d *Directory) readHeader(header []string) ([]column, error) {
	cols := make([]column, len(header))
	seen := map[string]bool{}
	hasName := false
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		switch {
		case key == "":
			d.warnings.IgnoredColumns = append(d.warnings.IgnoredColumns, fmt.Sprintf("column %d", i+1))
			continue
		case len(key) > MaxColumnName:
			return nil, &ParseError{Line: 1, Msg: fmt.Sprintf("the name of column %d is longer than %d bytes; is the first row the header?", i+1, MaxColumnName)}
		case strings.ContainsFunc(key, unicode.IsControl):
			return nil, &ParseError{Line: 1, Msg: fmt.Sprintf("the name of column %d holds a control character", i+1)}
		case seen[key]:
			return nil, &ParseError{Line: 1, Msg: fmt.Sprintf("column %q appears twice in the header", key)}
		}
		seen[key] = true
		switch {
		case key == "name":
			cols[i].kind, hasName = colName, true
		case key == "company":
			cols[i].kind = colCompany
		case key == "id":
			cols[i].kind = colID
		case key == "numbers" || isNumberColumn(key):
			cols[i].kind = colNumber
		case len(d.fieldKeys) < MaxFields:
			cols[i] = column{kind: colField, field: len(d.fieldKeys)}
			d.fieldKeys = append(d.fieldKeys, key)
		default:
			d.warnings.IgnoredColumns = append(d.warnings.IgnoredColumns, key)
		}
	}
	if !hasName {
		return nil, &ParseError{Line: 1, Msg: "the header has no name column; the first row must name the columns, such as name,company,number"}
	}
	return cols, nil
}

// isNumberColumn reports whether key is number, or number followed by digits.
func isNumberColumn(key string) bool {
	rest, ok := strings.CutPrefix(key, "number")
	return ok && strings.Trim(rest, "0123456789") == ""
}

// readRow adds the record rec, row number num at line, unless it is empty
// or unnamed.
func (d *Directory) readRow(rec []string, cols []column, num int32, line int, seen *[]string) error {
	var r row
	var fields [MaxFields]string
	nonEmpty, numbers, lastField := false, 0, -1
	for i, v := range rec[:min(len(rec), len(cols))] {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		nonEmpty = true
		switch c := cols[i]; c.kind {
		case colName:
			r.name = d.cut(oneLine(v))
		case colCompany:
			r.company = d.cut(oneLine(v))
		case colID:
			if len(v) > MaxValue {
				return &ParseError{Line: line, Msg: fmt.Sprintf("the id is longer than %d bytes", MaxValue)}
			}
			r.id = v
		case colField:
			fields[c.field] = d.cut(v)
			lastField = max(lastField, c.field)
		case colNumber:
			for part := range strings.SplitSeq(v, ";") {
				part = strings.TrimSpace(part)
				if part == "" {
					continue
				}
				if numbers++; numbers > MaxNumbers {
					return &ParseError{Line: line, Msg: fmt.Sprintf("more than %d numbers in one row", MaxNumbers)}
				}
				norm, ok := NormalizeNumber(part)
				if !ok {
					d.warnings.InvalidNumbers++
					continue
				}
				r.numbers = append(r.numbers, part)
				if !slices.Contains(*seen, norm) {
					*seen = append(*seen, norm)
				}
			}
		}
	}
	if !nonEmpty {
		return nil
	}
	if r.name == "" && r.company == "" {
		d.warnings.UnnamedRows++
		return nil
	}
	r.num = num
	r.nameLower, r.companyLower = strings.ToLower(r.name), strings.ToLower(r.company)
	if lastField >= 0 {
		r.fields = slices.Clone(fields[:lastField+1])
	}
	r.numbers = slices.Clip(r.numbers)
	at := int32(len(d.rows))
	d.rows = append(d.rows, r)
	for _, norm := range *seen {
		first, dup := d.index[norm]
		switch {
		case !dup:
			d.index[norm] = at
			d.numbers++
		case d.more[norm] == nil:
			d.more[norm] = []int32{first, at}
		default:
			d.more[norm] = append(d.more[norm], at)
		}
	}
	return nil
}

// cut cuts v to MaxValue bytes at a character boundary, counting it.
func (d *Directory) cut(v string) string {
	if len(v) <= MaxValue {
		return v
	}
	d.warnings.CutValues++
	i := MaxValue
	for i > 0 && !utf8.RuneStart(v[i]) {
		i--
	}
	return v[:i]
}

// oneLine replaces the control characters of a name (a line break in a
// quoted cell) with spaces, trimmed: a screen pop shows one line.
func oneLine(v string) string {
	if !strings.ContainsFunc(v, unicode.IsControl) {
		return v
	}
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, v))
}

// checkShape refuses, before encoding/csv allocates a record, invalid
// UTF-8 and a row of more than MaxColumns cells (a megabyte of commas is
// a million strings). Its quote tracking is exact for valid CSV; where it
// loses track (a bare quote), encoding/csv fails on that row first.
func checkShape(data []byte) error {
	if !utf8.Valid(data) {
		at := 0
		for at < len(data) {
			r, n := utf8.DecodeRune(data[at:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			at += n
		}
		return &ParseError{Line: 1 + bytes.Count(data[:at], []byte{'\n'}),
			Msg: "not valid UTF-8 text; save the file as CSV in UTF-8 (in a spreadsheet: \"CSV UTF-8\")"}
	}
	line, cells, quoted := 1, 1, false
	for _, b := range data {
		switch {
		case b == '"':
			quoted = !quoted
		case b == '\n':
			line++
			if !quoted {
				cells = 1
			}
		case b == ',' && !quoted:
			if cells++; cells > MaxColumns {
				return &ParseError{Line: line, Msg: fmt.Sprintf("more than %d columns in one row", MaxColumns)}
			}
		}
	}
	return nil
}

// csvError turns an encoding/csv error into a *ParseError.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	msg := fmt.Sprintf("column %d: %v", pe.Column, pe.Err)
	if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
		msg += `: a quote (") starts or ends a whole value, and a quote inside a quoted value is written twice ("")`
	}
	if pe.StartLine != pe.Line {
		msg += fmt.Sprintf(" (in the row that starts on line %d)", pe.StartLine)
	}
	return &ParseError{Line: pe.Line, Msg: msg}
}

// NormalizeNumber returns number in the normal form lookups match (see the
// package doc): its digits, after a leading "+" if it has one. ok is false
// when number is no phone number: it holds a letter or another character
// than digits, spaces, "-", ".", "/", "(" and ")" and a leading "+", it has
// no digit, or more than MaxNumberDigits.
func NormalizeNumber(number string) (norm string, ok bool) {
	number = strings.TrimSpace(number)
	if plain(number) {
		return number, true
	}
	var b strings.Builder
	b.Grow(len(number))
	digits, plus := 0, false
	for i := 0; i < len(number); {
		r, n := utf8.DecodeRuneInString(number[i:])
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte(byte(r))
			digits++
		case r == '+' && digits == 0 && !plus:
			b.WriteByte('+')
			plus = true
		case r == '(' && plus && strings.HasPrefix(number[i:], "(0)"):
			n = len("(0)") // +44 (0)20 …: the trunk prefix is not dialled
		case r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
		default:
			return "", false
		}
		i += n
	}
	if digits == 0 || digits > MaxNumberDigits {
		return "", false
	}
	return b.String(), true
}

// plain reports whether number is already in normal form.
func plain(number string) bool {
	digits := strings.TrimPrefix(number, "+")
	if digits == "" || len(digits) > MaxNumberDigits {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// Name is the directory's name.
func (d *Directory) Name() string { return d.name }

// Source is its contacts' source: "csv:" + Name.
func (d *Directory) Source() string { return d.source }

// Len is the number of contacts.
func (d *Directory) Len() int { return len(d.rows) }

// Numbers is the number of distinct numbers (in normal form) it indexes.
func (d *Directory) Numbers() int { return d.numbers }

// Warnings says what loading skipped.
func (d *Directory) Warnings() Warnings {
	w := d.warnings
	w.IgnoredColumns = slices.Clone(w.IgnoredColumns)
	return w
}

// clampLimit applies the lookups' limit rules: 0 (or less) is
// DefaultLimit, more than MaxLimit is MaxLimit.
func clampLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return min(limit, MaxLimit)
}

// LookupNumber returns the contacts holding number, in file order, at most
// limit (0 means 10, at most 100). number is matched in normal form,
// exactly (see the package doc): no country code or trunk prefix is
// guessed. A number that is no phone number finds nothing. The contacts
// are the caller's to change.
func (d *Directory) LookupNumber(number string, limit int) []*ctiv1.Contact {
	norm, ok := NormalizeNumber(number)
	if d == nil || !ok {
		return nil
	}
	first, found := d.index[norm]
	if !found {
		return nil
	}
	rows := d.more[norm]
	if rows == nil {
		rows = []int32{first}
	}
	rows = rows[:min(len(rows), clampLimit(limit))]
	out := make([]*ctiv1.Contact, len(rows))
	for i, at := range rows {
		out[i] = d.contact(at)
	}
	return out
}

// LookupName returns the contacts whose name or company contains query,
// ignoring case, in file order, at most limit (0 means 10, at most 100).
// An empty query finds nothing. The contacts are the caller's to change.
func (d *Directory) LookupName(query string, limit int) []*ctiv1.Contact {
	q := strings.ToLower(strings.TrimSpace(query))
	if d == nil || q == "" {
		return nil
	}
	limit = clampLimit(limit)
	var out []*ctiv1.Contact
	for i := range d.rows {
		r := &d.rows[i]
		if strings.Contains(r.nameLower, q) || strings.Contains(r.companyLower, q) {
			out = append(out, d.contact(int32(i)))
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// contact makes a new Contact of row at: nothing in it is shared with the
// directory or another lookup.
func (d *Directory) contact(at int32) *ctiv1.Contact {
	r := &d.rows[at]
	c := &ctiv1.Contact{Id: r.id, Source: d.source, Name: r.name, Company: r.company, Numbers: slices.Clone(r.numbers)}
	if c.Id == "" {
		c.Id = strconv.Itoa(int(r.num))
	}
	for i, v := range r.fields {
		if v == "" {
			continue
		}
		if c.Fields == nil {
			c.Fields = make(map[string]string, len(r.fields))
		}
		c.Fields[d.fieldKeys[i]] = v
	}
	return c
}
