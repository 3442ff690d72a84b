package scenario

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeGroups are groups that print a few lines while they wait, and count
// how many run at once.
func fakeGroups(now, peak *atomic.Int32) []group {
	g := func(cost time.Duration, wait time.Duration, names ...string) group {
		return group{names: names, cost: cost, run: func(ctx context.Context, e *Env, report func(string, error)) {
			n := now.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			defer now.Add(-1)
			for _, name := range names {
				fmt.Fprintf(e.Out, "    %s: first line\n", name)
				time.Sleep(wait)
				fmt.Fprintf(e.Out, "    %s: second line\n", name)
				var err error
				if name == "bad" {
					err = errors.New("it broke")
				}
				report(name, err)
			}
		}}
	}
	return []group{
		g(time.Second, 30*time.Millisecond, "short"),
		g(3*time.Second, 60*time.Millisecond, "long-a", "long-b"),
		g(2*time.Second, 40*time.Millisecond, "bad"),
		g(time.Second, 20*time.Millisecond, "tiny"),
	}
}

func TestRunGroupsSideBySideKeepsEachGroupsLinesTogether(t *testing.T) {
	var now, peak atomic.Int32
	var out bytes.Buffer
	e := &Env{Out: &out}
	results := runGroups(context.Background(), e, fakeGroups(&now, &peak), 2, 0)

	if got := peak.Load(); got != 2 {
		t.Errorf("at most %d groups ran at once, want 2", got)
	}
	if len(results) != 5 {
		t.Fatalf("got %d results, want 5: %+v", len(results), results)
	}
	for _, r := range results {
		if (r.Name == "bad") != (r.Err != nil) {
			t.Errorf("result %s: error %v", r.Name, r.Err)
		}
	}
	text := out.String()
	// Each group's block: its end line, its lines in order, its results.
	for _, want := range []string{
		"=== long-a, long-b ended after 0s\n    long-a: first line\n    long-a: second line\n    long-b: first line\n    long-b: second line\n--- PASS long-a (0s)\n--- PASS long-b (0s)\n",
		"=== bad ended after 0s\n    bad: first line\n    bad: second line\n--- FAIL bad (0s): it broke\n",
		"=== tiny ended after 0s\n    tiny: first line\n    tiny: second line\n--- PASS tiny (0s)\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks the block\n%s\nin\n%s", want, text)
		}
	}
	// The costliest group starts first, then the next.
	starts := regexp.MustCompile(`(?m)^=== (.*) started `).FindAllStringSubmatch(text, -1)
	var order []string
	for _, m := range starts {
		order = append(order, m[1])
	}
	if len(order) != 4 || order[0] != "long-a, long-b" || order[1] != "bad" {
		t.Errorf("groups started in the order %q; want long-a, long-b then bad first", order)
	}
}

func TestRunGroupsOneAtATimeStreams(t *testing.T) {
	var now, peak atomic.Int32
	var out bytes.Buffer
	results := runGroups(context.Background(), &Env{Out: &out}, fakeGroups(&now, &peak), 1, 0)
	if peak.Load() != 1 || len(results) != 5 {
		t.Fatalf("peak %d, %d results", peak.Load(), len(results))
	}
	want := "=== long-a, long-b\n    long-a: first line\n    long-a: second line\n--- PASS long-a (0s)\n    long-b: first line\n    long-b: second line\n--- PASS long-b (0s)\n=== bad\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output starts\n%s\nwant\n%s", out.String(), want)
	}
}

func TestSlowest(t *testing.T) {
	got := Slowest([]Result{{Name: "a", Took: 3 * time.Second}, {Name: "b", Took: 90 * time.Second}, {Name: "c", Took: 10 * time.Second}}, 2)
	if want := "slowest: b 1m30s, c 10s"; got != want {
		t.Errorf("Slowest = %q, want %q", got, want)
	}
}
