// Package btminerv3test is a loopback Whatsminer API v3 server for tests:
// the real 4433 framing, recorded replies, and misbehaviour on request. It
// is test infrastructure, not product code.
package btminerv3test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/btminerv3"
)

// Mode is how the server answers.
type Mode int

const (
	Normal  Mode = iota // recorded replies
	Silent              // read the request, never answer
	Garbage             // bytes that are no frame, then close
	HugeLen             // a length prefix of 0x7fffffff, then close
	HighBit             // a length prefix with the high bit set
	ZeroLen             // a length prefix of 0
	Short               // the prefix of the real reply, half the payload, close
	BadJSON             // a well-framed payload that is not JSON
)

// Server serves replies keyed by Key(cmd, param). Set fields before Start.
type Server struct {
	Replies map[string][]byte
	// Join answers get.miner.status with a "summary+edevs+pools" param by
	// merging the msg of each part, as the documented firmware does.
	// Without it such a request gets code -3 (invalid JSON item).
	Join bool
	// Mode is read at Start; change it later with SetMode.
	Mode Mode

	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen []string
	done chan struct{}
}

// Key names a request: the command, plus "." and the parameter when the
// parameter is a non-empty string ("get.miner.status.summary").
func Key(cmd string, param any) string {
	if s, ok := param.(string); ok && s != "" {
		return cmd + "." + s
	}
	return cmd
}

// LoadDir reads <key>.json files (see Key). Files whose name starts with
// "variant_" are alternative replies kept for other tests and are skipped.
func LoadDir(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || filepath.Ext(name) != ".json" || strings.HasPrefix(name, "variant_") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(name, ".json")] = b
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no replies in %s", dir)
	}
	return out, nil
}

// Start listens on addr (use "127.0.0.1:0").
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.done = make(chan struct{})
	s.wg.Add(1)
	go s.serve()
	return nil
}

// Port is the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Close stops the server and waits for its connections.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.ln.Close()
	s.wg.Wait()
}

// SetMode changes how the following requests are answered.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.Mode = m
	s.mu.Unlock()
}

// Requests lists the keys of the requests received, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.handle(conn)
		}()
	}
}

func (s *Server) handle(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	payload, err := btminerv3.ReadFrame(conn, 1<<20)
	if err != nil {
		return
	}
	var req struct {
		Cmd   string `json:"cmd"`
		Param any    `json:"param"`
	}
	if err := json.Unmarshal(payload, &req); err != nil {
		_ = btminerv3.WriteFrame(conn, []byte(`{"code":-3,"msg":"invalid json item"}`))
		return
	}
	key := Key(req.Cmd, req.Param)
	s.mu.Lock()
	s.seen = append(s.seen, key)
	mode := s.Mode
	s.mu.Unlock()

	reply := s.reply(req.Cmd, req.Param)
	var hdr [4]byte
	switch mode {
	case Silent:
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
		return
	case Garbage:
		_, _ = conn.Write([]byte("\x01\x02HTTP/1.1 400 Bad Request\r\n\r\n"))
		return
	case HugeLen:
		binary.LittleEndian.PutUint32(hdr[:], 0x7fffffff)
	case HighBit:
		binary.LittleEndian.PutUint32(hdr[:], 0xfffffff0)
	case ZeroLen:
		// hdr stays 0
	case Short:
		binary.LittleEndian.PutUint32(hdr[:], uint32(len(reply)))
		_, _ = conn.Write(append(hdr[:], reply[:len(reply)/2]...))
		return
	case BadJSON:
		_ = btminerv3.WriteFrame(conn, []byte("<html>no</html>"))
		return
	default:
		_ = btminerv3.WriteFrame(conn, reply)
		// Let the client close first, as the firmware does.
		_, _ = io.Copy(io.Discard, conn)
		return
	}
	_, _ = conn.Write(hdr[:])
}

func (s *Server) reply(cmd string, param any) []byte {
	if b, ok := s.Replies[Key(cmd, param)]; ok {
		return b
	}
	p, _ := param.(string)
	if cmd == "get.miner.status" && strings.Contains(p, "+") {
		if !s.Join {
			return []byte(`{"code":-3,"when":1,"msg":"invalid json item","desc":"get.miner.status"}`)
		}
		return s.joined(cmd, strings.Split(p, "+"))
	}
	return []byte(fmt.Sprintf(`{"code":-2,"when":1,"msg":"invalid command","desc":%q}`, cmd))
}

// joined merges the msg objects of each part's recorded reply.
func (s *Server) joined(cmd string, parts []string) []byte {
	msg := map[string]json.RawMessage{}
	for _, part := range parts {
		var r struct {
			Msg map[string]json.RawMessage `json:"msg"`
		}
		if err := json.Unmarshal(s.Replies[cmd+"."+part], &r); err != nil {
			continue
		}
		for k, v := range r.Msg {
			msg[k] = v
		}
	}
	b, _ := json.Marshal(map[string]any{"code": 0, "when": 1, "msg": msg, "desc": cmd})
	return b
}
