package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/ctihost/ctihost/host/directory"
	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Directory is one directory block: a CSV file of contacts (see package
// directory) that the calls of its sites are looked up in (screen pop).
type Directory struct {
	// Name is the block label; contacts' source is "csv:" + Name.
	Name string
	// File is the CSV file's absolute path.
	File string
	// Sites are site names, or "*" for every site. A site has at most one
	// directory block.
	Sites []string
	// Range is the block header in the file.
	Range hcl.Range

	contacts *directory.Directory // File as loaded when the config was
}

// Contacts is the directory as File held when the config was loaded (and
// checked): a config reload reads the file again. It is nil only in a
// Config with errors.
func (d *Directory) Contacts() *directory.Directory { return d.contacts }

// Serves reports whether the directory block serves site.
func (d *Directory) Serves(site string) bool {
	return slices.Contains(d.Sites, "*") || slices.Contains(d.Sites, site)
}

// ReadDirectoryFile reads a directory file the way the config file itself
// is read: a regular file only (never a FIFO, a device, /proc, /sys or
// /dev), at most directory.MaxSize bytes. Errors do not name the path.
func ReadDirectoryFile(path string) ([]byte, error) {
	return readRegular(path, directory.MaxSize)
}

var directoryAttrs = []*ctiv1.ConfigAttribute{
	{Name: "file", Type: ctiv1.ConfigType_CONFIG_TYPE_STRING, Required: true,
		Description: "the CSV file of contacts, relative to the config file's folder: a header row naming the columns name, company, number (number2 …, or numbers separated by ;), id; other columns become fields"},
}

// decodeDirectories decodes the directory blocks, once the sites are known,
// and loads each one's file. It returns the blocks without errors, the
// first of each name, in file order (Config.Directories).
func (c *Config) decodeDirectories(s *sink, blocks []*hclsyntax.Block) []*Directory {
	var out []*Directory
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		name, ok := label(s, b, "directory", `directory "crm" { file = "contacts.csv" }`, false)
		if !ok {
			continue
		}
		object := fmt.Sprintf("directory %q", name)
		d := &Directory{Name: name, Range: b.DefRange()}
		v := c.checkBody(s, b.Body, bodyRules{object: object, owner: "ctihost", at: d.Range, attrs: directoryAttrs, others: []string{"sites"}})
		if f, ok := v["file"]; ok {
			if f.text == "" {
				s.errorf(f.rng, "file", describe("ctihost", directoryAttrs[0]), "%s: attribute \"file\" must not be empty", object)
			} else {
				d.File = c.absPath(f.text)
				d.contacts = loadDirectory(s, object, name, f, d.File)
			}
		}
		d.Sites = []string{"*"}
		if _, ok := b.Body.Attributes["sites"]; ok {
			d.Sites = c.stringList(s, b.Body, object, "sites", c.siteNames())
		}
		if first, dup := seen[name]; dup {
			s.errorf(d.Range, "", "first defined at "+where(first)+"; remove or rename one of them", "%s is defined twice", object)
			continue
		}
		seen[name] = d.Range
		if other, site := directoryOverlap(out, d); other != nil {
			what := fmt.Sprintf("site %q", site)
			if site == "*" {
				what = "every site"
			}
			s.errorf(d.Range, "sites", "a site's calls are looked up in one directory; give the blocks different sites, or merge the files",
				"%s and directory %q (%s) both serve %s", object, other.Name, where(other.Range), what)
			continue
		}
		out = append(out, d)
	}
	return out
}

// directoryOverlap returns one of decoded that serves a site d serves too,
// and that site ("*" when both serve every site).
func directoryOverlap(decoded []*Directory, d *Directory) (*Directory, string) {
	for _, other := range decoded {
		for _, site := range d.Sites {
			switch {
			case site == "*" && slices.Contains(other.Sites, "*"):
				return other, "*"
			case site == "*":
				return other, other.Sites[0]
			case other.Serves(site):
				return other, site
			}
		}
	}
	return nil, ""
}

// loadDirectory reads and loads the directory file at path, reporting a
// problem at the file attribute f; nil when it cannot be loaded.
func loadDirectory(s *sink, object, name string, f setting, path string) *directory.Directory {
	data, err := ReadDirectoryFile(path)
	if err != nil {
		detail := "check the path and its permissions; it is relative to the config file's folder"
		var tooLarge *tooLargeError
		switch {
		case errors.As(err, &tooLarge):
			detail = fmt.Sprintf("a directory file may have up to %s; split it between sites, or leave out columns nobody reads", sizeText(directory.MaxSize))
		case errors.Is(err, errNotRegular), errors.Is(err, errSystemFile):
			detail = "name an ordinary file, not a folder, pipe or device"
		}
		s.errorf(f.rng, "file", detail, "%s: cannot read file %s: %v", object, f.shown(), err)
		return nil
	}
	dir, err := directory.Load(name, data)
	if err != nil {
		s.errorf(f.rng, "file", "a directory file is CSV in UTF-8 with a header row: name (required), company, number, number2 … or numbers (separated by ;), id; other columns become fields",
			"%s: file %s, %v", object, f.shown(), err)
		return nil
	}
	if w := dir.Warnings(); !w.Empty() {
		s.warnf(f.rng, "file", "", "%s: file %s: %s", object, f.shown(), strings.TrimSpace(w.String()))
	}
	return dir
}
