package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The committed table is what the generator makes of the committed CSV.
func TestGeneratedTableIsCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "models_gen.go")
	require.NoError(t, run(filepath.Join("..", "models.csv"), out))
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "models_gen.go"))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "models_gen.go is stale: run go generate in pkg/drivers/models")
}

func TestGenerateRefusesBadRows(t *testing.T) {
	head := "make_base,class,raw_model,algo,expected_hashboards,expected_chips,expected_fans,file\n"
	for name, row := range map[string]string{
		"unknown make":  "FooMake,X1,X1,SHA256,3,10,2,f.py\n",
		"no name":       "AntMinerMake,X1,,SHA256,3,10,2,f.py\n",
		"bad algorithm": "AntMinerMake,X1,X1,SHA999,3,10,2,f.py\n",
		"bad count":     "AntMinerMake,X1,X1,SHA256,three,10,2,f.py\n",
		"look-alike":    "AntMinerMake,X1Pro,X1 Pro,SHA256,3,10,2,f.py\nAntMinerMake,X1PRO,X1PRO,SHA256,3,10,2,f.py\n",
	} {
		_, err := generate(strings.NewReader(head + row))
		require.Error(t, err, name)
	}
	src, err := generate(strings.NewReader(head + "AvalonMinerMake,A1,Avalon 1,SHA256,3,,,f.py\n"))
	require.NoError(t, err)
	// Vendor word dropped; empty chips and fans cells stay unknown, not 0 fans.
	require.Contains(t, string(src), `{Make: "AvalonMiner", Model: "1", Algorithm: "sha256", Boards: 3, ChipsPerBoard: 0, Fans: 0, FansKnown: false}`)
}
