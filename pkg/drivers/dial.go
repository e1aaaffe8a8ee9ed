package drivers

import (
	"context"
	"net"
	"net/netip"
)

// Dial opens a TCP connection to addr ("host:port") for one exchange: an
// IP address (what the plugin always has) is dialled without the resolver
// and its address-family racing, and no TCP keep-alive is set up (a probe
// or one request per connection never idles long enough for one to fire,
// and setting it up is four system calls a dial). Its signature is
// net.Dialer.DialContext's, so it stands in wherever a dial func is taken.
func Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1}
	if network == "tcp" {
		if ap, err := netip.ParseAddrPort(addr); err == nil {
			tc, err := d.DialTCP(ctx, "tcp", netip.AddrPort{}, ap)
			if err != nil {
				if oe, ok := err.(*net.OpError); ok { //nolint:errorlint // DialTCP's own error, not wrapped
					oe.Source = nil // no local address was asked for: say so as DialContext does
				}
				return nil, err
			}
			return tc, nil
		}
	}
	return d.DialContext(ctx, network, addr)
}
