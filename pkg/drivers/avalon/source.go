package avalon

import (
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// Where replies come from: one batch, or several asked in turn.

// Source answers the reply to one command: a *cgminer.Batch, or Sources.
type Source interface {
	Reply(cmd string) (jsonval.Obj, error)
}

// Sources asks each source in turn; the first that has a reply wins,
// otherwise the first error is returned.
type Sources []Source

// Reply implements Source.
func (s Sources) Reply(cmd string) (jsonval.Obj, error) {
	var first error
	for _, x := range s {
		r, err := x.Reply(cmd)
		if err == nil {
			return r, nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = &drivers.CommandError{Command: cmd, Err: cgminer.ErrNotRequested}
	}
	return nil, first
}
