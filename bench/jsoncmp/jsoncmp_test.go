// Package jsoncmp compares JSON decoders on real miner replies: the
// project's own jsonval (a one-pass tree decoder), encoding/json,
// valyala/fastjson and bytedance/sonic. It is its own module so that the
// candidates never enter the main go.mod unless the numbers justify it.
// Run: cd bench/jsoncmp && go test -bench . -benchmem
package jsoncmp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/bytedance/sonic"
	"github.com/valyala/fastjson"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
)

const s19 = "../../testdata/antminer/S19Pro_49.0.1.3"

// joined is the reply a driver decodes on the hot path: the S19 Pro's
// version, summary, stats and pools joined as the firmware joins them.
func joined(t testing.TB) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, c := range []string{"version", "summary", "stats", "pools"} {
		raw, err := os.ReadFile(filepath.Join(s19, c+".json"))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(strconv.Quote(c) + ":[" + string(bytes.TrimSpace(raw)) + "],")
	}
	b.WriteString(`"id":1}`)
	return b.Bytes()
}

func inputs(t testing.TB) map[string][]byte {
	m3, err := os.ReadFile("../../testdata/whatsminer/M3_cgminer4.9.2_2018/stats.json")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"s19pro_joined": joined(t), "m3_stats_66k": m3}
}

// fields are what a driver reads from the joined reply (the antminer
// parser's hashrate, uptime, fans, chain rates, pool counters).
var statsFields = []string{"GHS 5s", "fan1", "fan2", "fan3", "fan4", "temp_chip1", "chain_rate1", "chain_rate2", "chain_rate3", "chain_acn1"}

// viaTree reads the fields from a decoded tree: jsonval's Obj, or the
// map[string]any encoding/json and sonic give (read as plainly).
func viaTree(v any) (sum float64) {
	if m, ok := v.(map[string]any); ok {
		return viaMap(m)
	}
	o, _ := v.(jsonval.Obj)
	if l := o.Objs("summary"); len(l) > 0 {
		if s := l[0].Objs("SUMMARY"); len(s) > 0 {
			sum += *s[0].F("GHS 5s") + *s[0].F("Elapsed")
		}
	}
	if l := o.Objs("stats"); len(l) > 0 {
		if s := l[0].Objs("STATS"); len(s) > 1 {
			for _, f := range statsFields {
				if x := s[1].F(f); x != nil {
					sum += *x
				}
			}
		}
	}
	if l := o.Objs("pools"); len(l) > 0 {
		for _, p := range l[0].Objs("POOLS") {
			sum += *p.F("Accepted")
		}
	}
	// The M3 stats reply: count its STATS entries.
	sum += float64(len(o.Objs("STATS")))
	return sum
}

// objs is the objects of the list under key of a map tree.
func objs(m map[string]any, key string) []map[string]any {
	l, _ := m[key].([]any)
	var out []map[string]any
	for _, e := range l {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func viaMap(o map[string]any) (sum float64) {
	if l := objs(o, "summary"); len(l) > 0 {
		if s := objs(l[0], "SUMMARY"); len(s) > 0 {
			sum += *jsonval.Float(s[0]["GHS 5s"]) + *jsonval.Float(s[0]["Elapsed"])
		}
	}
	if l := objs(o, "stats"); len(l) > 0 {
		if s := objs(l[0], "STATS"); len(s) > 1 {
			for _, f := range statsFields {
				if x := jsonval.Float(s[1][f]); x != nil {
					sum += *x
				}
			}
		}
	}
	if l := objs(o, "pools"); len(l) > 0 {
		for _, p := range objs(l[0], "POOLS") {
			sum += *jsonval.Float(p["Accepted"])
		}
	}
	// The M3 stats reply: count its STATS entries.
	sum += float64(len(objs(o, "STATS")))
	return sum
}

func fastNum(v *fastjson.Value) float64 {
	if v == nil {
		return 0
	}
	if f, err := v.Float64(); err == nil {
		return f
	}
	if b, err := v.StringBytes(); err == nil {
		f, _ := strconv.ParseFloat(string(b), 64)
		return f
	}
	return 0
}

// viaFast reads the same fields from fastjson's own tree.
func viaFast(v *fastjson.Value) (sum float64) {
	if s := v.Get("summary", "0", "SUMMARY", "0"); s != nil {
		sum += fastNum(s.Get("GHS 5s")) + fastNum(s.Get("Elapsed"))
	}
	if s := v.Get("stats", "0", "STATS", "1"); s != nil {
		for _, f := range statsFields {
			sum += fastNum(s.Get(f))
		}
	}
	for _, p := range v.GetArray("pools", "0", "POOLS") {
		sum += fastNum(p.Get("Accepted"))
	}
	sum += float64(len(v.GetArray("STATS")))
	return sum
}

var sonicNumber = sonic.Config{UseNumber: true}.Froze()

func decodeStd(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func decodeSonic(raw []byte) (any, error) {
	var v any
	err := sonicNumber.Unmarshal(raw, &v)
	return v, err
}

var parsers fastjson.ParserPool

// Every decoder reads the same values.
func TestSameValues(t *testing.T) {
	for name, raw := range inputs(t) {
		v, err := jsonval.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		want := viaTree(v)
		if want == 0 {
			t.Fatalf("%s: nothing read", name)
		}
		for dname, dec := range map[string]func([]byte) (any, error){"encoding_json": decodeStd, "sonic": decodeSonic} {
			v, err := dec(raw)
			if err != nil {
				t.Fatal(dname, err)
			}
			if got := viaTree(v); got != want {
				t.Errorf("%s/%s: %v, jsonval %v", name, dname, got, want)
			}
		}
		p := parsers.Get()
		fv, err := p.ParseBytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := viaFast(fv); got != want {
			t.Errorf("%s/fastjson: %v, jsonval %v", name, got, want)
		}
		parsers.Put(p)
	}
}

func BenchmarkDecode(b *testing.B) {
	for name, raw := range inputs(b) {
		tree := func(dec func([]byte) (any, error)) func(*testing.B) {
			return func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				for b.Loop() {
					v, err := dec(raw)
					if err != nil {
						b.Fatal(err)
					}
					_ = viaTree(v)
				}
			}
		}
		b.Run(name+"/jsonval", tree(jsonval.Decode))
		b.Run(name+"/encoding_json", tree(decodeStd))
		b.Run(name+"/sonic", tree(decodeSonic))
		b.Run(name+"/fastjson_pooled", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				p := parsers.Get()
				v, err := p.ParseBytes(raw)
				if err != nil {
					b.Fatal(err)
				}
				_ = viaFast(v)
				parsers.Put(p)
			}
		})
	}
}
