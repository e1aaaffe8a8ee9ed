package cgminer

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
)

// ErrNotRequested is returned by Reply for a command the batch did not ask.
var ErrNotRequested = replies.ErrNotRequested

// Batch holds the replies of several commands, each with its own error, so
// one failing command never loses the others. It is the reply set every
// transport shares.
type Batch = replies.Set

// Multi sends cmds joined with "+" on one connection, as cgminer-derived
// firmware supports, and falls back to one command per connection when the
// firmware rejects the joined form. A transport failure (timeout, refused)
// is not retried: the miner's deadline belongs to it alone.
//
// A miner whose joined reply had to be split is remembered (by address
// and command set, for splitTTL): its next gathers skip the joined
// request.
func (c *Client) Multi(ctx context.Context, cmds ...string) *Batch {
	b := replies.New()
	if len(cmds) == 1 {
		c.single(ctx, b, cmds[0])
		return b
	}
	joined := strings.Join(cmds, "+")
	host := hostOf(c.Addr)
	now := time.Now()
	if at, ok := splitJoins.Get(host, c.Addr+" "+joined); ok && now.Sub(at) <= splitTTL {
		c.singles(ctx, b, cmds)
		return b
	}
	buf, raw, err := c.roundTrip(ctx, Request{Command: joined}.marshal())
	if err != nil {
		for _, cmd := range cmds {
			b.Set(cmd, jsonval.Obj{}, &drivers.CommandError{Command: joined, Err: err})
		}
		return b
	}
	obj, err := Parse(c.Addr, raw)
	api := err == nil || speaksAPI(raw) // before raw goes back to the pool
	putBuf(buf)
	if !api {
		// Not the protocol at all (garbage, an HTML page, a TLS alert):
		// asking each command on its own would only multiply the
		// connections to something that is not a miner's API.
		for _, cmd := range cmds {
			b.Set(cmd, jsonval.Obj{}, &drivers.CommandError{Command: joined, Err: err})
		}
		return b
	}
	if err == nil && splitMulti(b, obj, cmds) {
		return b
	}
	// Rejected ("invalid command"), a reply without per-command sections,
	// or the API's whole reply broken by one section (a firmware's stray
	// brace): ask one at a time, so the other commands are kept.
	splitJoins.Put(host, c.Addr+" "+joined, now)
	c.singles(ctx, b, cmds)
	return b
}

// splitTTL is how long a miner whose joined reply had to be split is
// asked one command at a time without trying the joined form first: a
// firmware upgrade that fixes it is picked up within it.
const splitTTL = 10 * time.Minute

// splitJoins remembers, per miner, the joined requests that had to be
// split, and when. A lost entry costs one joined request, nothing more.
var splitJoins minercache.Cache[time.Time]

// Forget drops what the package remembers about host's replies.
func Forget(host string) { splitJoins.Forget(host) }

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// singles asks each command on its own connection, in order (drivers'
// tests pin the order; a miner whose joined form fails is the exception).
func (c *Client) singles(ctx context.Context, b *Batch, cmds []string) {
	for _, cmd := range cmds {
		if ctx.Err() != nil {
			b.Set(cmd, jsonval.Obj{}, &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%s: %w", c.Addr, drivers.ErrTimeout)})
			continue
		}
		c.single(ctx, b, cmd)
	}
}

func (c *Client) single(ctx context.Context, b *Batch, cmd string) {
	r, err := c.Command(ctx, cmd)
	b.Set(cmd, r, err)
}

// splitMulti fills b from a joined reply {"cmd":[{...}], ..., "id":1}. It
// reports false when the reply is not of that form at all.
func splitMulti(b *Batch, obj jsonval.Obj, cmds []string) bool {
	found := false
	for _, cmd := range cmds {
		if _, ok := obj.V(cmd).([]any); ok {
			found = true
		}
	}
	if !found {
		return false
	}
	for _, cmd := range cmds {
		l, ok := obj.V(cmd).([]any)
		if !ok {
			b.Set(cmd, jsonval.Obj{}, &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: missing from joined reply", drivers.ErrBadResponse)})
			continue
		}
		if len(l) == 0 {
			b.Set(cmd, jsonval.Obj{}, &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: empty section in joined reply", drivers.ErrBadResponse)})
			continue
		}
		r, ok := l[0].(jsonval.Obj)
		if !ok {
			b.Set(cmd, jsonval.Obj{}, &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: section is not an object", drivers.ErrBadResponse)})
			continue
		}
		if err := CheckStatus(cmd, r); err != nil {
			b.Set(cmd, jsonval.Obj{}, err)
			continue
		}
		b.Set(cmd, r, nil)
	}
	return true
}

// BatchFromRaw builds a Batch from recorded reply bytes, as if the miner had
// sent them: each is repaired, decoded and STATUS-checked. Tests and fuzz
// targets use it to run a driver's parser without a network.
func BatchFromRaw(addr string, raw map[string][]byte) *Batch {
	b := replies.New()
	for _, cmd := range slices.Sorted(maps.Keys(raw)) {
		obj, err := Parse(addr, raw[cmd])
		if err != nil {
			b.Set(cmd, jsonval.Obj{}, drivers.CommandErr(cmd, err))
			continue
		}
		if err := CheckStatus(cmd, obj); err != nil {
			b.Set(cmd, jsonval.Obj{}, err) // already names the command
			continue
		}
		b.Set(cmd, obj, nil)
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

// speaksAPI tells a reply that is the cgminer API, whole but broken by one
// section, from one that is not the protocol at all or was cut short: a
// complete JSON object that carries a STATUS section.
func speaksAPI(raw []byte) bool {
	t := bytes.Trim(raw, " \t\r\n\x00")
	return len(t) > 1 && t[0] == '{' && t[len(t)-1] == '}' && bytes.Contains(t, []byte(`"STATUS"`))
}
