package cgminer

import (
	"context"
	"testing"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
)

// Miners that accept and never answer, or answer a byte a second: while
// they are in flight the client runs no goroutine of its own beyond each
// caller's (the deadline is the socket's, the cancellation an AfterFunc),
// and when they return nothing of theirs is left.
func TestInFlightGoroutines(t *testing.T) {
	hostile.InFlight(t, hostile.CGMiner, "transport/cgminer.(*Client)", func(ctx context.Context, a string) error {
		return (&Client{Addr: a}).Multi(ctx, "summary", "pools", "stats").Err()
	})
}
