package replies

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

var (
	errPoolsBad    = fmt.Errorf(`command "pools": %w: not JSON`, drivers.ErrBadResponse)
	errSummaryBad  = fmt.Errorf(`command "summary": %w: cut short`, drivers.ErrBadResponse)
	errStatsTime   = fmt.Errorf(`command "stats": %w`, drivers.ErrTimeout)
	errVersionAuth = fmt.Errorf(`command "version": %w`, drivers.ErrAuth)
)

// A miner with several failures gets the same result and error text
// whatever order they were recorded in (goroutines record in any order):
// the most telling class, then the first name.
func TestErrFixedOrder(t *testing.T) {
	failures := map[string]error{"summary": errSummaryBad, "pools": errPoolsBad, "stats": errStatsTime}
	orders := [][]string{
		{"summary", "pools", "stats"}, {"stats", "pools", "summary"}, {"pools", "summary", "stats"},
	}
	for _, order := range orders {
		s := New()
		for _, n := range order {
			s.Set(n, jsonval.Obj{}, failures[n])
		}
		require.Same(t, errStatsTime, s.Err(), "a timeout ranks above bad responses (order %v)", order)
		require.Equal(t, order, s.Failed(), "Failed keeps the recorded order")
	}

	for _, order := range [][]string{{"summary", "pools"}, {"pools", "summary"}} {
		s := New()
		for _, n := range order {
			s.Set(n, jsonval.Obj{}, failures[n])
		}
		require.Same(t, errPoolsBad, s.Err(), "same class: the first name, pools (order %v)", order)
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(s.Err()))
	}

	s := New()
	s.Set("summary", jsonval.Obj{}, errSummaryBad)
	s.Set("version", jsonval.Obj{}, errVersionAuth)
	s.Set("stats", jsonval.Obj{}, errStatsTime)
	require.Same(t, errVersionAuth, s.Err(), "a refused login is the most telling")
}

func TestSetReplyAndAnswered(t *testing.T) {
	s := New()
	require.False(t, s.Answered())
	require.ErrorIs(t, s.Err(), drivers.ErrBadResponse, "nothing asked")
	var nilSet *Set
	require.False(t, nilSet.Answered())
	require.ErrorIs(t, nilSet.Err(), drivers.ErrBadResponse)
	_, err := nilSet.Reply("summary")
	require.ErrorIs(t, err, ErrNotRequested)

	sum := jsonval.ObjOf(map[string]any{"Elapsed": 3600.0})
	s.Set("pools", jsonval.Obj{}, errPoolsBad)
	s.Set("summary", sum, nil)
	require.True(t, s.Answered())
	require.NoError(t, s.Err(), "one answer: the miner is up")
	r, err := s.Reply("summary")
	require.NoError(t, err)
	require.Equal(t, sum, r)
	_, err = s.Reply("pools")
	require.Same(t, errPoolsBad, err)
	_, err = s.Reply("devs")
	require.ErrorIs(t, err, ErrNotRequested)
	require.ErrorContains(t, err, `"devs"`)

	// A later outcome replaces an earlier one; the name keeps its place.
	s.Set("pools", jsonval.ObjOf(map[string]any{"POOLS": []any{}}), nil)
	_, ok := s.Get("pools")
	require.True(t, ok)
	require.Empty(t, s.Failed())
	require.Equal(t, []string{"pools", "summary"}, s.Names())
}

// Fill is the fallback rule: a later reply replaces a failure; a later
// error never replaces an earlier one.
func TestFill(t *testing.T) {
	first := New()
	first.Set("summary", jsonval.ObjOf(map[string]any{"a": 1.0}), nil)
	first.Set("estats", jsonval.Obj{}, errPoolsBad)
	later := New()
	later.Set("stats", jsonval.ObjOf(map[string]any{"b": 2.0}), nil)
	later.Set("estats", jsonval.Obj{}, errStatsTime)
	later.Set("summary", jsonval.Obj{}, errSummaryBad)
	first.Fill(later)
	_, err := first.Reply("estats")
	require.Same(t, errPoolsBad, err, "the first error stands")
	_, ok := first.Get("summary")
	require.True(t, ok, "a reply is not replaced by a later error")
	_, ok = first.Get("stats")
	require.True(t, ok)

	fixed := New()
	fixed.Set("estats", jsonval.ObjOf(map[string]any{"c": 3.0}), nil)
	first.Fill(fixed)
	_, err = first.Reply("estats")
	require.NoError(t, err, "a later reply replaces a failure")
	first.Fill(nil)

	cp := New()
	cp.Copy(first, "summary", "devs")
	_, ok = cp.Get("summary")
	require.True(t, ok)
	_, err = cp.Reply("devs")
	require.True(t, errors.Is(err, ErrNotRequested), "not asked there: not requested")
}
