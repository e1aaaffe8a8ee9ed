package btminerv3

import (
	"context"
	"testing"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
)

// Miners that never answer or answer a byte a second: the client runs no
// goroutine of its own beyond each caller's, and leaves none behind.
func TestInFlightGoroutines(t *testing.T) {
	hostile.InFlight(t, hostile.V3, "transport/btminerv3.(*Client)", func(ctx context.Context, a string) error {
		_, err := (&Client{Addr: a}).Call(ctx, "get.device.info", nil)
		return err
	})
}
