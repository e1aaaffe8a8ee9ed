//go:build unix

package asic

import (
	"syscall"
	"testing"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"
)

// The plugin runs inside Telegraf: it reads the open-file limit, warns
// through its logger, and never changes the host's limit.
func TestOpenFilesOnlyWarns(t *testing.T) {
	var orig syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig))
	if orig.Max < 1024 {
		t.Skipf("hard open-file limit %d is too low to lower for the test", orig.Max)
	}
	low := orig
	low.Cur = 512
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low))
	t.Cleanup(func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig) })

	log := &testutil.CaptureLogger{}
	checkOpenFiles(log, 1000)
	require.Equal(t, 64, scanConcurrency(4), "(512-256)/4 hosts at once")

	var now syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now))
	require.Equal(t, uint64(512), uint64(now.Cur), "the host program's limit is left alone")
	require.Len(t, log.Warnings(), 1)
	require.Contains(t, log.Warnings()[0], "concurrency 1000 needs about 2064 open files, but the limit is 512")

	log.Clear()
	checkOpenFiles(log, 100)
	require.Empty(t, log.Warnings(), "100 miners fit 512 files")
}
