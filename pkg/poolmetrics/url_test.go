package poolmetrics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want URL
	}{
		// Strings as they appear in the captured POOLS replies under testdata/.
		{"antminer stock", "stratum+tcp://stratum.antpool.com:3333",
			URL{Raw: "stratum+tcp://stratum.antpool.com:3333", Scheme: SchemeV1, Host: "stratum.antpool.com", Port: 3333, Parsed: true}},
		{"braiins bare host:port", "stratum.braiins.com:3333",
			URL{Raw: "stratum+tcp://stratum.braiins.com:3333", Scheme: SchemeV1, Host: "stratum.braiins.com", Port: 3333, Parsed: true}},
		{"nicehash xnsub fragment", "stratum+tcp://aaa.com:9999#xnsub",
			URL{Raw: "stratum+tcp://aaa.com:9999#xnsub", Scheme: SchemeV1, Host: "aaa.com", Port: 9999, Parsed: true}},
		{"hiveon devfee placeholder: no scheme to say", "DevFee",
			URL{Raw: "DevFee", Host: "devfee", Parsed: true}},
		{"empty slot", "", URL{}},
		{"epic current pool", "sc.luxor.tech:700",
			URL{Raw: "stratum+tcp://sc.luxor.tech:700", Scheme: SchemeV1, Host: "sc.luxor.tech", Port: 700, Parsed: true}},
		{"bare host, no port: as sent", "eusolo.ckpool.org",
			URL{Raw: "eusolo.ckpool.org", Scheme: SchemeV1, Host: "eusolo.ckpool.org", Parsed: true}},
		{"bare host:port with worker", "worker@pool.example:3333",
			URL{Raw: "stratum+tcp://worker@pool.example:3333", Scheme: SchemeV1, Host: "pool.example", Port: 3333, Parsed: true}},
		{"ssl", "stratum+ssl://btc.global.luxor.tech:700",
			URL{Raw: "stratum+ssl://btc.global.luxor.tech:700", Scheme: SchemeV1SSL, Host: "btc.global.luxor.tech", Port: 700, Parsed: true}},
		{"tls alias", "stratum+tls://pool.example:443",
			URL{Raw: "stratum+tls://pool.example:443", Scheme: SchemeV1SSL, Host: "pool.example", Port: 443, Parsed: true}},
		{"stratum v2 pubkey", "stratum2+tcp://v2.stratum.braiins.com:3336/u95GEReVMjK6k5YqiSFNqqTnKU4ypU2Wm8awa6tmbmDmk1bWt",
			URL{Raw: "stratum2+tcp://v2.stratum.braiins.com:3336/u95GEReVMjK6k5YqiSFNqqTnKU4ypU2Wm8awa6tmbmDmk1bWt", Scheme: SchemeV2,
				Host: "v2.stratum.braiins.com", Port: 3336, Pubkey: "u95GEReVMjK6k5YqiSFNqqTnKU4ypU2Wm8awa6tmbmDmk1bWt", Parsed: true}},
		{"upper case and spaces", "  STRATUM+TCP://Stratum.SlushPool.com:3333  ",
			URL{Raw: "STRATUM+TCP://Stratum.SlushPool.com:3333", Scheme: SchemeV1, Host: "stratum.slushpool.com", Port: 3333, Parsed: true}},
		{"ipv6 with port", "stratum+tcp://[2001:db8::1]:3333",
			URL{Raw: "stratum+tcp://[2001:db8::1]:3333", Scheme: SchemeV1, Host: "2001:db8::1", Port: 3333, Parsed: true}},
		{"bare ipv6", "2001:db8::1",
			URL{Raw: "2001:db8::1", Scheme: SchemeV1, Host: "2001:db8::1", Parsed: true}},
		{"no port", "stratum+tcp://pool.example",
			URL{Raw: "stratum+tcp://pool.example", Scheme: SchemeV1, Host: "pool.example", Parsed: true}},
		{"ipv4", "stratum+tcp://192.0.2.10:3333",
			URL{Raw: "stratum+tcp://192.0.2.10:3333", Scheme: SchemeV1, Host: "192.0.2.10", Port: 3333, Parsed: true}},
		{"user embedded", "stratum+tcp://worker@pool.example:3333",
			URL{Raw: "stratum+tcp://worker@pool.example:3333", Scheme: SchemeV1, Host: "pool.example", Port: 3333, Parsed: true}},
		{"unknown scheme keeps host", "http://pool.example:8080",
			URL{Raw: "http://pool.example:8080", Host: "pool.example", Port: 8080, Parsed: true}},
		{"bad port", "stratum+tcp://pool.example:99999", URL{Raw: "stratum+tcp://pool.example:99999", Scheme: SchemeV1}},
		{"garbage", "://::", URL{Raw: "://::"}},
		{"bad bracket", "stratum+tcp://[::1:3333", URL{Raw: "stratum+tcp://[::1:3333", Scheme: SchemeV1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ParseURL(tt.in))
		})
	}
}

func i64(v int64) *int64 { return &v }

func TestPercentages(t *testing.T) {
	// Hammer D10 pool 0 (testdata/hammer): Accepted 10000, Rejected 100, Stale 0.
	p := Pool{Accepted: i64(10000), Rejected: i64(100), Stale: i64(0)}
	rej, ok := p.RejectedPercent()
	require.True(t, ok)
	require.InDelta(t, 100.0/10100.0*100, rej, 1e-9) // 0.990099 %
	stale, ok := p.StalePercent()
	require.True(t, ok)
	require.InDelta(t, 0.0, stale, 1e-12)

	p = Pool{Accepted: i64(900), Rejected: i64(50), Stale: i64(50)}
	stale, ok = p.StalePercent()
	require.True(t, ok)
	require.InDelta(t, 5.0, stale, 1e-9) // 50 / 1000 * 100

	// A fresh pool with no shares: the denominator is 0, so absent.
	p = Pool{Accepted: i64(0), Rejected: i64(0), Stale: i64(0)}
	_, ok = p.RejectedPercent()
	require.False(t, ok)
	_, ok = p.StalePercent()
	require.False(t, ok)

	// Missing inputs: absent, not zero.
	_, ok = Pool{Accepted: i64(5)}.RejectedPercent()
	require.False(t, ok)
	_, ok = Pool{Accepted: i64(5), Rejected: i64(1)}.StalePercent()
	require.False(t, ok)
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"stratum+tcp://stratum.antpool.com:3333", "stratum.braiins.com:3333", "stratum+tcp://aaa.com:9999#xnsub",
		"DevFee", "", "stratum2+tcp://h:3336/key", "[::1]:1", "stratum+tcp://[2001:db8::1]:3333", "a://b@c:1/d?e#f",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u := ParseURL(s)
		if u.Parsed && u.Host == "" {
			t.Fatalf("parsed without host: %q", s)
		}
		if u.Port < 0 || u.Port > 65535 {
			t.Fatalf("port out of range: %d", u.Port)
		}
		switch u.Scheme {
		case "", SchemeV1, SchemeV1SSL, SchemeV2:
		default:
			t.Fatalf("scheme %q is not one of the three", u.Scheme)
		}
		// Raw, completed or not, reads back as the same URL.
		if u.Parsed {
			if v := ParseURL(u.Raw); v != u {
				t.Fatalf("ParseURL(%q).Raw = %q reads back as %+v, not %+v", s, u.Raw, v, u)
			}
		}
	})
}
