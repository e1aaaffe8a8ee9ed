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
	m  map[string]map[string]V
}

// Get returns the value for host and key.
func (c *Cache[V]) Get(host, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[host][key]
	return v, ok
}

// Put stores v for host and key.
func (c *Cache[V]) Put(host, key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slot(host)[key] = v
}

// Update changes the value for host and key in place (the zero value when
// there is none yet) under the cache's lock.
func (c *Cache[V]) Update(host, key string, f func(*V)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.slot(host)
	v := s[key]
	f(&v)
	s[key] = v
}

// GetOrCreate returns the value for host and key, storing newV() first
// when there is none.
func (c *Cache[V]) GetOrCreate(host, key string, newV func() V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[host][key]; ok {
		return v
	}
	v := newV()
	c.slot(host)[key] = v
	return v
}

// Delete drops one key of a host.
func (c *Cache[V]) Delete(host, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[host]
	if !ok {
		return
	}
	delete(s, key)
	if len(s) == 0 {
		delete(c.m, host)
	}
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

// slot is host's map, made room for; c.mu is held.
func (c *Cache[V]) slot(host string) map[string]V {
	if s, ok := c.m[host]; ok {
		return s
	}
	if c.m == nil {
		c.m = map[string]map[string]V{}
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
	s := map[string]V{}
	c.m[host] = s
	return s
}
