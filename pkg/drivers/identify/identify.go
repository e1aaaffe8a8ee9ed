// Package identify tells which driver a miner needs, and what make, model
// and firmware it is, from what its APIs say about themselves. The order of
// the probes is fixed and documented (see IdentifyMiner), not a race: the
// same miner always gets the same answer.
package identify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// rule maps a marker in a 4028 reply (upper-cased) to a driver. The first
// rule that matches wins, so firmware built on another's code comes first:
// Braiins, Whatsminer, LuxOS, Hiveon, MaraFW and Vnish all run on
// Bitmain-style hardware and say "Antminer" or "bmminer" somewhere too.
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
	{[]byte("KAONSU"), "marathon"},
	{[]byte("MARAFW"), "marathon"},
	// MSKMiner's bmminer says "rwglr" (as Hiveon's does, hence after it):
	// it is Bitmain's API and stays antminer whatever else it mentions.
	{[]byte("RWGLR"), "antminer"},
	{[]byte("VNISH"), "vnish"},
	{[]byte("GCMINER"), "auradine"},
	{[]byte("FLUXOS"), "auradine"},
	{[]byte("INNOMINER"), "innosilicon"},
	{[]byte("AVALON"), "avalon"},
	{[]byte(`"MM ID`), "avalon"}, // Canaan's per-module stats blob
	// Goldshell's cgminer forks name themselves in every STATUS.
	{[]byte("INTMINER"), "goldshell"},
	{[]byte("INTCHAINS_QOMO"), "goldshell"},
	{[]byte("KDAMINER"), "goldshell"},
	{[]byte("BFGMINER"), "goldshell"},
	// Hammer's ccminer (TCP 8359 when configured) reports Type "Hammer D10".
	{[]byte(`"HAMMER `), "hammer"},
	{[]byte("ANTMINER"), "antminer"},
	{[]byte("BMMINER"), "antminer"},
	{[]byte("BITMAIN"), "antminer"},
}

// Match applies the rules to the replies a miner gave, in order.
func Match(replies ...[]byte) (string, bool) {
	upper := make([][]byte, len(replies))
	for i, r := range replies {
		upper[i] = bytes.ToUpper(r)
	}
	for _, r := range rules {
		for _, reply := range upper {
			if bytes.Contains(reply, r.marker) {
				return r.driver, true
			}
		}
	}
	return "", false
}

// probeCommands are what Probe asks, in order.
var probeCommands = []string{"version", "devdetails", "stats"}

// Probe asks the miner's 4028 API "version", then "devdetails", then
// "stats" (whose Type names Vnish on firmware whose version command fails),
// and stops at the first reply that decides. It returns drivers.ErrUnsupported (wrapped)
// when the miner answers but says nothing known, and the transport's error
// when it does not answer at all.
func Probe(ctx context.Context, t drivers.Target) (string, error) {
	r := probeRPC(ctx, t, nil, 0)
	return r.driver, r.err
}

// rpcResult is what the 4028 probe learnt.
type rpcResult struct {
	driver  string
	replies map[string][]byte // command -> reply, for identity
	speaks  bool              // the port answered in the cgminer protocol
	err     error
}

// probeRPC runs Probe's commands, each under timeout when it is not 0.
func probeRPC(ctx context.Context, t drivers.Target, dial dialFunc, timeout time.Duration) rpcResult {
	c := &cgminer.Client{Addr: t.RPCAddr(), MaxReply: 1 << 20, Dial: dial}
	res := rpcResult{replies: map[string][]byte{}}
	var seen [][]byte
	var firstErr error
	for _, cmd := range probeCommands {
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			cctx, cancel = context.WithTimeout(ctx, timeout)
		}
		raw, err := c.Raw(cctx, []byte(`{"command":"`+cmd+`"}`))
		cancel()
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
		if bytes.HasPrefix(raw, []byte("HTTP/")) {
			// An HTTP server (ePIC's API) on this port: the other
			// commands would get the same 400.
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: command %q: %w: the port speaks HTTP, not the cgminer API", c.Addr, cmd, drivers.ErrBadResponse)
			}
			break
		}
		if _, err := cgminer.Parse(c.Addr, raw); err != nil {
			// Garbage, an HTML page, half a reply: not a cgminer-style API.
			if firstErr == nil {
				firstErr = fmt.Errorf("command %q: %w", cmd, err)
			}
			continue
		}
		res.speaks = true
		res.replies[cmd] = raw
		seen = append(seen, raw)
		d, ok := Match(seen...)
		// Firmware built on Bitmain's names itself in its version reply
		// (Vnish, Hiveon, LuxOS, MSKMiner): a version that answers and says
		// only "Antminer" is stock, and the other probes would add nothing.
		if ok && (d != "antminer" || cmd == "version") {
			res.driver = d
			return res
		}
	}
	if d, ok := Match(seen...); ok {
		res.driver = d
		return res
	}
	if len(seen) == 0 {
		res.err = fmt.Errorf("identify: %w", firstErr)
		return res
	}
	res.err = fmt.Errorf("identify %s: %w: no known firmware in its version, devdetails or stats replies", t.RPCAddr(), drivers.ErrUnsupported)
	return res
}
