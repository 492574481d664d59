package source

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// CountingClient returns an HTTP client for a store's API that adds to
// wire every byte its connections read and write (requests and answers,
// headers included): the figure behind "bytes over the wire" of a trace.
func CountingClient(wire *atomic.Int64) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, n: wire}, nil
	}
	return &http.Client{Transport: tr}
}

// countingConn counts the bytes a connection moves.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}
