package cgminer

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// What answered is kept; "Invalid command" and absence are no problem only
// for a command the firmware may lack; any other failure always is.
func TestReplies(t *testing.T) {
	b := BatchFromRaw("test", map[string][]byte{
		"summary":  []byte(`{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"Elapsed":5}],"id":1}`),
		"tempctrl": []byte(`{"STATUS":[{"STATUS":"E","Code":14,"Msg":"Invalid command"}],"id":1}`),
		"devs":     []byte(`{"STATUS":[{"STATUS":"E","Code":14,"Msg":"Invalid command"}],"id":1}`),
		"pools":    []byte(`{"STATUS":[{"STATUS":"E","Code":7,"Msg":"Access denied"}],"id":1}`),
	})
	optional := func(cmd string) bool { return cmd == "tempctrl" || cmd == "fans" || cmd == "pools" }
	d := &drivers.MinerData{}
	r := Replies(d, b, []string{"summary", "tempctrl", "fans", "devs", "pools", "version"}, optional)
	require.Equal(t, []string{"summary"}, keys(r))
	var names []string
	for _, p := range d.Problems {
		var ce *drivers.CommandError
		var ae *drivers.APIError
		switch {
		case errors.As(p, &ae):
			names = append(names, ae.Command)
		case errors.As(p, &ce):
			names = append(names, ce.Command)
		default:
			t.Fatalf("%v names no command", p)
		}
	}
	require.Equal(t, []string{"devs", "pools", "version"}, names, "devs is expected; pools failed otherwise; version absent")

	d = &drivers.MinerData{}
	Replies(d, b, []string{"tempctrl", "fans"}, AnyMayLack)
	require.Empty(t, d.Problems)
	d = &drivers.MinerData{}
	Replies(d, b, []string{"tempctrl"}, nil)
	require.Len(t, d.Problems, 1, "nil: every command is expected")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
