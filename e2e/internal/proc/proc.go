// Package proc starts the rig's programs as child processes with their
// output in log files, and stops them, and their children, for certain:
// SIGTERM to the process group, then SIGKILL after a grace period.
package proc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Process is one running program.
type Process struct {
	Name string
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
}

// Start runs name (a path) with args and env (added to a minimal base), its
// output appended to logDir/<label>.log.
func Start(label, logDir, name string, args, env []string) (*Process, error) {
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(logDir, label+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(baseEnv(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(f, "--- %s %s %v\n", time.Now().Format(time.RFC3339), name, args)
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", label, err)
	}
	p := &Process{Name: label, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// baseEnv is what every child gets: a PATH, a HOME and nothing of the
// caller's AWS or Kubernetes settings.
func baseEnv() []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS", "GOPROXY"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Pid is the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM to the process group, and SIGKILL after grace.
func (p *Process) Stop(grace time.Duration) {
	p.once.Do(func() {
		pgid := -p.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(pgid, syscall.SIGKILL)
			<-p.done
		}
		// Children that left the group's leader behind go too.
		_ = syscall.Kill(pgid, syscall.SIGKILL)
	})
}

// handedOut holds every port Listen and FreePort gave in this process.
// Rigs run side by side in one process: a port handed to a program that
// has not bound it yet is free to the kernel, which may give it to the
// next listener; never giving one twice keeps two rigs off each other's.
var handedOut sync.Map

// Listen listens on a TCP port of 127.0.0.1 that this process has not
// handed out before.
func Listen() (net.Listener, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		if _, taken := handedOut.LoadOrStore(l.Addr().(*net.TCPAddr).Port, true); !taken {
			return l, nil
		}
		l.Close()
	}
	return nil, fmt.Errorf("no TCP port of 127.0.0.1 left that this process has not handed out")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago and
// that this process has not handed out before.
func FreePort() (int, error) {
	l, err := Listen()
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is 127.0.0.1:port.
func Addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// WaitFor polls check until it succeeds, the process exits, or the time is
// up; the error says which, with the check's last failure.
func WaitFor(ctx context.Context, p *Process, timeout time.Duration, what string, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		if p != nil {
			if exited, err := p.Exited(); exited {
				return fmt.Errorf("%s exited (%v) before %s; see %s", p.Name, err, what, p.Log)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %s: %v", what, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
