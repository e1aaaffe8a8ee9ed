package drivers

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBudgetGrowAndRelease(t *testing.T) {
	b := NewBudget(100)
	s1 := b.Share(nil)
	require.NoError(t, s1.Grow(60))
	s2 := b.Share(nil)
	require.NoError(t, s2.Grow(40))
	require.Equal(t, int64(100), b.Used())

	// Full, and no holder is larger than s3 would be (70): refused.
	s3 := b.Share(nil)
	err := s3.Grow(70)
	require.ErrorIs(t, err, ErrBadResponse, "nobody larger than 70 bytes to evict")
	require.ErrorIs(t, err, ErrReplyBudget)
	require.Equal(t, ResultBadResponse, Result(err))
	require.ErrorIs(t, s3.Err(), ErrReplyBudget, "the denial is remembered")
	require.NoError(t, s1.Err(), "a denial evicts nobody smaller")

	s2.Release()
	s2.Release() // idempotent
	require.Equal(t, int64(60), b.Used())
	require.NoError(t, s3.Grow(40), "room again after a release")
	require.NoError(t, s3.Err(), "a granted Grow clears the denial")
	require.Equal(t, int64(100), b.Used())
	require.Equal(t, int64(100), b.Peak())
}

// When the budget is full, the largest holder bigger than the asker is cut,
// not the asker: a stream loses its reply, a large good reply is read.
func TestBudgetEvictsTheLargest(t *testing.T) {
	b := NewBudget(1000)
	var evicted []string
	stream1 := b.Share(func() { evicted = append(evicted, "stream1") })
	stream2 := b.Share(func() { evicted = append(evicted, "stream2") })
	small := b.Share(func() { evicted = append(evicted, "small") })
	require.NoError(t, stream1.Grow(500))
	require.NoError(t, stream2.Grow(400))
	require.NoError(t, small.Grow(100))

	good := b.Share(func() { evicted = append(evicted, "good") })
	require.NoError(t, good.Grow(300))
	require.Equal(t, []string{"stream1"}, evicted, "the largest alone frees enough")
	require.ErrorIs(t, stream1.Err(), ErrReplyBudget)
	require.ErrorIs(t, stream1.Grow(1), ErrReplyBudget, "an evicted share cannot grow")
	require.Equal(t, int64(800), b.Used())

	// The second stream asks for more: the only larger holder is none.
	require.ErrorIs(t, stream2.Grow(300), ErrReplyBudget)
	require.Equal(t, []string{"stream1"}, evicted)
	require.NoError(t, small.Err())
	require.NoError(t, good.Err())

	// An optional charge never evicts.
	extra := b.Share(func() { evicted = append(evicted, "extra") })
	require.False(t, extra.TryGrow(250))
	require.NoError(t, extra.Err(), "a refused TryGrow is no failure")
	require.Equal(t, []string{"stream1"}, evicted)
}

func TestBudgetNil(t *testing.T) {
	var b *Budget
	s := b.Share(func() { t.Fatal("no budget evicts nobody") })
	require.Nil(t, s)
	require.NoError(t, s.Grow(1<<40))
	require.True(t, s.TryGrow(1<<40))
	require.NoError(t, s.Err())
	s.Release()
	require.Nil(t, b.Meter())
	require.Nil(t, BudgetFrom(context.Background()))
	real := NewBudget(1)
	require.Same(t, real, BudgetFrom(WithBudget(context.Background(), real)))
}

func TestBudgetErrorsClassify(t *testing.T) {
	b := NewBudget(10)
	err := b.Share(nil).Grow(11)
	require.True(t, errors.Is(err, ErrBadResponse) && errors.Is(err, ErrReplyBudget))
}

// A metered connection (gRPC's) is charged for what it reads past the
// floor; over the budget its reads fail and the meter tells why.
func TestBudgetMeter(t *testing.T) {
	b := NewBudget(32 << 10)
	m := b.Meter()
	client, server := net.Pipe()
	c := m.Conn(client)
	go func() {
		chunk := make([]byte, 4<<10)
		for {
			if _, err := server.Write(chunk); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 4<<10)
	var read int
	var err error
	for err == nil {
		var n int
		n, err = c.Read(buf)
		read += n
	}
	require.ErrorIs(t, err, ErrReplyBudget)
	require.ErrorIs(t, m.Err(), ErrReplyBudget)
	require.Equal(t, ReplyFloor+32<<10, read, "the floor, then the budget, then no more")
	require.Equal(t, int64(32<<10), b.Used())
	m.Release()
	require.Zero(t, b.Used())
	server.Close()
}
