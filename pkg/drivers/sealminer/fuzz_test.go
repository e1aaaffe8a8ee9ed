package sealminer

import (
	"testing"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/cgminer"
)

// FuzzParseSealMiner replaces one command's reply of the A2 capture with
// the fuzzed bytes and parses; nothing may panic, and boards and fans stay
// within the slots read.
func FuzzParseSealMiner(f *testing.F) {
	base := rpcReplies(f)
	for i, cmd := range Commands {
		f.Add(uint8(i), base[cmd])
	}
	f.Add(uint8(2), []byte(`{"STATUS":[{"STATUS":"S"}],"STATS":[{"99 Speed":1,"1 Chip Count":-3,"0 Temp 0":"x","07 SN":7,"-1 Freq":1e308}]}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		reps := make(map[string][]byte, len(base))
		for k, v := range base {
			reps[k] = v
		}
		reps[Commands[int(which)%len(Commands)]] = data
		d := Parse(cgminer.BatchFromRaw("fuzz", reps))
		if d == nil || len(d.Boards) > maxSlots || len(d.Fans) > maxSlots {
			t.Fatalf("bad result: %+v", d)
		}
	})
}
