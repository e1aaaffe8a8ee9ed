package btminerv3_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3/btminerv3test"
)

func frame(n uint32, payload string) []byte {
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], n)
	return append(hdr[:], payload...)
}

func TestWriteFrameIsLittleEndian(t *testing.T) {
	var buf bytes.Buffer
	body := `{"cmd":"get.device.info","param":null}` // 38 bytes
	require.NoError(t, btminerv3.WriteFrame(&buf, []byte(body)))
	require.Equal(t, []byte{38, 0, 0, 0}, buf.Bytes()[:4], "38 = 0x26, little-endian")
	require.Equal(t, body, buf.String()[4:])
}

func TestReadFrame(t *testing.T) {
	got, err := btminerv3.ReadFrame(bytes.NewReader(frame(7, `{"a":1}trailing`)), 100)
	require.NoError(t, err)
	require.Equal(t, `{"a":1}`, string(got), "exactly the prefixed length")

	for name, in := range map[string][]byte{
		"zero length":   frame(0, `{}`),
		"high bit":      frame(0x80000010, `{}`),
		"max uint32":    frame(0xffffffff, `{}`),
		"over limit":    frame(101, `{}`),
		"cut short":     frame(50, `{"code":0,"msg":`),
		"no prefix":     {},
		"half a prefix": {7, 0},
	} {
		_, err := btminerv3.ReadFrame(bytes.NewReader(in), 100)
		require.ErrorIs(t, err, drivers.ErrBadResponse, name)
		require.Equal(t, drivers.ResultBadResponse, drivers.Result(err), name)
	}
}

// A lying length prefix must not make the reader allocate what it claims:
// a 4 MiB claim with 10 bytes behind it allocates about what arrives.
func TestReadFrameDoesNotTrustTheLength(t *testing.T) {
	in := frame(4<<20, `0123456789`)
	allocs := testing.AllocsPerRun(20, func() {
		_, err := btminerv3.ReadFrame(bytes.NewReader(in), btminerv3.DefaultMaxReply)
		require.ErrorIs(t, err, drivers.ErrBadResponse)
	})
	require.Less(t, allocs, 20.0)
	// Bytes, not just counts: measure one run with the memory statistics.
	allocated := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = btminerv3.ReadFrame(bytes.NewReader(in), btminerv3.DefaultMaxReply)
		}
	}).AllocedBytesPerOp()
	require.Less(t, allocated, int64(256<<10), "bytes allocated for a 4 MiB claim with 10 bytes of payload")
}

func TestParseReply(t *testing.T) {
	obj, err := btminerv3.ParseReply("m", "get.device.info", []byte(`{"code":0,"when":1,"msg":{"salt":"x"},"desc":"get.device.info"}`))
	require.NoError(t, err)
	require.Equal(t, "x", obj.O("msg").S("salt"))

	_, err = btminerv3.ParseReply("m", "get.miner.statuz", []byte(`{"code":-2,"when":1,"msg":"invalid command","desc":"get.miner.statuz"}`))
	var api *drivers.APIError
	require.True(t, errors.As(err, &api))
	require.Equal(t, int64(-2), api.Code)
	require.Equal(t, "invalid command", api.Msg)
	require.True(t, btminerv3.IsInvalidCommand(err))
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(err))

	_, err = btminerv3.ParseReply("m", "get.device.info", []byte(`{"code":"-4","msg":"no permission"}`))
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err), "-4 no permission")
	require.True(t, errors.As(err, &api))
	require.False(t, btminerv3.IsInvalidCommand(err))

	for _, bad := range []string{`{"msg":{}}`, `{"code":"zero"}`, `[1,2]`, `{"code":0,`, "\x00\x01"} {
		_, err := btminerv3.ParseReply("m", "c", []byte(bad))
		require.ErrorIs(t, err, drivers.ErrBadResponse, bad)
	}
}

func TestToken(t *testing.T) {
	// Expected values from the shell:
	//   printf '%s' 'set.miner.poolsabcdefgQbVy1Ou31692685443' | openssl dgst -sha256 -binary | base64 | cut -c1-8
	require.Equal(t, "baIVaTln", btminerv3.Token("set.miner.pools", "abcdefg", "QbVy1Ou3", 1692685443))
	//   printf '%s' 'set.system.rebootsuperuhCiDyVj1773869570' | ...
	require.Equal(t, "ZIxWqUqH", btminerv3.Token("set.system.reboot", "super", "uhCiDyVj", 1773869570))
}

func serve(t *testing.T, s *btminerv3test.Server) *btminerv3.Client {
	t.Helper()
	require.NoError(t, s.Start("127.0.0.1:0"))
	t.Cleanup(s.Close)
	return &btminerv3.Client{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port()))}
}

func TestCallOverLoopback(t *testing.T) {
	s := &btminerv3test.Server{Replies: map[string][]byte{
		"get.device.info": []byte(`{"code":0,"when":5,"msg":{"system":{"api":"3.0.2"}},"desc":"get.device.info"}`),
	}}
	c := serve(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obj, err := c.Call(ctx, "get.device.info", nil)
	require.NoError(t, err)
	require.Equal(t, "3.0.2", obj.O("msg").O("system").S("api"))
	_, err = c.Call(ctx, "get.nothing", "x")
	require.True(t, btminerv3.IsInvalidCommand(err))
	require.Equal(t, []string{"get.device.info", "get.nothing.x"}, s.Requests())
}

func TestCallBadServers(t *testing.T) {
	reply := map[string][]byte{"get.device.info": []byte(`{"code":0,"when":5,"msg":{"system":{"api":"3.0.2"}}}`)}
	for mode, want := range map[btminerv3test.Mode]string{
		btminerv3test.Garbage: drivers.ResultBadResponse,
		btminerv3test.HugeLen: drivers.ResultBadResponse,
		btminerv3test.HighBit: drivers.ResultBadResponse,
		btminerv3test.ZeroLen: drivers.ResultBadResponse,
		btminerv3test.Short:   drivers.ResultBadResponse,
		btminerv3test.BadJSON: drivers.ResultBadResponse,
		btminerv3test.Silent:  drivers.ResultTimeout,
	} {
		c := serve(t, &btminerv3test.Server{Replies: reply, Mode: mode})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := c.Call(ctx, "get.device.info", nil)
		cancel()
		require.Error(t, err)
		require.Equal(t, want, drivers.Result(err), "mode %d: %v", mode, err)
	}

	// Nothing listens.
	s := &btminerv3test.Server{}
	require.NoError(t, s.Start("127.0.0.1:0"))
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port()))
	s.Close()
	_, err := (&btminerv3.Client{Addr: addr}).Call(context.Background(), "get.device.info", nil)
	require.Equal(t, drivers.ResultConnectionRefused, drivers.Result(err))
}

// A cancelled context ends a read even when there is no deadline.
func TestCallCancel(t *testing.T) {
	c := serve(t, &btminerv3test.Server{Mode: btminerv3test.Silent})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Call(ctx, "get.device.info", nil)
	require.Equal(t, drivers.ResultTimeout, drivers.Result(err))
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader and, when a frame
// comes out, to the reply parser: no panic, no frame over the limit, and
// every failure classified as bad_response.
func FuzzReadFrame(f *testing.F) {
	f.Add(frame(38, `{"code":0,"when":1,"msg":{},"desc":"x"}`))
	f.Add(frame(0, ``))
	f.Add(frame(0x80000000, `{}`))
	f.Add(frame(20, `{"code":-2,"msg":"invalid command"}`))
	f.Add(frame(12, `{"code":NaN}`))
	f.Add([]byte{1, 2})
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 16
		payload, err := btminerv3.ReadFrame(bytes.NewReader(in), limit)
		if err != nil {
			if !errors.Is(err, drivers.ErrBadResponse) && !errors.Is(err, io.EOF) {
				t.Fatalf("unclassified frame error: %v", err)
			}
			return
		}
		if len(payload) == 0 || len(payload) > limit {
			t.Fatalf("frame of %d bytes", len(payload))
		}
		if _, err := btminerv3.ParseReply("fuzz", "c", payload); err != nil {
			if r := drivers.Result(err); r != drivers.ResultBadResponse && r != drivers.ResultAuthFailed {
				t.Fatalf("reply error classified %s: %v", r, err)
			}
		}
	})
}
