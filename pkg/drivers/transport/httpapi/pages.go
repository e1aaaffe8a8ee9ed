package httpapi

import (
	"errors"
	"fmt"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Pages returns the pages of w that answered, by name. Every other failure
// is a problem of d naming the page's path ("web /cgi-bin/stats.cgi: ..."),
// except a page the firmware lacks (404: an older release) or one this
// gather did not ask: neither is a fault. A page that answered has the
// value nil in the result only when it is absent.
func Pages(d *drivers.MinerData, w *Replies, names []string, path func(name string) string) map[string]jsonval.Obj {
	out := make(map[string]jsonval.Obj, len(names))
	for _, n := range names {
		r, err := w.Reply(n)
		if err != nil {
			if !IsNotFound(err) && !errors.Is(err, ErrNotRequested) {
				d.Problem(fmt.Errorf("web %s: %w", path(n), err))
			}
			continue
		}
		out[n] = r
	}
	return out
}
