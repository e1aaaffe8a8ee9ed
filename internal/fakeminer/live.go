package fakeminer

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Live makes a recorded miner move, so dashboards and tests see what a real
// fleet does: hashrates wander a few percent around the recorded value,
// share counters grow with time, and now and then a fan or a board reads 0
// for a couple of minutes. Replies are compiled once into templates with
// holes at those values, so rendering costs about a copy.
type Live struct {
	seed  uint64
	start time.Time

	mu   sync.Mutex
	rng  *rand.Rand
	tmpl map[string]*template
}

// NewLive animates a miner; seed makes its failures and noise its own.
func NewLive(seed uint64) *Live {
	return &Live{seed: seed, start: time.Now(), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tmpl: map[string]*template{}}
}

type kind int

const (
	counter kind = iota + 1
	rate
	fan
)

var (
	counterKey = regexp.MustCompile(`^(Accepted|Rejected|Stale|accepted|rejected|stale)$`)
	rateKey    = regexp.MustCompile(`^(GHS 5s|GHS 1m|MHS 5s|MHS 1m|MHS 15s|chain_rate\d+|rate_real)$`)
	boardKey   = regexp.MustCompile(`^(chain_rate\d+|rate_real)$`)
	fanKey     = regexp.MustCompile(`^(fan\d+|Fan\d+|Fan Speed In|Fan Speed Out|RPM)$`)
	// shares per second for each counter: about one accepted share every
	// five seconds, rare rejects and stales.
	counterRate = map[string]float64{"Accepted": 0.2, "accepted": 0.2, "Rejected": 0.0005, "rejected": 0.0005,
		"Stale": 0.0002, "stale": 0.0002}
)

type hole struct {
	key      string
	kind     kind
	base     float64
	decimals int // -1: integer
	first    bool
}

type template struct {
	parts [][]byte // len(holes)+1
	holes []hole
}

// Render returns reply with its moving values for now.
func (l *Live) Render(cmd string, reply []byte) []byte {
	l.mu.Lock()
	t, ok := l.tmpl[cmd]
	if !ok {
		t = compile(reply)
		l.tmpl[cmd] = t
	}
	elapsed := time.Since(l.start).Seconds()
	window := uint64(elapsed / 120) // failures last two minutes
	fanDown := (window+l.seed)%15 == 0
	boardDown := (window+l.seed*7)%25 == 0
	out := make([]byte, 0, len(reply)+32)
	for i, h := range t.holes {
		out = append(out, t.parts[i]...)
		v := h.base
		switch h.kind {
		case counter:
			v = h.base + counterRate[h.key]*elapsed
		case rate:
			v = h.base * (1 + 0.03*(l.rng.Float64()*2-1))
			if boardDown && h.first {
				v = 0
			}
		case fan:
			v = h.base * (1 + 0.02*(l.rng.Float64()*2-1))
			if fanDown && h.first {
				v = 0
			}
		}
		if h.base == 0 && h.kind != counter {
			v = 0 // padding slots stay empty
		}
		if h.decimals < 0 {
			out = strconv.AppendInt(out, int64(v), 10)
		} else {
			out = strconv.AppendFloat(out, v, 'f', h.decimals, 64)
		}
	}
	out = append(out, t.parts[len(t.holes)]...)
	l.mu.Unlock()
	return out
}

// compile finds "key": number and "key": "number" pairs of the moving keys.
func compile(b []byte) *template {
	t := &template{}
	last := 0
	seenKind := map[kind]bool{}
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := stringEnd(b, i)
		if end < 0 {
			break
		}
		key := string(b[i+1 : end])
		j := skipWS(b, end+1)
		if j >= len(b) || b[j] != ':' {
			i = end
			continue
		}
		j = skipWS(b, j+1)
		k := kindOf(key)
		if k == 0 || j >= len(b) {
			i = end
			continue
		}
		start := j
		if b[j] == '"' {
			start = j + 1
		}
		stop := start
		for stop < len(b) && (b[stop] >= '0' && b[stop] <= '9' || b[stop] == '.' || b[stop] == '-') {
			stop++
		}
		num := string(b[start:stop])
		base, err := strconv.ParseFloat(num, 64)
		if err != nil || stop == start || (b[j] == '"' && (stop >= len(b) || b[stop] != '"')) {
			i = end
			continue
		}
		dec := -1
		for d := 0; d < len(num); d++ {
			if num[d] == '.' {
				dec = len(num) - d - 1
			}
		}
		t.parts = append(t.parts, b[last:start])
		// Only a board's own rate or a fan fails, never the miner's total.
		fails := k == fan || (k == rate && boardKey.MatchString(key))
		t.holes = append(t.holes, hole{key: key, kind: k, base: base, decimals: dec, first: fails && !seenKind[k] && base != 0})
		if fails && base != 0 {
			seenKind[k] = true
		}
		last = stop
		i = stop - 1
	}
	t.parts = append(t.parts, b[last:])
	return t
}

func kindOf(key string) kind {
	switch {
	case counterKey.MatchString(key):
		return counter
	case rateKey.MatchString(key):
		return rate
	case fanKey.MatchString(key):
		return fan
	}
	return 0
}

func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
