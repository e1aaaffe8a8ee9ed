package httpapi

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/internal/hostile"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// A web port that does not speak HTTP (garbage, a TLS server, a reset) is
// asked once per gather, not once per page.
func TestGetAllNoAmplification(t *testing.T) {
	pages := []string{"summary", "pools", "stats", "system_info"}
	for _, mode := range []hostile.Mode{hostile.Garbage, hostile.TLS, hostile.Reset, hostile.Half} {
		t.Run(mode.String(), func(t *testing.T) {
			s := hostile.Start(t, hostile.HTTP, mode)
			tr := NewTransport(Options{})
			t.Cleanup(tr.CloseIdle)
			r := tr.Client(Config{Addr: s.Addr()}).GetAll(ctxFor(t, 3*time.Second), pages, func(n string) string { return "/cgi-bin/" + n + ".cgi" })
			err := r.Err()
			require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), "error: %v", err)
			require.Equal(t, 1, s.Accepted(), "one connection, not one per page")
			for _, p := range pages {
				_, err := r.Reply(p)
				require.ErrorIs(t, err, drivers.ErrBadResponse, p)
			}
		})
	}
}

// A page that answers with an HTTP error status does not stop the others:
// the port does speak HTTP.
func TestGetAllStatusIsNotFatal(t *testing.T) {
	s := hostile.Start(t, hostile.HTTP, hostile.HTML)
	tr := NewTransport(Options{})
	t.Cleanup(tr.CloseIdle)
	pages := []string{"a", "b", "c"}
	r := tr.Client(Config{Addr: s.Addr()}).GetAll(ctxFor(t, 3*time.Second), pages, func(n string) string { return "/" + n })
	require.ErrorIs(t, r.Err(), drivers.ErrBadResponse)
	require.Equal(t, len(pages), s.Requests(), "every page asked: an HTML page is HTTP")
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
