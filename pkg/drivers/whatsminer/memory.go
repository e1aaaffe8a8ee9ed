package whatsminer

import (
	"net"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/jsonval"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
)

// versionTTL is how long a get_version answer (firmware and API version)
// stands: it changes only with a firmware upgrade, which restarts btminer.
const versionTTL = 10 * time.Minute

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
}

// memory remembers per miner (RPC address) which API answered.
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

// cachedVersion is a recent get_version reply, or nil.
func (m *memory) cachedVersion(key string, now time.Time) jsonval.Obj {
	s := m.get(key)
	if s.version == nil || now.Sub(s.versionAt) > versionTTL {
		return nil
	}
	return s.version
}

func (m *memory) setVersion(key string, v jsonval.Obj, now time.Time) {
	m.update(key, func(s *minerState) { s.version, s.versionAt = v, now })
}
