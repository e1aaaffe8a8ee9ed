package antminer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

func systemInfo(t *testing.T, path string) jsonval.Obj {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	o, err := jsonval.DecodeObj(b)
	require.NoError(t, err)
	return o
}

// Stock firmware's 4028 API has only CompileTime; an S21 on FR-1.12 names
// its release in get_system_info, which becomes firmware_version.
func TestReleaseVersion(t *testing.T) {
	s21 := systemInfo(t, "testdata/captured_S21_get_system_info.json")
	require.Equal(t, "FR-1.12(251009-S21)", ReleaseVersion(s21))
	// Build dates are not releases: the real Hammer D10 page and the S19 Pro
	// page (its date is the 4028 capture's CompileTime).
	require.Equal(t, "", ReleaseVersion(systemInfo(t, "../../../testdata/hammer/D10_2023-05-28/web_get_system_info.json")))
	require.Equal(t, "", ReleaseVersion(systemInfo(t, filepath.Join(s19WebDir, "web_get_system_info.json"))))
	require.Equal(t, "", ReleaseVersion(jsonval.Obj{}))

	b, err := os.ReadFile("testdata/captured_S21_get_system_info.json")
	require.NoError(t, err)
	d := ParseWithWeb(nil, httpapi.RepliesFromRaw(map[string][]byte{"get_system_info": b}))
	require.Equal(t, "S21", d.Model, `minertype "Antminer S21"`)
	require.Equal(t, "FR-1.12(251009-S21)", d.FirmwareVersion)
	require.Equal(t, "THQING0BDJAB024NF", d.SerialNumber)
}
