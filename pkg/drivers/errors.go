package drivers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// Results of one gather, the asic_status "result" tag.
const (
	ResultSuccess           = "success"
	ResultTimeout           = "timeout"
	ResultConnectionRefused = "connection_refused"
	ResultAuthFailed        = "auth_failed"
	ResultBadResponse       = "bad_response"
	ResultUnsupported       = "unsupported"
)

// Sentinel errors; wrap them with %w so Result can classify.
var (
	ErrTimeout     = errors.New("timeout")
	ErrRefused     = errors.New("connection refused")
	ErrAuth        = errors.New("authentication failed")
	ErrBadResponse = errors.New("bad response")
	ErrUnsupported = errors.New("unsupported miner")
)

// APIError is an error the miner's API itself reported (cgminer STATUS E/F,
// Whatsminer codes).
type APIError struct {
	Command string
	Code    int64
	Msg     string
}

func (e *APIError) Error() string {
	return "command " + quote(e.Command) + ": miner reported error: " + quote(e.Msg)
}

func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			b = append(b, '?')
			continue
		}
		b = append(b, string(r)...)
	}
	return string(append(b, '"'))
}

// Result classifies an error from a driver into an asic_status result.
func Result(err error) string {
	if err == nil {
		return ResultSuccess
	}
	var apiErr *APIError
	switch {
	case errors.Is(err, ErrAuth):
		return ResultAuthFailed
	case errors.Is(err, ErrUnsupported):
		return ResultUnsupported
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ResultTimeout
	case errors.Is(err, ErrRefused), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return ResultConnectionRefused
	case errors.Is(err, ErrBadResponse), errors.As(err, &apiErr):
		return ResultBadResponse
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return ResultTimeout
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ResultConnectionRefused
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return ResultConnectionRefused
	}
	return ResultBadResponse
}

// NetErr classifies the failure of op ("connect", "read", "write") on a
// TCP connection to addr, for every transport: the deadline's doing (the
// context ended, a timeout, the connection closed under it) is ErrTimeout;
// a reset (something accepted, then hung up: not this API) is
// ErrBadResponse; a failed connect is ErrRefused; any other failure of an
// open connection is ErrBadResponse, and an error that already says so
// keeps its own words.
func NetErr(ctx context.Context, addr, op string, err error) error {
	var ne net.Error
	switch {
	case ctx.Err() != nil, errors.Is(err, net.ErrClosed), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%s: %s: %w", addr, op, ErrTimeout)
	case errors.Is(err, ErrBadResponse):
		return fmt.Errorf("%s: %s: %w", addr, op, err)
	case errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%s: %s: %w: %w", addr, op, ErrBadResponse, err)
	case op == "connect":
		return fmt.Errorf("%s: %s: %w: %w", addr, op, ErrRefused, err)
	}
	return fmt.Errorf("%s: %s: %w: %w", addr, op, ErrBadResponse, err)
}

// CommandError is the failure of one API command. Its text starts with the
// command, so a reader of asic_status.error knows which one failed.
type CommandError struct {
	Command string
	Err     error
}

func (e *CommandError) Error() string {
	return "command " + strconv.Quote(e.Command) + ": " + e.Err.Error()
}

func (e *CommandError) Unwrap() error { return e.Err }

// CommandErr names cmd in err, unless err already does (a *CommandError or
// *APIError for that same command anywhere in its chain).
func CommandErr(cmd string, err error) error {
	if err == nil || namesCommand(err, cmd) {
		return err
	}
	return &CommandError{Command: cmd, Err: err}
}

func namesCommand(err error, cmd string) bool {
	// A walk of the whole tree: errors.As stops at the first match, which
	// may name another command.
	for err != nil {
		switch e := err.(type) { //nolint:errorlint // each node of the walk
		case *CommandError:
			if e.Command == cmd {
				return true
			}
		case *APIError:
			if e.Command == cmd {
				return true
			}
		}
		switch u := err.(type) { //nolint:errorlint // each node of the walk
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if namesCommand(e, cmd) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
