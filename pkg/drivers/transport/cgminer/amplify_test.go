package cgminer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/fakeminer"
	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// Something that does not speak the protocol at all is asked once per
// gather: the joined request's answer is not asked again command by
// command.
func TestMultiNoAmplification(t *testing.T) {
	cmds := []string{"version", "summary", "pools", "stats"}
	for _, mode := range []hostile.Mode{hostile.Garbage, hostile.HTML, hostile.TLS, hostile.Half, hostile.Reset, hostile.DeepJSON} {
		t.Run(mode.String(), func(t *testing.T) {
			s := hostile.Start(t, hostile.CGMiner, mode)
			b := (&Client{Addr: s.Addr()}).Multi(ctxFor(t, 3*time.Second), cmds...)
			err := b.Err()
			require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "error: %v", err)
			require.Equal(t, 1, s.Accepted(), "one connection, not one per command")
			for _, cmd := range cmds {
				_, err := b.Reply(cmd)
				require.ErrorIs(t, err, drivers.ErrBadResponse, cmd)
			}
		})
	}
}

// Firmware that speaks the protocol but rejects the joined form is asked
// one command at a time: one connection for the joined request, then one
// per command.
func TestMultiFallbackConnections(t *testing.T) {
	m := &fakeminer.Miner{Multi: false}
	c := start(t, m)
	b := c.Multi(ctxFor(t, 5*time.Second), "version", "pools", "stats")
	require.NoError(t, b.Err())
	require.Equal(t, []string{"version+pools+stats", "version", "pools", "stats"}, m.Commands())

	// The next gather knows the joined form fails here: three connections,
	// not four, until splitTTL passes or the miner is forgotten.
	b = c.Multi(ctxFor(t, 5*time.Second), "version", "pools", "stats")
	require.NoError(t, b.Err())
	require.Equal(t, []string{"version", "pools", "stats"}, m.Commands()[4:])
	Forget(m.Host())
	c.Multi(ctxFor(t, 5*time.Second), "version", "pools", "stats")
	require.Equal(t, "version+pools+stats", m.Commands()[7], "forgotten: the joined form is tried again")
}

// A miner whose every command fails, the same way, is reported with the
// same error text at every gather (it once came from a map's order).
func TestBatchErrStable(t *testing.T) {
	raw := map[string][]byte{
		"summary": []byte("<html>summary</html>"),
		"pools":   []byte("<html>pools</html>"),
		"stats":   []byte("<html>stats</html>"),
	}
	want := BatchFromRaw("127.0.0.1:4028", raw).Err()
	require.ErrorContains(t, want, `command "pools"`, "same class: the first name")
	for range 50 {
		require.Equal(t, want.Error(), BatchFromRaw("127.0.0.1:4028", raw).Err().Error())
	}
}

// A stream nested deeper than any reply is cut at its first bytes, not
// read to the 4 MiB limit.
func TestDeepStreamCutEarly(t *testing.T) {
	for _, mode := range []hostile.Mode{hostile.Stream, hostile.DeepJSON} {
		s := hostile.Start(t, hostile.CGMiner, mode)
		budget := drivers.NewBudget(64 << 20)
		_, err := (&Client{Addr: s.Addr()}).Command(drivers.WithBudget(ctxFor(t, 3*time.Second), budget), "summary")
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "%s: %v", mode, err)
		require.ErrorContains(t, err, "nested deeper than 64 levels")
		require.Less(t, budget.Peak(), int64(64<<10), "%s: cut within the first buffers", mode)
	}
}

// A string longer than any reply's (a 3 MiB one inside a valid reply) is
// cut when it passes 64 KiB, before its buffer grows any further: the
// budget is charged for at most the growth to 128 KiB.
func TestHugeStringCutEarly(t *testing.T) {
	s := hostile.Start(t, hostile.CGMiner, hostile.HugeString)
	budget := drivers.NewBudget(64 << 20)
	_, err := (&Client{Addr: s.Addr()}).Command(drivers.WithBudget(ctxFor(t, 3*time.Second), budget), "summary")
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "%v", err)
	require.ErrorContains(t, err, "a string longer than 65536 bytes")
	require.LessOrEqual(t, budget.Peak(), int64(128<<10-drivers.ReplyFloor))
	require.Zero(t, budget.Used())
}

// A whole joined reply broken by one section (an S9k's version with a
// stray brace, testdata/antminer/S9k_13.10.1.3_20190929) is the API: the
// commands are asked one by one so the good ones are kept.
func TestMultiBrokenSectionFallsBack(t *testing.T) {
	require.True(t, speaksAPI([]byte(`{"version":[{"STATUS":[{"STATUS":"S"}],"VERSION":[{}]}"}],"id":1}`+"\x00")))
	require.False(t, speaksAPI([]byte(`{"version":[{"STATUS":[{"STATUS":"S"}],"VERS`)), "cut short")
	require.False(t, speaksAPI([]byte("<html><body>400</body></html>")))
	require.False(t, speaksAPI([]byte("\xff\xfe{{[[garbage")))
}
