package conformance

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
)

// BuildDriver builds a driver's main package (an import path, or a path
// relative to the calling test's folder such as "./cmd/cti-driver-acme")
// into a new temporary folder, for a TestMain to hand to Run. When the
// test binary runs with -race the driver is built with -race too, so that
// the kit also catches the driver's data races (it fails the run on a
// race report in the driver's stderr). cleanup removes the folder.
func BuildDriver(pkg string) (binary string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "cti-conformance-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	binary = filepath.Join(dir, path.Base(pkg))
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, pkg)...).CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("build %s: %v\n%s", pkg, err, out)
	}
	return binary, cleanup, nil
}
