package asic

import (
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi/httpapitest"
)

// Firmware that serves its web API only over https with a self-signed
// certificate: insecure_skip_verify (a Telegraf TLS option) reaches it,
// and without TLS options it is a bad response, not a hang.
func TestWebAPIOverTLS(t *testing.T) {
	pages := httpapitest.LoadWebDir(t, "../../../testdata/elphapex/DG1Plus_1.0.2")
	srv := httptest.NewTLSServer(&httpapitest.Server{User: "root", Password: "root", Realm: "Daoge", Pages: pages})
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	gather := func(skipVerify bool) (string, map[string]any) {
		p := New()
		p.Miners = []string{"127.0.0.1"}
		p.Driver = "elphapex"
		p.Ports.Web = port
		p.Timeout = config.Duration(3 * time.Second)
		p.InsecureSkipVerify = skipVerify
		p.Log = testutil.Logger{Quiet: true}
		require.NoError(t, p.Init())
		var acc testutil.Accumulator
		require.NoError(t, p.Gather(&acc))
		return statusOf(t, &acc, "127.0.0.1")
	}
	res, f := gather(true)
	require.Equal(t, "success", res, "%v", f["error"])
	res, f = gather(false)
	require.Equal(t, "bad_response", res, "plain HTTP to a TLS port: %v", f["error"])
}
