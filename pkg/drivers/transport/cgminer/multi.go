package cgminer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// ErrNotRequested is returned by Reply for a command the batch did not ask.
var ErrNotRequested = errors.New("not requested")

// Batch holds the replies of several commands, each with its own error, so
// one failing command never loses the others.
type Batch struct {
	replies map[string]jsonval.Obj
	errs    map[string]error
}

// Reply returns the reply to cmd, or why there is none.
func (b *Batch) Reply(cmd string) (jsonval.Obj, error) {
	if r, ok := b.replies[cmd]; ok {
		return r, nil
	}
	if err, ok := b.errs[cmd]; ok {
		return nil, err
	}
	return nil, &drivers.CommandError{Command: cmd, Err: ErrNotRequested}
}

// Err is nil when at least one command answered; otherwise the errors,
// joined. A miner that answers nothing is down; one that rejects some
// commands is not.
func (b *Batch) Err() error {
	if len(b.replies) > 0 {
		return nil
	}
	errs := make([]error, 0, len(b.errs))
	for _, e := range b.errs {
		errs = append(errs, e)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// Multi sends cmds joined with "+" on one connection, as cgminer-derived
// firmware supports, and falls back to one command per connection when the
// firmware rejects the joined form. A transport failure (timeout, refused)
// is not retried: the miner's deadline belongs to it alone.
func (c *Client) Multi(ctx context.Context, cmds ...string) *Batch {
	b := &Batch{replies: map[string]jsonval.Obj{}, errs: map[string]error{}}
	if len(cmds) == 1 {
		c.single(ctx, b, cmds[0])
		return b
	}
	joined := strings.Join(cmds, "+")
	buf, raw, err := c.roundTrip(ctx, Request{Command: joined}.marshal())
	if err != nil {
		for _, cmd := range cmds {
			b.errs[cmd] = &drivers.CommandError{Command: joined, Err: err}
		}
		return b
	}
	obj, err := Parse(c.Addr, raw)
	putBuf(buf)
	if err == nil && splitMulti(b, obj, cmds) {
		return b
	}
	// Rejected ("invalid command"), or a reply without per-command
	// sections: ask one at a time.
	for _, cmd := range cmds {
		if ctx.Err() != nil {
			b.errs[cmd] = &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%s: %w", c.Addr, drivers.ErrTimeout)}
			continue
		}
		c.single(ctx, b, cmd)
	}
	return b
}

func (c *Client) single(ctx context.Context, b *Batch, cmd string) {
	r, err := c.Command(ctx, cmd)
	if err != nil {
		b.errs[cmd] = err
		return
	}
	b.replies[cmd] = r
}

// splitMulti fills b from a joined reply {"cmd":[{...}], ..., "id":1}. It
// reports false when the reply is not of that form at all.
func splitMulti(b *Batch, obj jsonval.Obj, cmds []string) bool {
	found := false
	for _, cmd := range cmds {
		l, ok := obj[cmd].([]any)
		if !ok {
			continue
		}
		found = true
		if len(l) == 0 {
			b.errs[cmd] = &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: empty section in joined reply", drivers.ErrBadResponse)}
			continue
		}
		r, ok := l[0].(map[string]any)
		if !ok {
			b.errs[cmd] = &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: section is not an object", drivers.ErrBadResponse)}
			continue
		}
		if err := CheckStatus(cmd, r); err != nil {
			b.errs[cmd] = err
			continue
		}
		b.replies[cmd] = r
	}
	if !found {
		return false
	}
	for _, cmd := range cmds {
		if _, ok := b.replies[cmd]; !ok {
			if _, ok := b.errs[cmd]; !ok {
				b.errs[cmd] = &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: missing from joined reply", drivers.ErrBadResponse)}
			}
		}
	}
	return true
}

// BatchFromRaw builds a Batch from recorded reply bytes, as if the miner had
// sent them: each is repaired, decoded and STATUS-checked. Tests and fuzz
// targets use it to run a driver's parser without a network.
func BatchFromRaw(addr string, raw map[string][]byte) *Batch {
	b := &Batch{replies: map[string]jsonval.Obj{}, errs: map[string]error{}}
	for cmd, r := range raw {
		obj, err := Parse(addr, r)
		if err != nil {
			b.errs[cmd] = drivers.CommandErr(cmd, err)
			continue
		}
		if err := CheckStatus(cmd, obj); err != nil {
			b.errs[cmd] = err // already names the command
			continue
		}
		b.replies[cmd] = obj
	}
	return b
}

// Gather is the whole Gather of a driver that only needs the 4028 API: ask
// cmds at t's RPC port and parse what answered. It fails only when nothing
// answered, with the transport's error.
func Gather(ctx context.Context, t drivers.Target, cmds []string, parse func(*Batch) *drivers.MinerData) (*drivers.MinerData, error) {
	c := &Client{Addr: t.RPCAddr()}
	b := c.Multi(ctx, cmds...)
	if err := b.Err(); err != nil {
		return nil, err
	}
	return parse(b), nil
}
