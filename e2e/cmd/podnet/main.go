// Command podnet gives one of Velero's pods its own network, as a pod has
// on a node: the runtime starts it in a new network namespace (unshare
// --net), where it brings the loopback up, forwards each named port of
// 127.0.0.1 to a Unix socket the runtime serves on the host (which dials
// the same port there), and runs the pod's process. So two pods can both
// listen on :8080, as Velero's server and node agent do, and still reach
// only the API server and the AWS endpoints, on 127.0.0.1.
//
//	podnet -socks DIR -ports P1,P2,... -- PROGRAM ARGS...
//
// With -get URL it instead prints the body of an HTTP GET of URL, for
// the runtime to read a pod's own port from inside its network (nsenter
// puts it there), as Prometheus scrapes a pod's metrics port.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/velero-irsa/velero-irsa/e2e/internal/relay"
)

func main() {
	socks := flag.String("socks", "", "directory of the host's Unix sockets, one per port: <port>.sock")
	ports := flag.String("ports", "", "comma-separated 127.0.0.1 ports to forward to the host")
	get := flag.String("get", "", "print the body of an HTTP GET of this URL and exit")
	flag.Parse()
	if *get != "" {
		os.Exit(fetch(*get))
	}
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

// fetch prints the body of a GET of url; non-zero on any failure or a
// status other than 200.
func fetch(url string) int {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(os.Stderr, "podnet: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "podnet: GET %s: %s\n", url, resp.Status)
		return 1
	}
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		fmt.Fprintf(os.Stderr, "podnet: %v\n", err)
		return 1
	}
	return 0
}
