package conformance

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ExpectCode checks that err carries the gRPC code want, or one of also; a
// nil error counts as codes.OK. On a mismatch it reports the code and
// message got through t.Errorf and returns false, so a caller that cannot go
// on adds t.FailNow.
func ExpectCode(t testing.TB, err error, want codes.Code, also ...codes.Code) bool {
	t.Helper()
	got := status.Code(err)
	if got == want || slices.Contains(also, got) {
		return true
	}
	t.Errorf("got %s, want %s: %v", got, codeList(want, also), err)
	return false
}

// mustOK fails the test at once unless the RPC named what succeeded.
func mustOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got %s, want OK: %v", what, status.Code(err), err)
	}
}

// mustLab fails the test at once if a Lab call failed.
func mustLab(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("lab %s: %v", what, err)
	}
}

func codeList(want codes.Code, also []codes.Code) string {
	names := []string{want.String()}
	for _, c := range also {
		names = append(names, c.String())
	}
	return strings.Join(names, " or ")
}

// codeNot checks that err's code is none of bad; OK counts as fine.
func codeNot(t testing.TB, what string, err error, bad ...codes.Code) bool {
	t.Helper()
	if got := status.Code(err); slices.Contains(bad, got) {
		t.Errorf("%s: got %s, want any code but %s: %v", what, got, codeList(bad[0], bad[1:]), err)
		return false
	}
	return true
}
