// Package vnish is the driver for Vnish (AnthillOS) firmware on Antminers,
// read through its bmminer-style API on TCP 4028 and its web API
// (/api/v1/*, token login: POST /api/v1/unlock {"pw": password, default
// "admin"}), asked at the same time and merged (web.go).
//
// The replies are parsed by antminer.ParseBMMiner; Vnish adds:
//   - Type "Antminer S19 (Vnish 1.2.6)" -> Model "S19", FirmwareVersion
//     "1.2.6" (else stats build_version, else the Cgminer field);
//   - stats chain_consumptionN (W per chain) -> PowerWatts (sum), chain_volN
//     (mV on S21, 10 mV on S9) -> board voltage;
//   - stats state ("mining", "auto-tuning", "stopped", "failure", ...) ->
//     IsMining; chain_stateN -> board Active; chain_faultN -> Errors.
//
// Vnish 1.2.x answers "version" with "Invalid command": that is skipped, and
// the identity comes from STATS[0].
//
// The web API fills what 4028 lacks: info system.network_status {mac,
// hostname}, fw_version, hr_measure (unit of every hr_* and chain rate);
// summary.miner {miner_type, hr_realtime, hr_nominal, power_consumption W,
// miner_status.miner_state, chains[] (boards and failed-chain errors),
// cooling.fans[], pools[]}; status {miner_state, failure_code, description,
// find_miner -> FaultLight}; perf-summary current_preset -> power limit W.
//
// Kept per miner between gathers (dropped by Forget): a web port that
// refused the connection while 4028 answered (switched off, or firewalled
// with a reset) is not dialled again for 10 minutes (drivers.PortOffTTL); its
// gathers read 4028 alone, which is what they got from it anyway (a refused
// web API is no problem when 4028 answers). When 4028 fails within that
// time the memory is dropped, so the next gather asks both again.
package vnish

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/antminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

// Name is the driver name.
const Name = "vnish"

func init() {
	drivers.Register(Name, func() drivers.Driver {
		return Driver{Web: httpapi.NewTransport(httpapi.Options{}), WebOff: &drivers.PortOff{}}
	})
}

// Driver gathers Vnish firmware. Web is shared by all its miners.
type Driver struct {
	Web *httpapi.Transport
	// WebOff keeps, per miner, a web port that refused while 4028
	// answered; nil keeps nothing.
	WebOff *drivers.PortOff
}

// Name implements drivers.Driver.
func (Driver) Name() string { return Name }

// Gather asks the 4028 API (one joined request) and the web API (one
// login, then each page on a keep-alive connection) at the same time and
// merges them; it fails only when neither answered.
func (dr Driver) Gather(ctx context.Context, t drivers.Target) (*drivers.MinerData, error) {
	if dr.WebOff.Off(t.Host, t.WebAddr(), time.Now()) {
		b := (&cgminer.Client{Addr: t.RPCAddr()}).Multi(ctx, antminer.Commands...)
		if err := b.Err(); err != nil {
			return nil, dr.WebOff.OtherFailed(t.Host, t.WebAddr(), wrapRPC(t, err))
		}
		return ParseWithWeb(b, nil), nil
	}
	tr := httpapi.Shared(dr.Web)
	var wg sync.WaitGroup
	var w *httpapi.Replies
	wg.Add(1)
	go func() {
		defer wg.Done()
		w = tr.Client(WebConfig(t)).GetAll(ctx, WebEndpoints, WebPath)
	}()
	b := (&cgminer.Client{Addr: t.RPCAddr()}).Multi(ctx, antminer.Commands...)
	wg.Wait()
	if err := drivers.BothFailed(wrapRPC(t, b.Err()), w.Err()); err != nil {
		return nil, err
	}
	if drivers.RefusedAlone(b.Answered(), w.Answered(), w.Err()) {
		dr.WebOff.Refused(t.Host, t.WebAddr(), time.Now())
	}
	return ParseWithWeb(b, w), nil
}

func wrapRPC(t drivers.Target, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", t.RPCAddr(), err)
}

var options = antminer.Options{
	Firmware: "vnish",
	Optional: []string{"version"},
	Board:    board,
}

// Parse reads the replies to antminer.Commands from a Vnish miner.
func Parse(b *cgminer.Batch) *drivers.MinerData {
	d := antminer.ParseBMMiner(b, options)
	var typ, cgminerVer string
	if r, err := b.Reply("version"); err == nil {
		if vs := r.Objs("VERSION"); len(vs) > 0 {
			typ = vs[0].S("Type")
		}
	}
	var data jsonval.Obj
	if r, err := b.Reply("stats"); err == nil {
		var info jsonval.Obj
		info, data = antminer.StatsEntries(r)
		if !info.IsNil() {
			if typ == "" {
				typ = info.S("Type")
			}
			cgminerVer = info.S("Cgminer")
		}
	}
	d.FirmwareVersion = antminer.VnishVersion(typ)
	if d.FirmwareVersion == "" && !data.IsNil() {
		d.FirmwareVersion = data.S("build_version")
	}
	if d.FirmwareVersion == "" {
		// Vnish 1.2.x puts its own version in STATS[0].Cgminer.
		d.FirmwareVersion = cgminerVer
	}
	if !data.IsNil() {
		if st := strings.ToLower(data.S("state")); st != "" {
			switch st {
			case "stopped", "shutting-down", "failure", "sleeping", "suspended":
				d.IsMining = drivers.Ptr(false)
			default:
				d.IsMining = drivers.Ptr(true)
			}
		}
	}
	return d
}

// board adds Vnish's per-chain state and fault.
func board(d *drivers.MinerData, b *drivers.Board, stats jsonval.Obj, chains []int) {
	for _, n := range chains {
		s := strconv.Itoa(n)
		if st := strings.ToLower(stats.S("chain_state" + s)); st != "" {
			b.Active = drivers.Ptr(st == "mining" || st == "auto-tuning")
		}
		if fault := stats.S("chain_fault" + s); fault != "" {
			d.Errors = append(d.Errors, drivers.MinerError{
				Message: fmt.Sprintf("chain %d (board %d): %s", n, b.Index, fault),
			})
		}
	}
}

// Forget implements drivers.Forgetter: the web sessions and a refused web
// port kept for host are dropped (the plugin calls it when the miner leaves
// its inventory).
func (dr Driver) Forget(host string) {
	httpapi.Shared(dr.Web).Forget(host)
	dr.WebOff.Forget(host)
}
