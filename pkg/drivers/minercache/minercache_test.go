package minercache

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForgetDropsEveryKeyOfOneHost(t *testing.T) {
	var c Cache[string]
	c.Put("10.0.0.1", "4028", "antminer")
	c.Put("10.0.0.1", "80|root", "token-a")
	c.Put("10.0.0.2", "4028", "whatsminer")
	c.Forget("10.0.0.1")
	_, ok := c.Get("10.0.0.1", "4028")
	require.False(t, ok)
	_, ok = c.Get("10.0.0.1", "80|root")
	require.False(t, ok)
	v, ok := c.Get("10.0.0.2", "4028")
	require.True(t, ok)
	require.Equal(t, "whatsminer", v)
	require.Equal(t, 1, c.Len())
}

func TestBoundHoldsAndKeepsTheNewest(t *testing.T) {
	c := Cache[int]{Max: 100}
	for i := range 1000 {
		c.Put(fmt.Sprintf("h%d", i), "k", i)
		require.LessOrEqual(t, c.Len(), 100)
	}
	v, ok := c.Get("h999", "k")
	require.True(t, ok, "the host just stored is never the one evicted")
	require.Equal(t, 999, v)
	// A second key of a host already present takes no room.
	c.Put("h999", "k2", 1)
	require.Equal(t, 100, c.Len())
}

func TestUpdateGetOrCreateDelete(t *testing.T) {
	var c Cache[int]
	c.Update("a", "n", func(v *int) { *v += 2 })
	c.Update("a", "n", func(v *int) { *v += 3 })
	v, _ := c.Get("a", "n")
	require.Equal(t, 5, v)
	calls := 0
	mk := func() int { calls++; return 7 }
	require.Equal(t, 7, c.GetOrCreate("b", "x", mk))
	require.Equal(t, 7, c.GetOrCreate("b", "x", mk))
	require.Equal(t, 1, calls)
	c.Delete("b", "x")
	require.Equal(t, 1, c.Len(), "a host with no key left is not counted")
}

// A host's keys are kept apart: deleting one leaves the others as they were.
func TestKeysOfOneHost(t *testing.T) {
	var c Cache[string]
	for _, k := range []string{"4028", "80", "50051"} {
		c.Put("10.0.0.1", k, "v"+k)
	}
	c.Put("10.0.0.1", "80", "again")
	c.Delete("10.0.0.1", "80")
	for k, want := range map[string]string{"4028": "v4028", "50051": "v50051"} {
		v, ok := c.Get("10.0.0.1", k)
		require.True(t, ok, k)
		require.Equal(t, want, v)
	}
	_, ok := c.Get("10.0.0.1", "80")
	require.False(t, ok)
	c.Update("10.0.0.1", "50051", func(v *string) { *v += "!" })
	v, _ := c.Get("10.0.0.1", "50051")
	require.Equal(t, "v50051!", v)
	require.Equal(t, 1, c.Len())
}
