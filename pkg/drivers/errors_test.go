package drivers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// CommandErr decides from the error's type, not its text: a message that
// merely mentions the command is still named.
func TestCommandErr(t *testing.T) {
	named := &CommandError{Command: "summary", Err: ErrTimeout}
	api := &APIError{Command: "pools", Code: 45, Msg: "Access denied"}
	cases := []struct {
		name, cmd string
		err       error
		want      string
	}{
		{"already named", "summary", named, `command "summary": timeout`},
		{"named deeper", "summary", fmt.Errorf("10.0.0.1: %w", named), `10.0.0.1: command "summary": timeout`},
		{"api error names it", "pools", api, `command "pools": miner reported error: "Access denied"`},
		{"joined, one names it", "pools", errors.Join(ErrAuth, api), "authentication failed\n" + `command "pools": miner reported error: "Access denied"`},
		{"another command", "stats", named, `command "stats": command "summary": timeout`},
		{"text only mentions it", "summary", errors.New(`command "summary" was slow`), `command "summary": command "summary" was slow`},
		{"joined command is another", "summary", &CommandError{Command: "summary+pools", Err: ErrRefused}, `command "summary": command "summary+pools": connection refused`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := CommandErr(c.cmd, c.err)
			require.Equal(t, c.want, got.Error())
			require.ErrorIs(t, got, c.err, "the cause stays reachable")
			var ce *CommandError
			var ae *APIError
			require.True(t, errors.As(got, &ce) || errors.As(got, &ae))
		})
	}
	require.NoError(t, CommandErr("x", nil))
	require.Equal(t, ResultTimeout, Result(CommandErr("x", ErrTimeout)), "classification sees through the name")
	require.Equal(t, 1, strings.Count(CommandErr("summary", named).Error(), "summary"))
}

// The one classification of a TCP failure, for every transport.
func TestNetErr(t *testing.T) {
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		ctx    context.Context
		op     string
		err    error
		result string
	}{
		{ended, "read", io.EOF, ResultTimeout},
		{live, "read", os.ErrDeadlineExceeded, ResultTimeout},
		{live, "read", net.ErrClosed, ResultTimeout},
		{live, "connect", refused, ResultConnectionRefused},
		{live, "connect", reset, ResultBadResponse},
		{live, "read", reset, ResultBadResponse},
		{live, "read", io.ErrUnexpectedEOF, ResultBadResponse},
		{live, "connect", errors.New("no route"), ResultConnectionRefused},
	} {
		err := NetErr(c.ctx, "10.0.0.9:4028", c.op, c.err)
		require.Equal(t, c.result, Result(err), "%s %v", c.op, c.err)
		require.Contains(t, err.Error(), "10.0.0.9:4028: "+c.op+": ")
	}
	err := NetErr(live, "10.0.0.9:4433", "read", fmt.Errorf("%w: frame too long", ErrBadResponse))
	require.Equal(t, "10.0.0.9:4433: read: bad response: frame too long", err.Error(), "its own words kept")
}

// "Empty means the firmware's default", field by field, for every login.
func TestCredentials(t *testing.T) {
	for _, c := range []struct{ user, pass, wantUser, wantPass string }{
		{"", "", "root", "root"},
		{"", "farm-pw", "root", "farm-pw"},
		{"admin", "", "admin", "root"},
		{"admin", "pw", "admin", "pw"},
	} {
		u, p := Target{Username: c.user, Password: c.pass}.Credentials("root", "root")
		require.Equal(t, [2]string{c.wantUser, c.wantPass}, [2]string{u, p}, "%+v", c)
	}
}
