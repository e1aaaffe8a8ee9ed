// Package hostile is a loopback miner that misbehaves on purpose, one mode
// per misbehaviour, for each protocol the drivers speak: the cgminer TCP
// API, HTTP web APIs, Whatsminer API v3 (4433 framing) and gRPC (Braiins
// OS). Tests use it to prove that a bad miner costs only its own deadline,
// a bounded amount of memory, and no goroutine. It is test
// infrastructure, not product code, and only ever listens on loopback.
package hostile

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins/bosapi"
)

// Proto is the protocol a hostile miner pretends to speak.
type Proto int

const (
	CGMiner Proto = iota // TCP 4028 JSON
	HTTP                 // a web API
	V3                   // Whatsminer API v3: 4-byte LE length + JSON
	GRPC                 // Braiins OS gRPC (HTTP/2)
)

func (p Proto) String() string {
	return [...]string{"cgminer", "http", "v3", "grpc"}[p]
}

// Mode is one misbehaviour.
type Mode int

const (
	Silent       Mode = iota // accept, read, never answer
	Slowloris                // a valid reply, one byte a second
	Stream                   // bytes without end
	Reset                    // RST right after accept
	Half                     // half a reply, then close
	Garbage                  // binary garbage, then close
	HTML                     // an HTML page where JSON (or HTTP/2) is expected
	TLS                      // a TLS server where plain TCP/HTTP is expected
	DeepJSON                 // a JSON value nested 1,000,000 deep
	HugeNumber               // numbers 1e400 and 10^100000 (100,001 digits)
	HugeString               // one 3 MiB string
	HugeLength               // a Content-Length / v3 length prefix far beyond any limit
	RedirectLoop             // HTTP: /a -> /b -> /a ...
	RedirectAway             // HTTP: to another host (AwayHost)
	Unauthorized             // HTTP: 401 with a Digest challenge on everything; gRPC: Login Unauthenticated
	StallCalls               // gRPC: Login answers, every other call stalls
)

var modeNames = [...]string{"silent", "slowloris", "stream", "reset", "half", "garbage", "html", "tls",
	"deep_json", "huge_number", "huge_string", "huge_length", "redirect_loop", "redirect_away",
	"unauthorized", "stall_calls"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode" + strconv.Itoa(int(m))
}

// AwayHost is the "other host" of RedirectAway: another loopback address.
const AwayHost = "127.0.0.2"

// Modes lists the modes that apply to a protocol.
func Modes(p Proto) []Mode {
	common := []Mode{Silent, Slowloris, Stream, Reset, Half, Garbage, HTML, TLS}
	switch p {
	case CGMiner:
		return append(common, DeepJSON, HugeNumber, HugeString)
	case HTTP:
		return append(common, DeepJSON, HugeNumber, HugeString, HugeLength, RedirectLoop, RedirectAway, Unauthorized)
	case V3:
		return append(common, DeepJSON, HugeNumber, HugeString, HugeLength)
	case GRPC:
		// Half: half a SETTINGS frame. Payload modes need protobuf, not JSON.
		return append(common, Unauthorized, StallCalls)
	}
	return nil
}

// Server is one hostile miner.
type Server struct {
	Proto Proto
	Mode  Mode

	ln       net.Listener
	grpc     *grpc.Server
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	once     sync.Once
	accepted atomic.Int32
	requests atomic.Int32
}

// Start serves p in mode m on 127.0.0.1 (an ephemeral port) until the test
// ends.
func Start(t testing.TB, p Proto, m Mode) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", p, m)
	if err != nil {
		t.Fatalf("hostile %s/%s: %v", p, m, err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen serves p in mode m on addr, which must be a loopback address.
func Listen(addr string, p Proto, m Mode) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("hostile: %s is not a loopback address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Proto: p, Mode: m}
	s.ln = &countingListener{Listener: ln, n: &s.accepted}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if p == GRPC && (m == Unauthorized || m == StallCalls) {
		s.grpc = newGRPC(s, m)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = s.grpc.Serve(s.ln)
		}()
		return s, nil
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

type countingListener struct {
	net.Listener
	n *atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the listening port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Accepted counts TCP connections accepted.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Requests counts requests read (HTTP requests, gRPC calls).
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Close stops the listener and every connection, and waits for all the
// server's goroutines. It may be called twice.
func (s *Server) Close() {
	s.once.Do(func() {
		s.cancel()
		if s.grpc != nil {
			s.grpc.Stop()
		}
		s.ln.Close()
		s.wg.Wait()
	})
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
			stop := context.AfterFunc(s.ctx, func() { conn.Close() })
			defer stop()
			s.handle(conn)
		}()
	}
}

// sleep waits d or until the server closes; false means closed.
func (s *Server) sleep(d time.Duration) bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (s *Server) handle(conn net.Conn) {
	if s.Mode == Reset {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return
	}
	if s.Mode == TLS {
		// A TLS server reading a plaintext request answers with an alert
		// and hangs up, as a real HTTPS-only port would.
		tc := tls.Server(conn, serverTLS())
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
		return
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	var path string
	if s.Proto == HTTP {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		_ = conn.SetReadDeadline(time.Time{})
		path = req.URL.Path
		s.requests.Add(1)
	} else {
		// The request (or the HTTP/2 preface) is small: one read is enough.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		if _, err := br.Read(buf); err != nil {
			return
		}
		_ = conn.SetReadDeadline(time.Time{})
		s.requests.Add(1)
	}
	s.misbehave(conn, path)
}

func (s *Server) misbehave(conn net.Conn, path string) {
	switch s.Mode {
	case Silent:
		<-s.ctx.Done()
	case Garbage:
		_, _ = conn.Write([]byte("\x00\xff\xfe\x15\x03\x01{{[[\x01\x02garbage\x9f\"\x00\x80\x80"))
	case Stream:
		s.stream(conn)
	case Slowloris:
		for _, c := range s.frame(validReply(s.Proto)) {
			if _, err := conn.Write([]byte{c}); err != nil || !s.sleep(time.Second) {
				return
			}
		}
		<-s.ctx.Done()
	case Half:
		b := s.frame(validReply(s.Proto))
		_, _ = conn.Write(b[:len(b)/2])
	case HTML:
		page := []byte("<html><head><title>Login</title></head><body><h1>Please log in</h1></body></html>")
		if s.Proto == HTTP {
			_, _ = fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(page), page)
			return
		}
		// A web server on the API port: it answers the request as HTTP.
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s", len(page), page)
	case DeepJSON:
		const depth = 1_000_000
		b := make([]byte, 0, 2*depth+16)
		b = append(b, `{"d":`...)
		b = append(b, bytes.Repeat([]byte{'['}, depth)...)
		b = append(b, bytes.Repeat([]byte{']'}, depth)...)
		b = append(b, '}')
		_, _ = conn.Write(s.frame(b))
	case HugeNumber:
		_, _ = conn.Write(s.frame(hugeNumberReply()))
	case HugeString:
		_, _ = conn.Write(s.frame(hugeStringReply()))
	case HugeLength:
		switch s.Proto {
		case HTTP:
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n")
			s.stream(conn)
		case V3:
			var hdr [4]byte
			binary.LittleEndian.PutUint32(hdr[:], 0x7ffffff0) // 2 GiB
			_, _ = conn.Write(hdr[:])
			s.stream(conn)
		}
	case RedirectLoop:
		next := "/a"
		if path == "/a" {
			next = "/b"
		}
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", next)
	case RedirectAway:
		_, port, _ := net.SplitHostPort(s.Addr())
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 302 Found\r\nLocation: http://%s/stolen\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
			net.JoinHostPort(AwayHost, port))
	case Unauthorized:
		body := "<html><body>401 Unauthorized</body></html>"
		_, _ = fmt.Fprintf(conn, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"hostile\", nonce=\"%d\", qop=\"auth\"\r\n"+
			"Content-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", time.Now().UnixNano(), len(body), body)
	}
}

// stream writes without end until the peer goes away or the server closes.
func (s *Server) stream(conn net.Conn) {
	var chunk []byte
	switch s.Proto {
	case HTTP, CGMiner:
		chunk = bytes.Repeat([]byte(`{"a":[`), 8192) // never a complete JSON value
	case V3:
		// A frame of just under the 4 MiB limit whose payload never ends
		// as JSON; past the frame, more of the same.
		var hdr [4]byte
		binary.LittleEndian.PutUint32(hdr[:], 4<<20-16)
		if _, err := conn.Write(hdr[:]); err != nil {
			return
		}
		chunk = bytes.Repeat([]byte(`[`), 48<<10)
	default:
		chunk = bytes.Repeat([]byte{0, 0, 0x7f, 0xff, 0xff, 0x10}, 8192)
	}
	for s.ctx.Err() == nil {
		if _, err := conn.Write(chunk); err != nil {
			return
		}
	}
}

// frame wraps a JSON payload the way the protocol carries a reply.
func (s *Server) frame(payload []byte) []byte {
	switch s.Proto {
	case HTTP:
		hdr := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n", len(payload))
		return append([]byte(hdr), payload...)
	case V3:
		out := make([]byte, 4, 4+len(payload))
		binary.LittleEndian.PutUint32(out, uint32(len(payload)))
		return append(out, payload...)
	case CGMiner:
		return append(append([]byte(nil), payload...), 0)
	}
	return payload
}

// validReply is a well-formed reply of the protocol (sent slowly or cut).
func validReply(p Proto) []byte {
	switch p {
	case GRPC:
		// An HTTP/2 SETTINGS frame, the server preface.
		return []byte{0, 0, 0, 4, 0, 0, 0, 0, 0}
	case V3:
		return []byte(`{"code":0,"when":1700000000,"msg":{"miner":{"type":"M60S"}},"desc":"get.device.info"}`)
	}
	return []byte(`{"STATUS":[{"STATUS":"S","When":1700000000,"Code":11,"Msg":"Summary"}],"SUMMARY":[{"Elapsed":3600,"GHS 5s":100000.0}],"id":1}`)
}

// hugeNumberReply is the HugeNumber payload: a reply whose every number is
// out of range for float64 (1e400, and a 10^100000 written in full).
func hugeNumberReply() []byte {
	big := "1" + strings.Repeat("0", 100_000)
	return []byte(`{"STATUS":[{"STATUS":"S","When":1e400,"Code":11,"Msg":"Summary"}],` +
		`"SUMMARY":[{"Elapsed":` + big + `,"GHS 5s":1e400,"GHS av":-1e400}],` +
		`"code":0,"when":1e400,"msg":{"elapsed":` + big + `,"hash":1e400},"desc":"x","id":1}`)
}

// HugeStringLen is the length of the HugeString string.
const HugeStringLen = 3 << 20

func hugeStringReply() []byte {
	s := strings.Repeat("A", HugeStringLen)
	return []byte(`{"STATUS":[{"STATUS":"S","When":1700000000,"Code":11,"Msg":"Summary"}],` +
		`"SUMMARY":[{"Type":"` + s + `","Elapsed":3600}],"code":0,"msg":{"type":"x","elapsed":3600},"desc":"x","id":1}`)
}

var (
	tlsOnce sync.Once
	tlsConf *tls.Config
)

// serverTLS is a self-signed certificate for 127.0.0.1, made once.
func serverTLS() *tls.Config {
	tlsOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "hostile miner"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	})
	return tlsConf
}

// --- gRPC ---

// grpcMiner answers Braiins OS Login (or refuses it) and stalls every
// other call until the caller gives up.
type grpcMiner struct {
	bosapi.UnimplementedAuthenticationServiceServer
	s    *Server
	mode Mode
}

func (g *grpcMiner) Login(_ context.Context, _ *bosapi.LoginRequest) (*bosapi.LoginResponse, error) {
	g.s.requests.Add(1)
	if g.mode == Unauthorized {
		return nil, status.Error(codes.Unauthenticated, "invalid credentials")
	}
	return &bosapi.LoginResponse{Token: "hostile-token", TimeoutS: 3600}, nil
}

func newGRPC(s *Server, m Mode) *grpc.Server {
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		s.requests.Add(1)
		if m == Unauthorized {
			return status.Error(codes.Unauthenticated, "invalid token")
		}
		select {
		case <-stream.Context().Done():
		case <-s.ctx.Done():
		}
		return status.Error(codes.Unavailable, "stalled")
	}))
	bosapi.RegisterAuthenticationServiceServer(srv, &grpcMiner{s: s, mode: m})
	return srv
}

// Margin is how far past its deadline a call may return: generous, since
// this is a bound (nothing waits on the miner), not a timing measurement.
const Margin = 3 * time.Second

// MaxHeapGrowth bounds the heap a call may leave grown: a few replies'
// worth. A client that kept what a streaming miner sends would be at
// hundreds of MiB by its deadline.
const MaxHeapGrowth = 24 << 20

// Contain runs call under a fresh deadline and checks that it was
// contained: it returned within deadline+Margin, the heap grew by less
// than MaxHeapGrowth, and once s (and the cleanups, such as closing idle
// keep-alive connections) are closed no goroutine is left over. It
// returns call's error for the caller to classify.
func Contain(t testing.TB, s *Server, deadline time.Duration, call func(ctx context.Context) error, cleanup ...func()) error {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	began := time.Now()
	err := call(ctx)
	took := time.Since(began)
	cancel()
	if took > deadline+Margin {
		t.Errorf("%s/%s: returned after %v, deadline %v", s.Proto, s.Mode, took, deadline)
	}
	s.Close()
	for _, f := range cleanup {
		f()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > MaxHeapGrowth {
		t.Errorf("%s/%s: heap grew by %d bytes", s.Proto, s.Mode, grown)
	}
	// The server's own goroutines ended with Close; what remains past a
	// short grace period belongs to the client.
	end := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(end) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%s/%s: %d goroutines left behind (%d before):\n%s", s.Proto, s.Mode, n-goroutines, goroutines, buf)
	}
	return err
}
