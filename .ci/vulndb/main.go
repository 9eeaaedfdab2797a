// Command vulndb builds an offline Go vulnerability database for govulncheck
// (`make check` runs it as `go run ./.ci/vulndb -version V -out bin/vulndb`).
//
// govulncheck's default database, https://vuln.go.dev, cannot be reached from
// our machines; the Go module proxy can. The module golang.org/x/vulndb is the
// source of that database, and its module zip carries every published advisory
// as an OSV record: data/osv/GO-YYYY-NNNN.json. This program fetches one pinned
// version of that module with `go mod download` (so through GOPROXY, verified
// against the checksum database, GOSUMDB, like any module) and lays its records out
// in the v1 database schema that `govulncheck -db file:///ABS/DIR` reads
// (https://go.dev/security/vuln/database#api, and golang.org/x/vuln's
// internal/client, which reads "<endpoint>.json" from a file:// database):
//
//	DIR/index/db.json       {"modified": T}: the newest "modified" of any entry
//	DIR/index/modules.json  [{"path": MODULE, "vulns": [{"id", "modified", "fixed"}]}], sorted by path then id
//	DIR/index/vulns.json    [{"id", "modified", "aliases"}], sorted by id
//	DIR/ID/GO-YYYY-NNNN.json  the OSV record itself
//	DIR/VERSION             the x/vulndb version the database was built from
//
// It is what golang.org/x/vulndb's own cmd/indexdb does (internal/database), in
// the standard library plus golang.org/x/mod/semver, so that none of x/vulndb's
// many dependencies enter our module graph. Three differences, all deliberate:
//
//   - The records in the repository have "modified": "0001-01-01T00:00:00Z";
//     vuln.go.dev fills it in from git history, which a module zip does not
//     have. A zero "modified" is replaced by the snapshot's commit time (the
//     module version's Time), so govulncheck reports a meaningful "DB updated".
//   - modules.json lists a record once per module, not once per "affected"
//     block (see moduleMeta.add): govulncheck would report it twice.
//   - -gzip also writes the .json.gz twins that an http(s) server of the
//     database must serve; a file:// database does not need them.
//
// The result is rebuilt only when -version changes (DIR/VERSION is written
// last, after everything else is in place). An empty or malformed set of
// records is an error, so a broken database can never make the check pass
// vacuously.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

const vulndbModule = "golang.org/x/vulndb"

// minEntries is a sanity floor: the database has had thousands of records for
// years, so far fewer means the module layout changed under us.
const minEntries = 1000

func main() {
	log.SetFlags(0)
	log.SetPrefix("vulndb: ")
	version := flag.String("version", "", "version of "+vulndbModule+" to build the database from (required)")
	out := flag.String("out", "bin/vulndb", "directory to write the database to")
	gz := flag.Bool("gzip", false, "also write .json.gz files (needed only to serve the database over http)")
	force := flag.Bool("force", false, "rebuild even if -out already holds -version")
	flag.Parse()
	if *version == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	if b, err := os.ReadFile(filepath.Join(*out, "VERSION")); err == nil && strings.TrimSpace(string(b)) == *version && !*force {
		log.Printf("%s is up to date (%s@%s)", *out, vulndbModule, *version)
		return
	}

	start := time.Now()
	dir, snapshot, err := download(*version)
	if err != nil {
		log.Fatal(err)
	}
	n, err := build(filepath.Join(dir, "data", "osv"), *out, *version, snapshot, *gz)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d advisories from %s@%s to %s in %v", n, vulndbModule, *version, *out, time.Since(start).Round(time.Millisecond))
}

// download fetches vulndbModule@version into the module cache and returns its
// directory and the version's commit time.
func download(version string) (dir string, snapshot time.Time, err error) {
	cmd := exec.Command("go", "mod", "download", "-json", vulndbModule+"@"+version)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	var m struct {
		Dir, Info, Error string
	}
	if jerr := json.Unmarshal(b, &m); jerr != nil {
		return "", time.Time{}, fmt.Errorf("go mod download %s@%s: %v (output %q)", vulndbModule, version, errors.Join(err, jerr), b)
	}
	if m.Error != "" || err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download %s@%s: %s %v", vulndbModule, version, m.Error, err)
	}
	info, err := os.ReadFile(m.Info)
	if err != nil {
		return "", time.Time{}, err
	}
	var i struct{ Time time.Time }
	if err := json.Unmarshal(info, &i); err != nil {
		return "", time.Time{}, fmt.Errorf("%s: %v", m.Info, err)
	}
	return m.Dir, i.Time.UTC(), nil
}

// entry is the part of an OSV record (golang.org/x/vuln/internal/osv.Entry)
// that the indexes need. The record itself is copied whole.
type entry struct {
	ID        string     `json:"id"`
	Modified  time.Time  `json:"modified"`
	Withdrawn *time.Time `json:"withdrawn"`
	Aliases   []string   `json:"aliases"`
	Affected  []struct {
		Package struct {
			Name string `json:"name"` // the module path ("stdlib" and "toolchain" for Go itself)
		} `json:"package"`
		Ranges []osvRange `json:"ranges"`
	} `json:"affected"`
}

type osvRange struct {
	Type   string `json:"type"`
	Events []struct {
		Introduced string `json:"introduced"`
		Fixed      string `json:"fixed"`
	} `json:"events"`
}

// Index records; field names and order are those of the v1 schema.
type (
	dbMeta struct {
		Modified time.Time `json:"modified"`
	}
	moduleMeta struct {
		Path  string       `json:"path"`
		Vulns []moduleVuln `json:"vulns"`
	}
	moduleVuln struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Fixed    string    `json:"fixed,omitempty"`
	}
	vulnMeta struct {
		ID       string    `json:"id"`
		Modified time.Time `json:"modified"`
		Aliases  []string  `json:"aliases,omitempty"`
	}
)

// build reads every OSV record in osvDir and writes the database to out,
// replacing whatever was there. It returns the number of records.
func build(osvDir, out, version string, snapshot time.Time, gz bool) (int, error) {
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) < minEntries {
		return 0, fmt.Errorf("%s: %d OSV records, expected at least %d: has the layout of %s changed?", osvDir, len(files), minEntries, vulndbModule)
	}

	// Build next to out and swap it in at the end, so an interrupted run
	// never leaves a half-written database that looks complete.
	tmp := out + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return 0, err
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return 0, err
		}
	}

	db := dbMeta{}
	modules := map[string]*moduleMeta{}
	var vulns []vulnMeta
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return 0, fmt.Errorf("%s: %v", f, err)
		}
		if e.ID == "" || filepath.Base(f) != e.ID+".json" {
			return 0, fmt.Errorf("%s: file name does not match id %q", f, e.ID)
		}
		if len(e.Affected) == 0 && e.Withdrawn == nil {
			return 0, fmt.Errorf("%s: no affected modules", f)
		}
		if e.Modified.IsZero() {
			e.Modified = snapshot
			if raw, err = setModified(raw, snapshot); err != nil {
				return 0, fmt.Errorf("%s: %v", f, err)
			}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return 0, fmt.Errorf("%s: %v", f, err)
		}
		if err := write(filepath.Join(tmp, "ID", e.ID+".json"), compact.Bytes(), gz); err != nil {
			return 0, err
		}

		if e.Modified.After(db.Modified) {
			db.Modified = e.Modified
		}
		vulns = append(vulns, vulnMeta{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &moduleMeta{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.add(moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFixed(a.Ranges)})
		}
	}

	slices.SortFunc(vulns, func(a, b vulnMeta) int { return strings.Compare(a.ID, b.ID) })
	mods := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *moduleMeta) int { return strings.Compare(a.Path, b.Path) })
	for name, v := range map[string]any{"db.json": db, "modules.json": mods, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		if err := write(filepath.Join(tmp, "index", name), b, gz); err != nil {
			return 0, err
		}
	}

	if err := os.RemoveAll(out); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, err
	}
	return len(files), os.WriteFile(filepath.Join(out, "VERSION"), []byte(version+"\n"), 0o644)
}

// add lists v for m once. A record with several "affected" blocks for one
// module (say, stdlib: net/http in go1.26 and its http2 copy in go1.27) would
// otherwise be listed once per block, as x/vulndb's indexdb does; govulncheck
// then fetches it once per listing and reports each finding twice. The merged
// listing keeps the latest "fixed", or none if any block has none, so
// govulncheck fetches the record for exactly the versions it did before.
func (m *moduleMeta) add(v moduleVuln) {
	i := slices.IndexFunc(m.Vulns, func(u moduleVuln) bool { return u.ID == v.ID })
	if i < 0 {
		m.Vulns = append(m.Vulns, v)
		return
	}
	if u := &m.Vulns[i]; u.Fixed != "" && (v.Fixed == "" || semver.Compare("v"+u.Fixed, "v"+v.Fixed) < 0) {
		u.Fixed = v.Fixed
	}
}

// setModified returns the record raw with its "modified" set to t; every
// other field is kept as it is.
func setModified(raw []byte, t time.Time) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	b, err := json.Marshal(t.Format(time.RFC3339))
	if err != nil {
		return nil, err
	}
	fields["modified"] = b
	return json.Marshal(fields)
}

// latestFixed is the "fixed" of a modules.json entry: the latest fixed version
// in the SEMVER ranges, or "" if the vulnerability is reintroduced after it (or
// never fixed). govulncheck skips fetching a record whose "fixed" is at or
// below the version in use, so this must match x/vulndb's
// internal/osvutils.LatestFixed (and x/vuln's internal/semver.NonSupersededFix)
// exactly: a too-low value would hide a vulnerability.
func latestFixed(ranges []osvRange) string {
	less := func(a, b string) bool { return semver.Compare("v"+a, "v"+b) < 0 }
	var latest string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && less(latest, e.Fixed) {
				latest = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && less(latest, e.Introduced) {
				latest = ""
				break
			}
		}
	}
	return latest
}

// write writes b to name and, with gz, a gzip copy to name.gz.
func write(name string, b []byte, gz bool) error {
	if err := os.WriteFile(name, b, 0o644); err != nil {
		return err
	}
	if !gz {
		return nil
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return os.WriteFile(name+".gz", buf.Bytes(), 0o644)
}
