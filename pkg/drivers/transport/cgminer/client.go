// Package cgminer is the client for the cgminer-style JSON API on TCP 4028
// that cgminer, bmminer, bosminer, LuxOS, btminer and Avalon firmware speak:
// one JSON request per connection, one JSON reply, then the miner closes.
package cgminer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

// DefaultMaxReply bounds one reply. The largest real replies (Avalon estats
// with per-chip data, btminer error lists) are a few hundred KiB.
const DefaultMaxReply = 4 << 20

// Client talks to one miner. The zero value is not usable; set Addr.
type Client struct {
	Addr     string // host:port
	MaxReply int    // bytes; 0 means DefaultMaxReply
	// Dial is used instead of a net.Dialer when set (tests, proxies).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Request is one command with an optional parameter. Extra fields (Antminer's
// "new_api") are merged into the JSON object.
type Request struct {
	Command   string
	Parameter string
	Extra     map[string]any
}

func (r Request) marshal() []byte {
	if len(r.Extra) == 0 {
		// The common request, built without a map and a reflection pass
		// per miner: {"command":"...","parameter":"..."}.
		b := make([]byte, 0, 32+len(r.Command)+len(r.Parameter))
		b = append(b, `{"command":`...)
		b = appendJSONString(b, r.Command)
		if r.Parameter != "" {
			b = append(b, `,"parameter":`...)
			b = appendJSONString(b, r.Parameter)
		}
		return append(b, '}')
	}
	m := make(map[string]any, 2+len(r.Extra))
	for k, v := range r.Extra {
		m[k] = v
	}
	m["command"] = r.Command
	if r.Parameter != "" {
		m["parameter"] = r.Parameter
	}
	b, _ := json.Marshal(m) // only strings and plain values: cannot fail
	return b
}

// appendJSONString appends s as a JSON string. Commands are plain ASCII;
// anything else goes through encoding/json's escaping.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string: cannot fail
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Raw sends req and returns the reply bytes with NULs and surrounding space
// removed. Every step runs under ctx's deadline.
func (c *Client) Raw(ctx context.Context, req []byte) ([]byte, error) {
	buf, out, err := c.roundTrip(ctx, req)
	if err != nil {
		return nil, err
	}
	reply := append([]byte(nil), out...)
	putBuf(buf)
	return reply, nil
}

// roundTrip is Raw with the reply left in a pooled buffer: the caller
// decodes it (the decoder copies what it keeps) and returns it with putBuf.
// A gather of 100,000 miners then reuses a few thousand buffers instead of
// allocating one per reply.
func (c *Client) roundTrip(ctx context.Context, req []byte) (*[]byte, []byte, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	// Closing the connection when ctx ends unblocks a read even when the
	// context has no deadline (cancellation).
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write(req); err != nil {
		return nil, nil, c.ioErr(ctx, "write", err)
	}
	// The reply's growth past the floor is charged to the gather's budget;
	// an eviction closes the connection so the read ends at once.
	share := drivers.BudgetFrom(ctx).Share(func() { conn.Close() })
	defer share.Release()
	return c.readReply(ctx, conn, share)
}

// Reply buffers come in three classes, each pooled apart: a miner waiting
// on a slow reply (most of the 2,000 in flight) holds only a small one, a
// small reply never gets a buffer a large one grew, and growth past the
// floor is charged to the budget.
const (
	smallBuf  = 4 << 10                // most replies (an S19's joined one is 5 KiB, many far less)
	maxPooled = 4 * drivers.ReplyFloor // above it a buffer grew for an outlier (or a hostile stream): not kept
)

var (
	smallPool = sync.Pool{New: func() any { b := make([]byte, 0, smallBuf); return &b }}
	floorPool = sync.Pool{New: func() any { b := make([]byte, 0, drivers.ReplyFloor); return &b }}
	largePool sync.Pool // grown buffers up to maxPooled; no New: growth allocates when empty
)

func getBuf() *[]byte { return smallPool.Get().(*[]byte) }

// putBuf returns a buffer to its class's pool; one grown past maxPooled
// is dropped, since the pool, which no budget charges while it idles,
// must not keep it alive.
func putBuf(b *[]byte) {
	if b == nil {
		return
	}
	*b = (*b)[:0]
	switch c := cap(*b); {
	case c > maxPooled:
	case c > drivers.ReplyFloor:
		largePool.Put(b)
	case c == drivers.ReplyFloor:
		floorPool.Put(b)
	case c == smallBuf:
		smallPool.Put(b)
	}
}

// grow moves buf's bytes into a buffer of the next size (the floor class,
// then doubling up to limit+1), charging what passes the floor to share;
// the old buffer goes back to its pool.
func grow(bp *[]byte, buf []byte, limit int, share *drivers.Share) (*[]byte, []byte, error) {
	var np *[]byte
	switch {
	case cap(buf) < drivers.ReplyFloor:
		np = floorPool.Get().(*[]byte)
	default:
		newCap := min(2*cap(buf), limit+1)
		if cap(buf) == drivers.ReplyFloor && newCap <= maxPooled {
			if p, ok := largePool.Get().(*[]byte); ok {
				np, newCap = p, cap(*p)
			}
		}
		if err := share.Grow(int64(newCap - max(cap(buf), drivers.ReplyFloor))); err != nil {
			if np != nil {
				largePool.Put(np)
			}
			return bp, buf, err
		}
		if np == nil {
			b := make([]byte, 0, newCap)
			np = &b
		}
	}
	nb := append((*np)[:0], buf...)
	*bp = buf
	putBuf(bp)
	return np, nb, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	var conn net.Conn
	var err error
	if c.Dial != nil {
		conn, err = c.Dial(ctx, "tcp", c.Addr)
	} else {
		conn, err = drivers.Dial(ctx, "tcp", c.Addr)
	}
	if err != nil {
		return nil, drivers.NetErr(ctx, c.Addr, "connect", err)
	}
	return conn, nil
}

func (c *Client) ioErr(ctx context.Context, op string, err error) error {
	return drivers.NetErr(ctx, c.Addr, op, err)
}

// readReply reads until the miner closes, the reply is one complete JSON
// value (some firmware keeps the connection open), or a limit is passed:
// the client's per-reply one, or the share of the gather's budget.
func (c *Client) readReply(ctx context.Context, conn net.Conn, share *drivers.Share) (*[]byte, []byte, error) {
	limit := c.MaxReply
	if limit <= 0 {
		limit = DefaultMaxReply
	}
	bp := getBuf()
	buf := (*bp)[:0]
	fail := func(err error) (*[]byte, []byte, error) {
		*bp = buf
		putBuf(bp)
		return nil, nil, err
	}
	tooBig := func() (*[]byte, []byte, error) {
		return fail(fmt.Errorf("%s: %w: reply larger than %d bytes", c.Addr, drivers.ErrBadResponse, limit))
	}
	overBudget := func(err error) (*[]byte, []byte, error) {
		return fail(fmt.Errorf("%s: read: %w", c.Addr, err))
	}
	var sc completeness
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= limit+1 {
				return tooBig()
			}
			var err error
			if bp, buf, err = grow(bp, buf, limit, share); err != nil {
				return overBudget(err)
			}
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			chunk := buf[len(buf) : len(buf)+n]
			buf = buf[:len(buf)+n]
			if len(buf) > limit {
				return tooBig()
			}
			if sc.feed(chunk) {
				if sc.tooDeep {
					return fail(fmt.Errorf("%s: %w: nested deeper than %d levels, not a miner's reply", c.Addr, drivers.ErrBadResponse, maxReplyDepth))
				}
				if sc.tooLong {
					return fail(fmt.Errorf("%s: %w: a string longer than %d bytes, not a miner's reply", c.Addr, drivers.ErrBadResponse, maxReplyString))
				}
				break
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if serr := share.Err(); serr != nil {
				return overBudget(serr)
			}
			if len(buf) > 0 && !isTimeout(ctx, err) {
				// A reset after a full reply is common; judge what arrived.
				break
			}
			return fail(c.ioErr(ctx, "read", err))
		}
	}
	*bp = buf
	out := bytes.TrimSpace(bytes.Trim(buf, "\x00"))
	if len(out) == 0 {
		return fail(fmt.Errorf("%s: %w: empty reply", c.Addr, drivers.ErrBadResponse))
	}
	return bp, out, nil
}

func isTimeout(ctx context.Context, err error) bool {
	var ne net.Error
	return ctx.Err() != nil || errors.Is(err, net.ErrClosed) || (errors.As(err, &ne) && ne.Timeout())
}

// maxReplyDepth bounds nesting while a reply streams in. Real replies nest
// at most 6 deep (8 when joined); a stream nested deeper is cut at once
// instead of being read to the size limit and refused by the decoder.
const maxReplyDepth = 64

// maxReplyString bounds one string while a reply streams in. The longest
// string of any captured reply is 6.6 KB (an Avalon's MM ID); a longer one
// than this is cut at once instead of being read (and its buffer doubled)
// to the size limit: what a miner would send it for, no field here reads.
const maxReplyString = 64 << 10

// completeness tracks brace depth outside strings to notice the end of a
// top-level JSON object without waiting for the miner to close, and a
// stream nested deeper, or a string longer, than any reply's.
type completeness struct {
	depth   int
	started bool
	inStr   bool
	esc     bool
	done    bool
	tooDeep bool
	strLen  int
	tooLong bool
}

// structural marks the bytes feed must look at outside strings; the rest
// (digits, letters, spaces, commas, colons) are skipped by one lookup.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

func (s *completeness) feed(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if s.done {
			return true
		}
		if s.inStr {
			if s.esc {
				s.esc = false
				if s.strLen++; s.strLen > maxReplyString {
					s.tooLong, s.done = true, true
					return true
				}
				continue
			}
			// Jump to the string's next quote or backslash (memchr-fast):
			// a reply is mostly strings.
			rest := b[i:]
			j := bytes.IndexByte(rest, '"')
			if j < 0 {
				j = len(rest)
			}
			if k := bytes.IndexByte(rest[:j], '\\'); k >= 0 {
				j = k
			}
			if s.strLen += j; s.strLen > maxReplyString {
				s.tooLong, s.done = true, true
				return true
			}
			i += j
			if i == len(b) {
				return false
			}
			if s.strLen++; s.strLen > maxReplyString { // the quote or backslash itself
				s.tooLong, s.done = true, true
				return true
			}
			if b[i] == '\\' {
				s.esc = true
			} else {
				s.inStr = false
			}
			continue
		}
		c := b[i]
		if !structural[c] {
			continue
		}
		switch c {
		case '"':
			s.inStr, s.strLen = true, 0
		case '{', '[':
			s.depth++
			s.started = true
			if s.depth > maxReplyDepth {
				s.tooDeep, s.done = true, true
				return true
			}
		case '}', ']':
			s.depth--
			if s.started && s.depth <= 0 {
				s.done = true
			}
		}
	}
	return s.done
}

// Parse repairs and decodes a reply into an object.
func Parse(addr string, raw []byte) (jsonval.Obj, error) {
	// Most replies are valid JSON: repair (a copy) only those that are not.
	if obj, err := jsonval.DecodeObj(raw); err == nil {
		return obj, nil
	}
	obj, err := jsonval.DecodeObj(Repair(raw))
	if err != nil {
		return jsonval.Obj{}, fmt.Errorf("%s: %w: reply is not a JSON object: %w (starts %q)", addr, drivers.ErrBadResponse, err, head(raw))
	}
	return obj, nil
}

func head(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}

// Do sends one request and returns its reply, checking the STATUS section.
func (c *Client) Do(ctx context.Context, req Request) (jsonval.Obj, error) {
	buf, raw, err := c.roundTrip(ctx, req.marshal())
	if err != nil {
		return jsonval.Obj{}, drivers.CommandErr(req.Command, err)
	}
	obj, err := Parse(c.Addr, raw)
	putBuf(buf)
	if err != nil {
		return jsonval.Obj{}, drivers.CommandErr(req.Command, err)
	}
	if err := CheckStatus(req.Command, obj); err != nil {
		return jsonval.Obj{}, err
	}
	return obj, nil
}

// Command sends one command without parameter.
func (c *Client) Command(ctx context.Context, cmd string) (jsonval.Obj, error) {
	return c.Do(ctx, Request{Command: cmd})
}

// CheckStatus turns a STATUS of E (error) or F (fatal) into an *APIError
// carrying the miner's message. Both the cgminer form (a list of objects)
// and the btminer form (top-level "STATUS":"E") are understood.
func CheckStatus(cmd string, obj jsonval.Obj) error {
	var st jsonval.Obj
	switch v := obj.V("STATUS").(type) {
	case []any:
		if len(v) > 0 {
			st, _ = v[0].(jsonval.Obj)
		}
	case jsonval.Obj:
		st = v
	case string:
		st = obj
	}
	if st.IsNil() {
		return nil
	}
	switch strings.ToUpper(st.S("STATUS")) {
	case "E", "F":
		e := &drivers.APIError{Command: cmd, Msg: st.S("Msg", "msg", "Description")}
		if code := st.I("Code"); code != nil {
			e.Code = *code
		}
		return e
	}
	return nil
}

// Section returns the objects of a reply's named list (SUMMARY, POOLS,
// STATS, DEVS, ...).
func Section(obj jsonval.Obj, name string) []jsonval.Obj {
	return obj.Objs(name)
}

// IsInvalidCommand tells the answer of firmware that lacks a command
// (cgminer and btminer: STATUS E, code 14, "Invalid command"/"invalid cmd").
// Drivers skip such commands silently: an older firmware is not a fault.
func IsInvalidCommand(err error) bool {
	var ae *drivers.APIError
	if !errors.As(err, &ae) {
		return false
	}
	m := strings.ToLower(ae.Msg)
	return ae.Code == 14 || strings.Contains(m, "invalid command") || strings.Contains(m, "invalid cmd") ||
		strings.Contains(m, "unknown command")
}
