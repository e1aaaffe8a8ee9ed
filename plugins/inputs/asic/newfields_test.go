package asic

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/influxdata/telegraf/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/whatsminer"
)

// The PSU fan of a real Whatsminer (summary "Power Fanspeed" 9060) is an
// integer field of asic; the coolant temperatures are emitted when a
// driver knows them and absent otherwise.
func TestNewSchemaFields(t *testing.T) {
	raw := map[string][]byte{}
	dir := filepath.Join("../../../testdata/whatsminer", "M20SV10_20210322.22.REL")
	for _, n := range []string{"summary", "devs", "pools", "get_version", "get_psu", "status"} {
		b, err := os.ReadFile(filepath.Join(dir, n+".json"))
		require.NoError(t, err)
		raw[n] = b
	}
	d := whatsminer.ParseRaw(raw)
	var acc testutil.Accumulator
	addMiner(&acc, "m", d, time.Unix(0, 0))
	f := asicFields(t, &acc)
	require.Equal(t, int64(9060), f["psu_fan_speed_rpm"])
	require.NotContains(t, f, "coolant_inlet_temperature_celsius")
	require.NotContains(t, f, "coolant_outlet_temperature_celsius")

	acc = testutil.Accumulator{}
	addMiner(&acc, "m", &drivers.MinerData{
		CoolantInletTemperature:  drivers.Ptr(31.5),
		CoolantOutletTemperature: drivers.Ptr(42.0),
	}, time.Unix(0, 0))
	f = asicFields(t, &acc)
	require.Equal(t, 31.5, f["coolant_inlet_temperature_celsius"])
	require.Equal(t, 42.0, f["coolant_outlet_temperature_celsius"])
	require.NotContains(t, f, "psu_fan_speed_rpm")
}

func asicFields(t *testing.T, acc *testutil.Accumulator) map[string]any {
	t.Helper()
	for _, m := range acc.GetTelegrafMetrics() {
		if m.Name() == "asic" {
			return m.Fields()
		}
	}
	t.Fatal("no asic point")
	return nil
}
