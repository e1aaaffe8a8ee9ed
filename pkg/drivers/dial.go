package drivers

import (
	"context"
	"net"
)

// Dial opens a TCP connection to addr ("host:port") for one exchange,
// without TCP keep-alive set-up: a probe or one request per connection
// never idles long enough for a keep-alive probe to fire, and setting it
// up is four system calls a dial. Its signature is net.Dialer.DialContext's,
// so it stands in wherever a dial func is taken.
//
// Not net.Dialer.DialTCP: its local address, even the zero one, is bound
// before connecting, and bind(2) to port 0 searches the ephemeral range
// past every socket in TIME_WAIT. A range scan's tens of thousands of
// connects made that most of the box's CPU (a 10,000-address scan took 38 s
// instead of 5) and ran out of ports; connect(2) alone picks a port by the
// whole address pair.
func Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1}
	return d.DialContext(ctx, network, addr)
}
