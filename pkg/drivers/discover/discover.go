// Package discover finds the miners that live in a range of addresses: a
// fast TCP connect probe on the miner ports, many hosts at once, each with
// a short timeout. Identification of what answered is identify's job.
package discover

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"
)

// Scanner probes hosts for an open miner port.
type Scanner struct {
	Ports       []int         // tried at once on each host
	Timeout     time.Duration // per host; an empty address costs this once
	Concurrency int           // hosts probed at once
	// Dial is used instead of a net.Dialer when set (tests).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Scan returns, in input order, the hosts where at least one port accepted
// a connection. A refused port is answered at once; an address with no
// host behind it costs Timeout, once for all its ports.
func (s *Scanner) Scan(ctx context.Context, hosts []string) []string {
	conc := s.Concurrency
	if conc <= 0 {
		conc = 1000
	}
	found := make([]bool, len(hosts))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, h := range hosts {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			found[i] = s.open(ctx, h)
		}()
	}
	wg.Wait()
	out := make([]string, 0, len(hosts)/8)
	for i, ok := range found {
		if ok {
			out = append(out, hosts[i])
		}
	}
	return out
}

// open tries every port at once and reports whether any accepted.
func (s *Scanner) open(ctx context.Context, host string) bool {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	dial := s.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	results := make(chan bool, len(s.Ports))
	for _, p := range s.Ports {
		go func() {
			c, err := dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(p)))
			if err == nil {
				c.Close()
			}
			results <- err == nil
		}()
	}
	any := false
	for range s.Ports {
		if <-results {
			any = true
			cancel() // the other ports need not finish
		}
	}
	return any
}
