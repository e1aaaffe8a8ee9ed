// Package fakeminer is a loopback miner for tests and the simulator: it
// serves recorded cgminer-style replies on TCP, and misbehaves on request.
// It is test infrastructure, not product code.
package fakeminer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mode is how the fake miner answers.
type Mode int

const (
	Normal  Mode = iota // recorded replies
	Silent              // accept, read, never answer
	Garbage             // binary garbage, then close
	Half                // the first half of the reply, then close
	Stream              // bytes without end
	HTML                // an HTTP error page
	Reset               // close with RST right after accept
	Slow                // one byte a second
)

// Miner serves recorded replies. Set the fields before Start.
type Miner struct {
	// Replies maps a command to its reply payload (the JSON a single
	// {"command":X} request returns).
	Replies map[string][]byte
	// Multi makes "a+b" requests answer {"a":[...],"b":[...],"id":1};
	// otherwise they get STATUS E, as on firmware that has no multi-command.
	Multi bool
	// NUL appends cgminer's trailing NUL byte.
	NUL  bool
	Mode Mode
	// Latency, when set, is how long the miner thinks before each reply.
	Latency func() time.Duration
	// Live, when set, renders replies with moving values (see Live).
	Live *Live

	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	seen   []string
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
}

// maxSeen bounds the request log of a long-running simulated miner.
const maxSeen = 1024

// LoadDir reads every <command>.json (or .raw, served byte for byte) file of
// dir into a reply map.
func LoadDir(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || (ext != ".json" && ext != ".raw") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(name, ext)] = b
	}
	return out, nil
}

// Start listens on addr ("127.0.0.1:0" for an ephemeral port).
func (m *Miner) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	m.ln = ln
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go m.serve()
	return nil
}

// Addr is the listening address.
func (m *Miner) Addr() string { return m.ln.Addr().String() }

// Host and Port split Addr.
func (m *Miner) Host() string { h, _, _ := net.SplitHostPort(m.Addr()); return h }

// Port is the listening port.
func (m *Miner) Port() int { return m.ln.Addr().(*net.TCPAddr).Port }

// Commands lists the requests received, in order.
func (m *Miner) Commands() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.seen...)
}

// Close stops the listener and every connection. It may be called twice.
func (m *Miner) Close() {
	m.once.Do(func() {
		m.cancel()
		m.ln.Close()
		m.wg.Wait()
	})
}

func (m *Miner) serve() {
	defer m.wg.Done()
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			return
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.handle(conn)
		}()
	}
}

func (m *Miner) handle(conn net.Conn) {
	m.serveConn(m.ctx, conn)
}

// serveConn answers one connection; ctx ending closes it.
func (m *Miner) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if m.Mode == Reset {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return
	}
	if m.Mode == Silent {
		// A hung miner keeps the connection open and says nothing,
		// whatever protocol it is spoken to in.
		<-ctx.Done()
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var req struct {
		Command   string `json:"command"`
		Parameter any    `json:"parameter"`
	}
	if err := json.NewDecoder(conn).Decode(&req); err != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	m.mu.Lock()
	if len(m.seen) < maxSeen {
		m.seen = append(m.seen, req.Command)
	}
	m.mu.Unlock()

	switch m.Mode {
	case Silent:
		<-ctx.Done()
		return
	case Garbage:
		_, _ = conn.Write([]byte("\x00\xff\xfe{{[[\x01\x02garbage\x9f\"\x00"))
		return
	case Stream:
		chunk := bytes.Repeat([]byte(`{"a":[`), 4096)
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	case HTML:
		_, _ = io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad Request</h1></body></html>")
		return
	}
	if m.Latency != nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.Latency()):
		}
	}
	reply := m.reply(req.Command)
	if m.NUL {
		reply = append(reply, 0)
	}
	switch m.Mode {
	case Half:
		_, _ = conn.Write(reply[:len(reply)/2])
	case Slow:
		for _, c := range reply {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			if _, err := conn.Write([]byte{c}); err != nil {
				return
			}
		}
	default:
		_, _ = conn.Write(reply)
	}
}

func (m *Miner) reply(cmd string) []byte {
	if r, ok := m.Replies[cmd]; ok {
		if m.Live != nil {
			return m.Live.Render(cmd, r)
		}
		return append([]byte(nil), r...)
	}
	if !strings.Contains(cmd, "+") || !m.Multi {
		return invalid(cmd)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for _, c := range strings.Split(cmd, "+") {
		r, ok := m.Replies[c]
		switch {
		case !ok:
			r = invalid(c)
		case m.Live != nil:
			r = m.Live.Render(c, r)
		}
		fmt.Fprintf(&b, "%q:[%s],", c, bytes.TrimSpace(r))
	}
	b.WriteString(`"id":1}`)
	return b.Bytes()
}

func invalid(cmd string) []byte {
	return []byte(fmt.Sprintf(`{"STATUS":[{"STATUS":"E","When":1700000000,"Code":14,"Msg":"Invalid command","Description":"fake"}],"id":1,"cmd":%q}`, cmd))
}

// MustLoadDir is LoadDir for tests: it fails the test on an error or an
// empty folder.
func MustLoadDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	reps, err := LoadDir(dir)
	if err != nil {
		t.Fatalf("loading captures: %v", err)
	}
	if len(reps) == 0 {
		t.Fatalf("no replies in %s", dir)
	}
	return reps
}
