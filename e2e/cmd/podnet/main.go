// Command podnet gives one of Velero's pods its own network, as a pod has
// on a node: the runtime starts it in a new network namespace (unshare
// --net), where it brings the loopback up, forwards each named port of
// 127.0.0.1 to a Unix socket the runtime serves on the host (which dials
// the same port there), and runs the pod's process. So two pods can both
// listen on :8080, as Velero's server and node agent do, and still reach
// only the API server and the AWS endpoints, on 127.0.0.1.
//
//	podnet -socks DIR -ports P1,P2,... -- PROGRAM ARGS...
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/velero-irsa/velero-irsa/e2e/internal/relay"
)

func main() {
	socks := flag.String("socks", "", "directory of the host's Unix sockets, one per port: <port>.sock")
	ports := flag.String("ports", "", "comma-separated 127.0.0.1 ports to forward to the host")
	flag.Parse()
	if *socks == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: podnet -socks DIR -ports P1,P2 -- PROGRAM ARGS...")
		os.Exit(2)
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "podnet: bringing the loopback up: %v: %s\n", err, out)
		os.Exit(1)
	}
	for _, p := range strings.Split(*ports, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "podnet: %v\n", err)
			os.Exit(1)
		}
		sock := filepath.Join(*socks, p+".sock")
		go relay.Serve(l, func() (net.Conn, error) { return net.Dial("unix", sock) })
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "podnet: %v\n", err)
		os.Exit(1)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	if exit, ok := err.(*exec.ExitError); ok {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		os.Exit(1)
	}
}
