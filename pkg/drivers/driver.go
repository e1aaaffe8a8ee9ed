// Package drivers holds the miner data model, the Driver interface and the
// registry every firmware family registers with.
package drivers

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
)

// Default ports, used when the configuration names none.
const (
	DefaultRPCPort  = 4028
	DefaultWebPort  = 80
	DefaultGRPCPort = 50051
)

// Ports are where a miner's APIs are reached.
type Ports struct {
	RPC  int
	Web  int
	GRPC int
}

// Target is one miner to talk to.
type Target struct {
	Host     string // address or host name, without port
	Ports    Ports
	Username string // empty: the firmware's default
	Password string // never logged, never part of an error
	// TLS, when set, makes web APIs use https with these settings (the
	// plugin's tls_ca, insecure_skip_verify, ...).
	TLS *tls.Config
}

// Credentials are the target's user and password, each the firmware's
// default (defUser, defPass) where the target leaves it empty: the one
// reading of "empty means the firmware's default" for every web login.
func (t Target) Credentials(defUser, defPass string) (user, pass string) {
	return cmp.Or(t.Username, defUser), cmp.Or(t.Password, defPass)
}

// RPCAddr is host:port of the cgminer-style API.
func (t Target) RPCAddr() string { return joinPort(t.Host, t.Ports.RPC, DefaultRPCPort) }

// WebAddr is host:port of the web API.
func (t Target) WebAddr() string { return joinPort(t.Host, t.Ports.Web, DefaultWebPort) }

// GRPCAddr is host:port of the gRPC API.
func (t Target) GRPCAddr() string { return joinPort(t.Host, t.Ports.GRPC, DefaultGRPCPort) }

func joinPort(host string, port, def int) string {
	if port == 0 {
		port = def
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// Driver gathers one firmware family. Gather must honour ctx's deadline in
// every network operation and return what it could read even when part of
// the miner's API failed (with the failure in MinerData.Problems); it
// returns an error only when nothing useful was read.
type Driver interface {
	Name() string
	Gather(ctx context.Context, t Target) (*MinerData, error)
}

var (
	mu       sync.RWMutex
	registry = map[string]func() Driver{}
	idents   = map[string]Identification{}
)

// Register makes a driver available by name. It panics on a duplicate name,
// as database/sql does: that is a programming error.
func Register(name string, factory func() Driver) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[name]; dup {
		panic("drivers: Register called twice for " + name)
	}
	registry[name] = factory
}

// New returns a new instance of the named driver.
func New(name string) (Driver, error) {
	mu.RLock()
	f, ok := registry[name]
	mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown driver %q (known: %v)", name, Names())
	}
	return f(), nil
}

// Names lists the registered drivers, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Registered tells whether a driver of that name is registered, without
// building one.
func Registered(name string) bool {
	mu.RLock()
	defer mu.RUnlock()
	_, ok := registry[name]
	return ok
}

// RegisterIdentification declares how the named family recognises its
// miners (see Identification). A family registers it from its own package,
// next to its driver; identify consults every registered one. It panics on
// a duplicate or on a missing Match, as Register does.
func RegisterIdentification(name string, id Identification) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := idents[name]; dup {
		panic("drivers: RegisterIdentification called twice for " + name)
	}
	if id.Match == nil {
		panic("drivers: RegisterIdentification without Match for " + name)
	}
	idents[name] = id
}

// Identifications returns every registered identification by family name.
func Identifications() map[string]Identification {
	mu.RLock()
	defer mu.RUnlock()
	out := make(map[string]Identification, len(idents))
	for k, v := range idents {
		out[k] = v
	}
	return out
}

// IdentificationCount is how many identifications are registered. Outside
// tests it only grows (no duplicates, no removal), so a caller can keep what
// it derived from Identifications until it changes.
func IdentificationCount() int {
	mu.RLock()
	defer mu.RUnlock()
	return len(idents)
}

// Forgetter is a driver (or transport) that keeps state per miner: tokens,
// sessions, which API answered. The plugin calls Forget when a miner
// leaves its inventory, so that memory follows the inventory, not history.
type Forgetter interface {
	Forget(host string)
}
