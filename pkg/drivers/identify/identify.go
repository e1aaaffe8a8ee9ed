// Package identify tells which driver a miner needs from what its
// cgminer-style API says about itself. The order is fixed and documented,
// not a race: the same miner always gets the same answer.
package identify

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// rule maps a marker in a reply (upper-cased) to a driver. The first rule
// that matches wins, so firmware built on another's code comes first:
// Braiins, Whatsminer, LuxOS, Hiveon and Vnish all run on Bitmain-style
// hardware and say "Antminer" or "bmminer" somewhere too.
type rule struct {
	marker []byte
	driver string
}

var rules = []rule{
	{[]byte("BOSMINER"), "braiins"},
	{[]byte("BOSER"), "braiins"},
	{[]byte("BRAIINS"), "braiins"},
	{[]byte("BTMINER"), "whatsminer"},
	{[]byte("BITMICRO"), "whatsminer"},
	{[]byte("WHATSMINER"), "whatsminer"},
	{[]byte("LUXMINER"), "luxos"},
	{[]byte("HIVEON"), "hiveon"},
	{[]byte("VNISH"), "vnish"},
	{[]byte("AVALON"), "avalon"},
	{[]byte(`"MM ID`), "avalon"}, // Canaan's per-module stats blob
	{[]byte("ANTMINER"), "antminer"},
	{[]byte("BMMINER"), "antminer"},
	{[]byte("BITMAIN"), "antminer"},
}

// Match applies the rules to the replies a miner gave, in order.
func Match(replies ...[]byte) (string, bool) {
	for _, r := range rules {
		for _, reply := range replies {
			if bytes.Contains(bytes.ToUpper(reply), r.marker) {
				return r.driver, true
			}
		}
	}
	return "", false
}

// Probe asks the miner's 4028 API "version", then "devdetails", then
// "stats" (whose Type names Vnish on firmware whose version command fails),
// and stops at the first reply that decides. It returns drivers.ErrUnsupported (wrapped)
// when the miner answers but says nothing known, and the transport's error
// when it does not answer at all.
func Probe(ctx context.Context, t drivers.Target) (string, error) {
	c := &cgminer.Client{Addr: t.RPCAddr(), MaxReply: 1 << 20}
	var seen [][]byte
	var firstErr error
	for _, cmd := range []string{"version", "devdetails", "stats"} {
		raw, err := c.Raw(ctx, []byte(`{"command":"`+cmd+`"}`))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			// A miner that does not answer at all will not answer the next
			// probe either; do not spend its deadline.
			if errors.Is(err, drivers.ErrTimeout) || errors.Is(err, drivers.ErrRefused) {
				break
			}
			continue
		}
		if _, err := cgminer.Parse(c.Addr, raw); err != nil {
			// Garbage, an HTML page, half a reply: not a cgminer-style API.
			if firstErr == nil {
				firstErr = fmt.Errorf("command %q: %w", cmd, err)
			}
			continue
		}
		seen = append(seen, raw)
		d, ok := Match(seen...)
		// Firmware built on Bitmain's names itself in its version reply
		// (Vnish, Hiveon, LuxOS, MSKMiner): a version that answers and says
		// only "Antminer" is stock, and the other probes would add nothing.
		if ok && (d != "antminer" || cmd == "version") {
			return d, nil
		}
	}
	if d, ok := Match(seen...); ok {
		return d, nil
	}
	if len(seen) == 0 {
		return "", fmt.Errorf("identify: %w", firstErr)
	}
	return "", fmt.Errorf("identify %s: %w: no known firmware in its version, devdetails or stats replies", t.RPCAddr(), drivers.ErrUnsupported)
}
