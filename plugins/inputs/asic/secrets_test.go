package asic

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
)

// A sentinel password, right or wrong, must appear in no log line, error,
// metric tag or field on any auth path.
func TestSecretsNeverLeak(t *testing.T) {
	const sentinel = "S3NT1NEL-pw-Xq9"
	pages := httpapitest.LoadWebDir(t, "../../../testdata/elphapex/DG1Plus_1.0.2")
	for _, tc := range []struct {
		name, driver, serverPassword, result string
	}{
		{"elphapex wrong password", "elphapex", "root", "auth_failed"},
		{"elphapex right password", "elphapex", sentinel, "success"},
		{"antminer web wrong password", "antminer", "root", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httpapitest.Start(t, pages, "root", tc.serverPassword)
			log := &testutil.CaptureLogger{}
			p := New()
			p.Miners = []string{"127.0.0.1"}
			p.Driver = tc.driver
			p.Username = config.NewSecret([]byte("root"))
			p.Password = config.NewSecret([]byte(sentinel))
			p.Ports.Web = srv.Port()
			p.Ports.RPC = 1 // nothing listens: the web API alone decides
			p.Timeout = config.Duration(3 * time.Second)
			p.Log = log
			require.NoError(t, p.Init())
			var acc testutil.Accumulator
			require.NoError(t, p.Gather(&acc))

			var seen strings.Builder
			for _, e := range acc.Errors {
				fmt.Fprintln(&seen, e.Error())
			}
			for _, m := range log.Messages() {
				fmt.Fprintln(&seen, m)
			}
			for _, m := range acc.GetTelegrafMetrics() {
				fmt.Fprintln(&seen, m.Name(), m.Tags(), m.Fields())
				if m.Name() == "asic_status" && tc.result != "" {
					require.Equal(t, tc.result, m.Tags()["result"], "%v", m.Fields())
				}
			}
			require.NotEmpty(t, seen.String())
			require.NotContains(t, seen.String(), sentinel)
		})
	}
}
