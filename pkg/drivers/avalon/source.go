package avalon

import (
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Source answers the reply to one command: a *cgminer.Batch (a
// replies.Set, which Gather fills from stats when estats is missing).
type Source interface {
	Reply(cmd string) (jsonval.Obj, error)
}
