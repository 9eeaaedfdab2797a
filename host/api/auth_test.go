package api

import (
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc"

	ctiv1 "github.com/ctihost/ctihost/proto/cti/v1"
)

// Every RPC the host serves needs a scope: a method added to host.proto or
// admin.proto without one would be refused to everyone, so this fails first.
func TestEveryMethodHasAScope(t *testing.T) {
	seen := 0
	for _, sd := range []struct {
		name    string
		methods []string
	}{
		{ctiv1.Host_ServiceDesc.ServiceName, methodNames(ctiv1.Host_ServiceDesc.Methods, ctiv1.Host_ServiceDesc.Streams)},
		{ctiv1.Admin_ServiceDesc.ServiceName, methodNames(ctiv1.Admin_ServiceDesc.Methods, ctiv1.Admin_ServiceDesc.Streams)},
	} {
		for _, m := range sd.methods {
			full := "/" + sd.name + "/" + m
			seen++
			if _, ok := scopes[full]; !ok {
				t.Errorf("%s has no scope in the scopes table", full)
			}
		}
	}
	if seen != len(scopes) {
		t.Errorf("the scopes table has %d methods, the services %d: remove the stale ones", len(scopes), seen)
	}
	for m := range readOnly {
		if scopes[m] == "" {
			t.Errorf("read-only method %s is not a method", m)
		}
	}
}

func methodNames(unary []grpcMethod, streams []grpcStream) []string {
	var out []string
	for _, m := range unary {
		out = append(out, m.MethodName)
	}
	for _, s := range streams {
		out = append(out, s.StreamName)
	}
	return out
}

func TestQuotedCutsLongInput(t *testing.T) {
	long := string(make([]byte, 4<<20))
	if got := quoted(long); len(got) > 4*maxQuoted+8 {
		t.Errorf("quoted 4 MB into %d bytes", len(got))
	}
	if got := quoted("hq/desk"); got != `"hq/desk"` {
		t.Errorf("quoted = %s", got)
	}
	if got := quoted("é" + string(make([]byte, 100))); !utf8Valid(got) {
		t.Errorf("quoted cut a rune: %q", got)
	}
}

type (
	grpcMethod = grpc.MethodDesc
	grpcStream = grpc.StreamDesc
)

func utf8Valid(s string) bool { return utf8.ValidString(s) }
