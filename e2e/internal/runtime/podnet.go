package runtime

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/velero-irsa/velero-irsa/e2e/internal/relay"
)

// podNetwork is the host side of one pod's network: a Unix socket per
// forwarded port, each relaying to that port on the host's 127.0.0.1.
type podNetwork struct {
	dir       string
	ports     []int
	listeners []net.Listener
}

// endpointPorts are the host ports a pod may reach: the API server's and
// the AWS endpoints'.
func endpointPorts(urls ...string) ([]int, error) {
	var out []int
	for _, raw := range urls {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		p, err := strconv.Atoi(u.Port())
		if err != nil {
			return nil, fmt.Errorf("%s has no port", raw)
		}
		out = append(out, p)
	}
	return out, nil
}

// newPodNetwork serves the sockets in a short directory (Unix socket paths
// are limited to 108 bytes).
func newPodNetwork(ports []int) (*podNetwork, error) {
	dir, err := os.MkdirTemp("", "podnet")
	if err != nil {
		return nil, err
	}
	n := &podNetwork{dir: dir, ports: ports}
	for _, p := range ports {
		l, err := net.Listen("unix", filepath.Join(dir, strconv.Itoa(p)+".sock"))
		if err != nil {
			n.close()
			return nil, err
		}
		n.listeners = append(n.listeners, l)
		addr := "127.0.0.1:" + strconv.Itoa(p)
		go relay.Serve(l, func() (net.Conn, error) { return net.Dial("tcp", addr) })
	}
	return n, nil
}

// command wraps a program so that it runs in a network of its own.
func (n *podNetwork) command(podnet, program string, args []string) (string, []string) {
	unshare := []string{"--net"}
	if os.Geteuid() != 0 {
		unshare = append(unshare, "--map-root-user")
	}
	ports := ""
	for i, p := range n.ports {
		if i > 0 {
			ports += ","
		}
		ports += strconv.Itoa(p)
	}
	out := append(unshare, "--", podnet, "-socks", n.dir, "-ports", ports, "--", program)
	return "unshare", append(out, args...)
}

func (n *podNetwork) close() {
	for _, l := range n.listeners {
		_ = l.Close()
	}
	_ = os.RemoveAll(n.dir)
}
