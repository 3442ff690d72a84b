package scenario

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// A group is scenarios that share one rig and run in order (the seed's
// four run on one cluster). Groups share nothing, each has its own rig,
// ports and work directory, so they run side by side.
type group struct {
	names []string
	// cost is the group's usual wall time, warm, alone on 2 cores: the
	// longest groups start first, so the run ends soonest.
	cost time.Duration
	run  func(ctx context.Context, e *Env, report func(name string, err error))
}

// label names a group in the run's output.
func (g group) label() string { return strings.Join(g.names, ", ") }

// Result is one scenario's outcome.
type Result struct {
	Name string
	Err  error
	// Took runs from the end of the previous scenario of its group (or the
	// group's start) to its own end.
	Took time.Duration
}

// perRigMemory is what one group holds at its peak: its control plane,
// Velero and its plugin, and a Pulumi operation with its providers
// (about 1 GiB measured with .ci/measure-run; doubled for headroom).
const perRigMemory = 2 << 30

// maxParallel bounds the groups run at once: beyond it, on 2 cores, the
// rigs' start-up and Pulumi operations contend for the CPU and the run
// gets no shorter (figures in docs/developing.md).
const maxParallel = 4

// DefaultParallel is how many groups run at once: maxParallel, fewer when
// the memory available does not hold that many rigs.
func DefaultParallel() int {
	avail := memAvailable()
	if avail <= 0 {
		return 1
	}
	return max(1, min(maxParallel, int(avail/perRigMemory)))
}

// memAvailable is MemAvailable from /proc/meminfo, in bytes (0 if unknown).
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		var kb int64
		if n, _ := fmt.Sscanf(s.Text(), "MemAvailable: %d kB", &kb); n == 1 {
			return kb << 10
		}
	}
	return 0
}

// runGroups runs the groups, parallel at a time, the costliest first, and
// returns every scenario's result in the order they ended. With one group
// at a time, output streams as it comes. Otherwise each group's output is
// held and written in one block when the group ends, after a line when it
// starts; a line every heartbeat says which are still running.
func runGroups(ctx context.Context, e *Env, groups []group, parallel int, heartbeat time.Duration) []Result {
	groups = slices.Clone(groups)
	slices.SortStableFunc(groups, func(a, b group) int { return int(b.cost - a.cost) })
	parallel = max(1, min(parallel, len(groups)))
	out := &lockedWriter{w: e.Out}
	var (
		mu      sync.Mutex
		results []Result
		running = map[string]time.Time{}
	)
	record := func(r Result) {
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	if parallel == 1 {
		for _, g := range groups {
			fmt.Fprintf(out, "=== %s\n", g.label())
			last := time.Now()
			g.run(ctx, e, func(name string, err error) {
				r := Result{Name: name, Err: err, Took: time.Since(last)}
				last = time.Now()
				record(r)
				fmt.Fprint(out, r.line())
			})
		}
		return results
	}

	stop := make(chan struct{})
	defer close(stop)
	if heartbeat > 0 {
		go func() {
			t := time.NewTicker(heartbeat)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					mu.Lock()
					line := stillRunning(running)
					mu.Unlock()
					if line != "" {
						fmt.Fprintf(out, "... %s still running: %s\n", time.Now().Format("15:04:05"), line)
					}
				}
			}
		}()
	}
	// A worker announces a group's start before the next group is handed
	// out, so the start lines follow the queue's order (the costliest
	// first) even when two workers are free at once.
	type handoff struct {
		g       group
		started chan struct{}
	}
	queue := make(chan handoff)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range queue {
				g := h.g
				start := time.Now()
				mu.Lock()
				running[g.label()] = start
				n := len(running)
				mu.Unlock()
				fmt.Fprintf(out, "=== %s started %s (%d running)\n", g.label(), start.Format("15:04:05"), n)
				close(h.started)
				var held bytes.Buffer
				ge := *e
				ge.Out = &lockedWriter{w: &held}
				var lines []string
				last := start
				g.run(ctx, &ge, func(name string, err error) {
					r := Result{Name: name, Err: err, Took: time.Since(last)}
					last = time.Now()
					record(r)
					lines = append(lines, r.line())
				})
				mu.Lock()
				delete(running, g.label())
				mu.Unlock()
				out.block(fmt.Sprintf("=== %s ended after %s\n", g.label(), time.Since(start).Round(time.Second)), held.String(), strings.Join(lines, ""))
			}
		}()
	}
	for _, g := range groups {
		h := handoff{g: g, started: make(chan struct{})}
		queue <- h
		<-h.started
	}
	close(queue)
	wg.Wait()
	return results
}

// line is the result as the run prints it.
func (r Result) line() string {
	if r.Err != nil {
		return fmt.Sprintf("--- FAIL %s (%s): %v\n", r.Name, r.Took.Round(time.Second), r.Err)
	}
	return fmt.Sprintf("--- PASS %s (%s)\n", r.Name, r.Took.Round(time.Second))
}

// stillRunning lists the running groups, the longest running first.
func stillRunning(running map[string]time.Time) string {
	type entry struct {
		name  string
		since time.Time
	}
	var all []entry
	for n, s := range running {
		all = append(all, entry{n, s})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if c := a.since.Compare(b.since); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	parts := make([]string, len(all))
	for i, x := range all {
		parts[i] = fmt.Sprintf("%s (%s)", x.name, time.Since(x.since).Round(time.Second))
	}
	return strings.Join(parts, ", ")
}

// Slowest is the summary line of the n slowest scenarios.
func Slowest(results []Result, n int) string {
	sorted := slices.Clone(results)
	slices.SortStableFunc(sorted, func(a, b Result) int { return int(b.Took - a.Took) })
	parts := make([]string, 0, n)
	for _, r := range sorted[:min(n, len(sorted))] {
		parts = append(parts, fmt.Sprintf("%s %s", r.Name, r.Took.Round(time.Second)))
	}
	return "slowest: " + strings.Join(parts, ", ")
}

// lockedWriter serialises writes from a group's goroutines (a command's
// output copiers, the heartbeat) so that lines do not interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// block writes the parts as one unbroken block.
func (l *lockedWriter) block(parts ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range parts {
		_, _ = io.WriteString(l.w, p)
	}
}
