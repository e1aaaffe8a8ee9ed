// Package btminerv3 is the client for the Whatsminer API v3 (btminer
// firmware from late 2024) on TCP 4433.
//
// Framing, both ways: a 4-byte little-endian length, then that many bytes of
// UTF-8 JSON. One request per connection. Requests are
// {"cmd":"get.device.info","param":null}; replies are
// {"code":0,"when":..,"msg":{...}|"text","desc":"<cmd>"}, where a code other
// than 0 is the miner refusing (-1 fail, -2 invalid command, -3 invalid JSON
// item, -4 no permission, -5 out of memory).
//
// Reads (get.*) need no credentials. Only writes (set.*) carry a token, see
// Token; this project never writes, so no read path asks for the salt.
package btminerv3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// DefaultPort is where the firmware listens; it cannot be changed on the
// miner.
const DefaultPort = 4433

// DefaultMaxReply bounds one reply. The largest read reply
// (get.device.info with a long error list) is a few KiB.
const DefaultMaxReply = 4 << 20

// Reply codes the firmware documents.
const (
	CodeOK             = 0
	CodeFail           = -1
	CodeInvalidCommand = -2
	CodeInvalidItem    = -3
	CodeNoPermission   = -4
	CodeOutOfMemory    = -5
)

// Client talks to one miner's API v3. Set Addr (host:port).
type Client struct {
	Addr     string
	MaxReply int // bytes; 0 means DefaultMaxReply
	// Dial is used instead of a net.Dialer when set (tests, proxies).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

type request struct {
	Cmd   string `json:"cmd"`
	Param any    `json:"param"`
}

// Call sends cmd with param (nil is sent as null) and returns the whole
// reply object (code, when, msg, desc) when its code is 0. A refusal is an
// *drivers.APIError; "no permission" also wraps drivers.ErrAuth.
func (c *Client) Call(ctx context.Context, cmd string, param any) (jsonval.Obj, error) {
	body, err := json.Marshal(request{Cmd: cmd, Param: param})
	if err != nil {
		return jsonval.Obj{}, &drivers.CommandError{Command: cmd, Err: err}
	}
	raw, err := c.Raw(ctx, body)
	if err != nil {
		return jsonval.Obj{}, drivers.CommandErr(cmd, err)
	}
	return ParseReply(c.Addr, cmd, raw)
}

// Raw sends one framed request and returns the reply payload. Connect,
// write and read all run under ctx's deadline.
func (c *Client) Raw(ctx context.Context, body []byte) ([]byte, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Closing on cancellation unblocks I/O even without a deadline.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if err := WriteFrame(conn, body); err != nil {
		return nil, c.ioErr(ctx, "write", err)
	}
	limit := c.MaxReply
	if limit <= 0 {
		limit = DefaultMaxReply
	}
	// Growth past the floor is charged to the gather's budget; an eviction
	// closes the connection so the read ends at once.
	share := drivers.BudgetFrom(ctx).Share(func() { conn.Close() })
	defer share.Release()
	payload, err := readFrame(conn, limit, share)
	if err != nil {
		if serr := share.Err(); serr != nil {
			err = serr
		}
		if errors.Is(err, drivers.ErrBadResponse) && ctx.Err() == nil {
			return nil, fmt.Errorf("%s: %w", c.Addr, err)
		}
		return nil, c.ioErr(ctx, "read", err)
	}
	return payload, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	dial := c.Dial
	if dial == nil {
		dial = drivers.Dial
	}
	conn, err := dial(ctx, "tcp", c.Addr)
	if err != nil {
		return nil, drivers.NetErr(ctx, c.Addr, "connect", err)
	}
	return conn, nil
}

func (c *Client) ioErr(ctx context.Context, op string, err error) error {
	return drivers.NetErr(ctx, c.Addr, op, err)
}

// WriteFrame writes the length prefix and payload in one write.
func WriteFrame(w io.Writer, payload []byte) error {
	if uint64(len(payload)) > 1<<31-1 {
		return fmt.Errorf("frame of %d bytes is too large", len(payload))
	}
	buf := make([]byte, 4+len(payload))
	binary.LittleEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[4:], payload)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one length-prefixed frame of at most limit bytes. A
// length of 0, one with the high bit set, or one over limit is
// drivers.ErrBadResponse, and the claimed length is never allocated up
// front: the buffer grows only with bytes that really arrive. A frame cut
// short is drivers.ErrBadResponse; other read errors are returned wrapped
// as they are (the caller tells timeouts apart).
func ReadFrame(r io.Reader, limit int) ([]byte, error) {
	return readFrame(r, limit, nil)
}

// readFrame is ReadFrame charging the buffer's growth past
// drivers.ReplyFloor to share.
func readFrame(r io.Reader, limit int, share *drivers.Share) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: connection closed before a length prefix", drivers.ErrBadResponse)
		}
		return nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: length prefix is 0", drivers.ErrBadResponse)
	case n&0x80000000 != 0:
		return nil, fmt.Errorf("%w: length prefix %#08x has the high bit set", drivers.ErrBadResponse, n)
	case limit <= 0 || uint64(n) > uint64(limit):
		return nil, fmt.Errorf("%w: length prefix %d is over the %d-byte limit", drivers.ErrBadResponse, n, limit)
	}
	// Grow with the bytes that arrive, never to the claimed length at once.
	buf := make([]byte, 0, min(int(n), drivers.ReplyFloor))
	for len(buf) < int(n) {
		if len(buf) == cap(buf) {
			newCap := min(2*cap(buf), int(n))
			if err := share.Grow(int64(newCap - max(cap(buf), drivers.ReplyFloor))); err != nil {
				return nil, err
			}
			grown := make([]byte, len(buf), newCap)
			copy(grown, buf)
			buf = grown
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if len(buf) == int(n) {
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: reply cut short: %d of %d bytes", drivers.ErrBadResponse, len(buf), n)
			}
			return nil, err
		}
	}
	return buf, nil
}

// ParseReply decodes a reply payload and checks its code. addr only labels
// errors.
func ParseReply(addr, cmd string, raw []byte) (jsonval.Obj, error) {
	obj, err := jsonval.DecodeObj(raw)
	if err != nil {
		// cJSON output is valid JSON; the repair is for odd builds only.
		if obj2, err2 := jsonval.DecodeObj(cgminer.Repair(raw)); err2 == nil {
			obj, err = obj2, nil
		}
	}
	if err != nil {
		return jsonval.Obj{}, fmt.Errorf("%s: %w", addr, &drivers.CommandError{Command: cmd,
			Err: fmt.Errorf("%w: reply is not a JSON object: %w (starts %q)", drivers.ErrBadResponse, err, head(raw))})
	}
	rawCode, ok := obj.Lookup("code")
	if !ok {
		return jsonval.Obj{}, fmt.Errorf("%s: %w", addr, &drivers.CommandError{Command: cmd, Err: fmt.Errorf("%w: reply has no code", drivers.ErrBadResponse)})
	}
	code := jsonval.Int(rawCode)
	if code == nil {
		return jsonval.Obj{}, fmt.Errorf("%s: %w", addr, &drivers.CommandError{Command: cmd,
			Err: fmt.Errorf("%w: code %.20q is not a number", drivers.ErrBadResponse, fmt.Sprint(rawCode))})
	}
	if *code == CodeOK {
		return obj, nil
	}
	e := &drivers.APIError{Command: cmd, Code: *code, Msg: obj.S("msg")}
	if e.Msg == "" {
		e.Msg = "code " + strconv.FormatInt(*code, 10)
	}
	if *code == CodeNoPermission {
		return jsonval.Obj{}, fmt.Errorf("%s: %w: %w", addr, drivers.ErrAuth, e)
	}
	return jsonval.Obj{}, e
}

// IsInvalidCommand tells the answer of firmware that lacks a command or a
// parameter value (code -2): drivers skip those silently.
func IsInvalidCommand(err error) bool {
	var ae *drivers.APIError
	return errors.As(err, &ae) && ae.Code == CodeInvalidCommand
}

// Token is the write-command token: the first 8 characters of the standard
// base64 of sha256(cmd + password + salt + ts), salt being get.device.info
// msg.salt and ts the Unix time sent with the request. Reads never need it.
func Token(cmd, password, salt string, ts int64) string {
	sum := sha256.Sum256([]byte(cmd + password + salt + strconv.FormatInt(ts, 10)))
	return base64.StdEncoding.EncodeToString(sum[:])[:8]
}

func head(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}
