package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/replies"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// ParseJSON decodes a body that should be a JSON object, with the cgminer
// transport's leniency (NULs, control characters, NaN, missing commas). An
// HTML page (a login form, a captive portal, an error page) is a bad
// response. The Content-Type is not trusted: Bitmain's CGI scripts send
// JSON as text/html.
func ParseJSON(body []byte) (jsonval.Obj, error) {
	b := bytes.TrimSpace(bytes.Trim(body, "\x00"))
	if len(b) == 0 {
		return jsonval.Obj{}, fmt.Errorf("%w: empty body", drivers.ErrBadResponse)
	}
	// Skip a UTF-8 byte order mark.
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if len(b) > 0 && b[0] == '<' {
		return jsonval.Obj{}, fmt.Errorf("%w: an HTML page where JSON was expected (login page or captive portal?)", drivers.ErrBadResponse)
	}
	if obj, err := jsonval.DecodeObj(b); err == nil {
		return obj, nil // valid JSON needs no repair copy
	}
	obj, err := jsonval.DecodeObj(cgminer.Repair(b))
	if err != nil {
		// No excerpt of the body: a page that echoes the request could
		// carry a password or token into the error.
		return jsonval.Obj{}, fmt.Errorf("%w: body of %d bytes is not a JSON object: %w", drivers.ErrBadResponse, len(b), err)
	}
	return obj, nil
}

// GetJSON sends a GET and decodes the JSON object it returns.
func (c *Client) GetJSON(ctx context.Context, path string) (jsonval.Obj, error) {
	b, err := c.Get(ctx, path)
	if err != nil {
		return jsonval.Obj{}, err
	}
	obj, err := ParseJSON(b)
	if err != nil {
		return jsonval.Obj{}, c.errorf("GET", path, "%w", err)
	}
	return obj, nil
}

// Replies are the decoded answers of several endpoints, each with its own
// error, so one failing endpoint never loses the others. It is the reply
// set every transport shares.
type Replies = replies.Set

// ErrNotRequested is returned by Reply for a name that was not asked.
var ErrNotRequested = replies.ErrNotRequested

// GetAll asks each name's path in order on one keep-alive connection and
// decodes the replies. After a failure that will not change (refused,
// timeout, wrong credentials) the remaining names get it at once.
func (c *Client) GetAll(ctx context.Context, names []string, path func(name string) string) *Replies {
	r := replies.New()
	for _, n := range names {
		o, err := c.GetJSON(ctx, path(n))
		r.Set(n, o, err)
	}
	return r
}

// RepliesFromRaw builds Replies from recorded bodies, as if a miner had
// sent them. Tests and fuzz targets use it to run a parser offline.
func RepliesFromRaw(raw map[string][]byte) *Replies {
	r := replies.New()
	for _, n := range slices.Sorted(maps.Keys(raw)) {
		o, err := ParseJSON(raw[n])
		if err != nil {
			err = fmt.Errorf("%q: %w", n, err)
		}
		r.Set(n, o, err)
	}
	return r
}

// RepliesWithErrors builds Replies from decoded objects and errors, each
// map in the order of its sorted names, replies first (an error under the
// same name wins).
func RepliesWithErrors(objs map[string]jsonval.Obj, errs map[string]error) *Replies {
	r := replies.New()
	for _, k := range slices.Sorted(maps.Keys(objs)) {
		r.Set(k, objs[k], nil)
	}
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		r.Set(k, jsonval.Obj{}, errs[k])
	}
	return r
}
