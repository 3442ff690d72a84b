// Package relay copies connections from a listener to a dialed peer, both
// ways: how a pod's network (cmd/podnet) and the runtime's host side reach
// each other through Unix sockets.
package relay

import (
	"io"
	"net"
)

// Serve relays every connection accepted on l to a connection from dial,
// until l is closed.
func Serve(l net.Listener, dial func() (net.Conn, error)) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			peer, err := dial()
			if err != nil {
				return
			}
			defer peer.Close()
			go func() {
				_, _ = io.Copy(peer, c)
				if cw, ok := peer.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				}
			}()
			_, _ = io.Copy(c, peer)
		}()
	}
}
