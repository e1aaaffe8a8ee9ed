// Package minercache is the one per-miner cache the drivers and the plugin
// keep what they learned about a miner in (identification, tokens,
// sessions, which API answered): keyed by the miner's host, bounded, and
// emptied for a miner when the plugin forgets it.
package minercache

import "sync"

// DefaultMax bounds a cache whose Max is 0: as many miners as one plugin
// block can hold (2^20 addresses), so the bound only ever cuts a leak.
const DefaultMax = 1 << 20

// Cache maps a miner's host, then a key of the caller's (port, user,
// API), to a value. The zero value is ready to use. When a new host would
// pass Max, one other host's entries are dropped: a cache entry only saves
// a round trip, so losing one costs time, never correctness.
type Cache[V any] struct {
	Max int // miners (hosts); 0 means DefaultMax

	mu sync.Mutex
	// m holds each host's entries in a small slice: a host has one to
	// three keys, and a map per host cost ~300 bytes each, ~1 KB per miner
	// over the drivers' caches (49 MB at 50,000 miners), all of it pointers
	// the GC walks on every cycle.
	m map[string][]entry[V]
}

type entry[V any] struct {
	key string
	v   V
}

// find is the index of key in es, or -1.
func find[V any](es []entry[V], key string) int {
	for i := range es {
		if es[i].key == key {
			return i
		}
	}
	return -1
}

// Get returns the value for host and key.
func (c *Cache[V]) Get(host, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	es := c.m[host]
	if i := find(es, key); i >= 0 {
		return es[i].v, true
	}
	var zero V
	return zero, false
}

// Put stores v for host and key.
func (c *Cache[V]) Put(host, key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.at(host, key) = v
}

// Update changes the value for host and key in place (the zero value when
// there is none yet) under the cache's lock.
func (c *Cache[V]) Update(host, key string, f func(*V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(c.at(host, key))
}

// GetOrCreate returns the value for host and key, storing newV() first
// when there is none.
func (c *Cache[V]) GetOrCreate(host, key string, newV func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if es := c.m[host]; find(es, key) >= 0 {
		return es[find(es, key)].v
	}
	v := newV()
	*c.at(host, key) = v
	return v
}

// Delete drops one key of a host.
func (c *Cache[V]) Delete(host, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	es := c.m[host]
	i := find(es, key)
	if i < 0 {
		return
	}
	if len(es) == 1 {
		delete(c.m, host)
		return
	}
	c.m[host] = append(es[:i:i], es[i+1:]...) // a new array: a Get's value is a copy anyway

}

// Forget drops everything kept for host.
func (c *Cache[V]) Forget(host string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, host)
}

// Len is the number of hosts with at least one entry.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// at is where host's value for key lives (the zero value when new), made
// room for; c.mu is held and the pointer is only used under it.
func (c *Cache[V]) at(host, key string) *V {
	es, ok := c.m[host]
	if !ok {
		if c.m == nil {
			c.m = map[string][]entry[V]{}
		}
		max := c.Max
		if max <= 0 {
			max = DefaultMax
		}
		for len(c.m) >= max {
			for h := range c.m { // an arbitrary host: map order
				delete(c.m, h)
				break
			}
		}
	}
	if i := find(es, key); i >= 0 {
		return &es[i].v
	}
	es = append(es, entry[V]{key: key})
	c.m[host] = es
	return &es[len(es)-1].v
}
