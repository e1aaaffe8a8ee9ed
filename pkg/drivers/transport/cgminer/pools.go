package cgminer

import (
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/poolmetrics"
)

// Pools reads a cgminer-style POOLS reply, which cgminer, bmminer,
// bosminer, LuxOS, btminer and Avalon firmware all share (and the web
// lists of Goldshell and Innosilicon, in lower case). A pool whose URL
// cannot be parsed keeps its raw URL and all its other fields.
func Pools(reply jsonval.Obj) []poolmetrics.Pool {
	entries := reply.Objs("POOLS")
	out := make([]poolmetrics.Pool, 0, len(entries))
	for i, e := range entries {
		p := poolmetrics.Pool{
			Index:          i,
			URL:            poolmetrics.ParseURL(e.S("URL", "url")),
			User:           e.S("User", "user"),
			Accepted:       e.I("Accepted", "accepted"),
			Rejected:       e.I("Rejected", "rejected"),
			Stale:          e.I("Stale", "stale"),
			GetFailures:    e.I("Get Failures"),
			RemoteFailures: e.I("Remote Failures"),
			Active:         e.B("Stratum Active", "active"), // "active": Goldshell's web list
		}
		if n := e.I("POOL"); n != nil && *n >= 0 && *n < 1<<16 {
			p.Index = int(*n)
		}
		if st := e.S("Status", "status"); st != "" {
			alive := strings.EqualFold(st, "Alive")
			p.Alive = &alive
		}
		out = append(out, p)
	}
	return out
}
