package cgminer

import (
	"errors"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// Replies returns the replies of cmds that answered, by command. Every
// other failure is a problem of d naming the command, except for a
// command mayLack says the firmware may not have (an older release; nil:
// every command is expected): its "Invalid command", or its absence from
// b (a recorded capture without it), is no problem.
func Replies(d *drivers.MinerData, b *Batch, cmds []string, mayLack func(cmd string) bool) map[string]jsonval.Obj {
	out := make(map[string]jsonval.Obj, len(cmds))
	for _, cmd := range cmds {
		o, err := b.Reply(cmd)
		switch {
		case err == nil:
			out[cmd] = o
		case mayLack != nil && mayLack(cmd) && (IsInvalidCommand(err) || errors.Is(err, ErrNotRequested)):
		default:
			d.Problem(drivers.CommandErr(cmd, err))
		}
	}
	return out
}

// AnyMayLack is Replies' mayLack for firmware where any command may be
// missing from a release.
func AnyMayLack(string) bool { return true }
