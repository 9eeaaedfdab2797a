package mirtasim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLoadChurn(t *testing.T) {
	p, err := New(Options{Tenants: []TenantSpec{{Code: "LOAD", Key: "k"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Populate("LOAD", 1000, 1000); err != nil {
		t.Fatal(err)
	}
	var total LoadStats
	for range 200 {
		st, err := p.LoadStep("LOAD", 50)
		if err != nil {
			t.Fatal(err)
		}
		total.Rung += st.Rung
		total.Answered += st.Answered
		total.HungUp += st.HungUp
		total.Live = st.Live
	}
	if total.Live != 50 || total.Rung < 190 || total.Answered < 180 || total.HungUp < 140 {
		t.Fatalf("churn %+v", total)
	}
	calls, _ := p.Calls("LOAD")
	if len(calls) != 50 {
		t.Fatalf("%d calls", len(calls))
	}
	// RunLoad steps until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.RunLoad(ctx, "LOAD", 10, time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPoll measures what a driver's poll costs the simulator at 100
// and 1,000 extensions with 10% of them on calls: one CHANNELS and one
// GETCURRENTCALLS per busy extension, between LoadSteps.
func BenchmarkPoll(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("extensions=%d", n), func(b *testing.B) {
			p, _ := New(Options{Tenants: []TenantSpec{{Code: "LOAD", Key: "k"}}})
			p.Populate("LOAD", 1000, n)
			for range n {
				p.LoadStep("LOAD", n/10)
			}
			b.ResetTimer()
			for i := range b.N {
				if i%10 == 0 {
					p.LoadStep("LOAD", n/10)
				}
				w := httptest.NewRecorder()
				p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/pbx/proxyapi.php?key=k&reqtype=CHANNELS&format=json", nil))
				w = httptest.NewRecorder()
				p.ServeHTTP(w, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/pbx/proxyapi.php?key=k&reqtype=GETCURRENTCALLS&phone=%d&multiple=yes", 1000+i%n), nil))
			}
		})
	}
}
