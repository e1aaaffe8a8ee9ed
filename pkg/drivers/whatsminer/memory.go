package whatsminer

import (
	"net"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
)

// versionTTL is how long a get_version answer (firmware and API version)
// stands: it changes only with a firmware upgrade, which restarts btminer.
// What the firmware was found to lack, and which board command it answers,
// stand as long.
const versionTTL = 10 * time.Minute

// minerInfoTTL is how long a get_miner_info answer stands: mac, hostname
// and serial are fixed, and ledstat (the fault light) changes only when a
// person switches it, so it shows up to this late.
const minerInfoTTL = 5 * time.Minute

// lack is a bit per get_*/status command a firmware answered "invalid cmd".
type lack uint8

const (
	lackMinerInfo lack = 1 << iota
	lackErrorCode
	lackStatus
	lackPSU
	lackVersion
)

type apiVersionTag uint8

const (
	apiUnknown apiVersionTag = iota
	apiV2
	apiV3
)

type minerState struct {
	api apiVersionTag
	// split: the firmware does not join get.miner.status sections.
	split bool
	// version is the last get_version reply (API v2) and when it came.
	version   jsonval.Obj
	versionAt time.Time
	// info is the last get_miner_info reply and when it came.
	info   jsonval.Obj
	infoAt time.Time
	// lacks are the commands this firmware answered "invalid cmd" to,
	// learned at lacksAt.
	lacks   lack
	lacksAt time.Time
	// boards is the board command that answered ("edevs", "devs" or
	// "stats") and when that was learned; "" is not known yet.
	boards   string
	boardsAt time.Time
}

// memory remembers per miner (RPC address) which API answered and what an
// API v2 gather can skip (see the package comment).
type memory struct {
	c minercache.Cache[minerState]
}

// hostOf is the miner of an RPC address, which the cache forgets by.
func hostOf(key string) string {
	if h, _, err := net.SplitHostPort(key); err == nil {
		return h
	}
	return key
}

func (m *memory) get(key string) minerState {
	s, _ := m.c.Get(hostOf(key), key)
	return s
}

func (m *memory) update(key string, f func(*minerState)) {
	m.c.Update(hostOf(key), key, f)
}

func (m *memory) api(key string) apiVersionTag { return m.get(key).api }
func (m *memory) split(key string) bool        { return m.get(key).split }

func (m *memory) setAPI(key string, v apiVersionTag) {
	m.update(key, func(s *minerState) { s.api = v })
}

func (m *memory) setSplit(key string) {
	m.update(key, func(s *minerState) { s.split = true })
}

func (m *memory) forget(key string) {
	m.c.Delete(hostOf(key), key)
}

// v2Plan is what a v2 gather can skip: the state of key as of now, with
// what has outlived its TTL dropped.
type v2Plan struct {
	version jsonval.Obj
	info    jsonval.Obj
	lacks   lack
	boards  string
}

func (m *memory) plan(key string, now time.Time) v2Plan {
	s := m.get(key)
	p := v2Plan{version: s.version, info: s.info, lacks: s.lacks, boards: s.boards}
	if now.Sub(s.versionAt) > versionTTL {
		p.version = jsonval.Obj{}
	}
	if now.Sub(s.infoAt) > minerInfoTTL {
		p.info = jsonval.Obj{}
	}
	if now.Sub(s.lacksAt) > versionTTL {
		p.lacks = 0
	}
	if now.Sub(s.boardsAt) > versionTTL {
		p.boards = ""
	}
	return p
}

// learned records what one v2 gather found out. A nil reply or an empty
// boards keeps what was known.
func (m *memory) learned(key string, now time.Time, version, info jsonval.Obj, lacks lack, boards string) {
	m.update(key, func(s *minerState) {
		if !version.IsNil() {
			s.version, s.versionAt = version, now
		}
		if !info.IsNil() {
			s.info, s.infoAt = info, now
		}
		if lacks != 0 {
			if now.Sub(s.lacksAt) > versionTTL {
				s.lacks, s.lacksAt = 0, now
			}
			s.lacks |= lacks
		}
		if boards != "" && (boards != s.boards || now.Sub(s.boardsAt) > versionTTL) {
			s.boards, s.boardsAt = boards, now
		}
	})
}
