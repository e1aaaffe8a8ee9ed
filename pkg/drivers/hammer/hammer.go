// Package hammer is the driver for Hammer scrypt miners (D10, ...): a
// ccminer cgminer-style API on TCP 8359 plus a Bitmain-style web UI with
// HTTP Digest auth (default root/root).
//
// The RPC port is t.Ports.RPC when the user configured one, else 8359 (the
// plugin leaves Ports.RPC 0 unless configured; 4028 is not this API).
//
//   - version: Type "Hammer D10" -> Model "D10", CompileTime ->
//     FirmwareVersion, API -> APIVersion.
//   - summary: "MHS 5s" (MH/s; "MHS av" is since start, no ~1 minute
//     average) -> Hashrate, Elapsed -> UptimeSeconds.
//   - stats (STATS[1]): chain_rateN (MH/s), chain_acnN, tempN (one board
//     sensor per chain) -> Boards; fan_num + fanN -> Fans.
//   - pools: the standard cgminer mapping.
//   - web get_system_info: macaddr, hostname; summary status[] -> Errors;
//     get_blink_status blink -> FaultLight (the D10 answers {"code":
//     "B000"}, which says nothing certain: absent); get_miner_conf
//     bitmain-work-mode 1 = sleep -> IsMining false.
//
// Quirks: rates are MH/s whatever the keys say; padding chain 4 (acn 0,
// rate "") is not a board; the web summary of the recorded D10 is an
// Antminer S19j's (INFO.type), so only its status list is used.
//
// Kept per miner between gathers (dropped by Forget): a web UI that refused
// the connection while the RPC answered is not dialled again for
// drivers.PortOffTTL (10 minutes), as Vnish and stock Antminer do; when
// the RPC fails within that time both are asked again next gather.
package hammer

import (
	"context"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "hammer"

// DefaultRPCPort is where ccminer listens on Hammer firmware.
const DefaultRPCPort = 8359

// Pages are the web pages read.
var Pages = []string{"get_system_info", "summary", "get_blink_status", "get_miner_conf"}

func init() {
	drivers.Register(Name, func() drivers.Driver {
		return Driver{Web: httpapi.NewTransport(httpapi.Options{}), WebOff: &drivers.PortOff{}}
	})
}

// Driver gathers Hammer miners.
type Driver struct {
	Web *httpapi.Transport
	// WebOff keeps, per miner, a web UI that refused while the RPC API
	// answered: it is not dialled for drivers.PortOffTTL. nil keeps nothing.
	WebOff *drivers.PortOff
}

// Forget implements drivers.Forgetter: the web sessions and the web-off
// mark kept for host are dropped (the plugin calls it when the miner
// leaves its inventory).
func (dr Driver) Forget(host string) {
	dr.WebOff.Forget(host)
	httpapi.Shared(dr.Web).Forget(host)
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// RPCTarget is t with the ccminer port unless the user set one.
func RPCTarget(t drivers.Target) drivers.Target {
	if t.Ports.RPC == 0 {
		t.Ports.RPC = DefaultRPCPort
	}
	return t
}

// Gather asks the RPC (joined when ccminer accepts it) and the web pages
// at the same time.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	if dr.WebOff.Off(t.Host, t.WebAddr(), time.Now()) {
		b := (&cgminer.Client{Addr: RPCTarget(t).RPCAddr()}).Multi(ctx, antminer.Commands...)
		if err := b.Err(); err != nil {
			return nil, dr.WebOff.OtherFailed(t.Host, t.WebAddr(), err)
		}
		return Parse(b, nil), nil
	}
	tr := httpapi.Shared(dr.Web)
	var wg sync.WaitGroup
	var w *httpapi.Replies
	wg.Add(1)
	go func() {
		defer wg.Done()
		w = tr.Client(antminer.WebConfig(t)).GetAll(ctx, Pages, antminer.WebPath)
	}()
	b := (&cgminer.Client{Addr: RPCTarget(t).RPCAddr()}).Multi(ctx, antminer.Commands...)
	wg.Wait()
	if err := drivers.BothFailed(b.Err(), w.Err()); err != nil {
		return nil, err
	}
	if drivers.RefusedAlone(b.Answered(), w.Answered(), w.Err()) {
		dr.WebOff.Refused(t.Host, t.WebAddr(), time.Now())
	}
	return Parse(b, w), nil
}

var options = antminer.Options{Algorithm: "scrypt"}

// Parse merges the RPC replies and the web pages; either may be nil.
func Parse(b *cgminer.Batch, w *httpapi.Replies) *drivers.MinerData {
	d := &drivers.MinerData{}
	if b.Answered() {
		d = antminer.ParseBMMiner(b, options)
	}
	d.Make = "Hammer"
	d.Firmware = "stock"
	d.Algorithm = "scrypt"
	d.Model = cleanModel(d.Model)
	if _, webUp := replies.TwoAPIs(d, b, w); !webUp {
		return d
	}
	rs := httpapi.Pages(d, w, Pages, antminer.WebPath)
	si := rs["get_system_info"]
	web := &drivers.MinerData{Model: cleanModel(si.S("minertype")), FirmwareVersion: si.S("system_filesystem_version"),
		Errors: antminer.WebErrors(rs["summary"]), FaultLight: antminer.WebFaultLight(rs["get_blink_status"])}
	antminer.WebIdentity(web, si)
	drivers.Merge(d, web)
	if s := antminer.WebSleeping(d, rs["get_miner_conf"], "bitmain-work-mode"); s != nil && *s {
		d.IsMining = drivers.Ptr(false)
	}
	return d
}

func cleanModel(s string) string {
	m := antminer.CleanModel(s)
	for _, p := range []string{"Hammer ", "hammer ", "HAMMER "} {
		if len(m) > len(p) && m[:len(p)] == p {
			return m[len(p):]
		}
	}
	return m
}
