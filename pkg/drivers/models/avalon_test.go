package models

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAvalonModelNames(t *testing.T) {
	for in, want := range map[string]string{
		"AvalonMiner 1566": "1566", "15-194": "15-194", "1246-83": "1246", "AvalonMiner 1047 ": "1047",
		"nano3": "Nano 3", "Nano3s": "Nano 3s", "mini3": "Mini 3", "Avalon Q": "Q", "Avalonnano": "Nano", "": "",
	} {
		require.Equal(t, want, AvalonModel(in), in)
	}
	for ver, want := range map[string]string{
		"15-194-24102401_25462b2_9ddf522": "15-194",
		"1047-19120401_d46bc64_0367a8b":   "1047",
		"7411706-3162860":                 "741",
		"nano3-24071801_42c628d":          "nano3",
	} {
		require.Equal(t, want, AvalonVerModel(ver), ver)
	}
}
