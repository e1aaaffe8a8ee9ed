package drivers

import (
	"errors"
	"fmt"
	"strings"
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
