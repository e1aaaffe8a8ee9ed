// Package httpapi is the HTTP client for miners' web APIs: Digest-auth CGI
// endpoints (stock Antminer, Elphapex, Hammer), token logins (a hook per
// firmware), plain http or https with caller-supplied TLS settings.
//
// A driver holds one Transport for all its miners (one http.Transport, so
// connections are reused across the requests of a gather, with few idle
// ones kept) and makes a Client per miner per gather. Every request runs
// under the caller's context. Errors wrap the drivers sentinels so
// drivers.Result classifies them; they name the miner and the API, never a
// credential, and never a URL query (logins may carry one).
package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/minercache"
)

// DefaultMaxBody bounds one response body (after decompression).
const DefaultMaxBody = 4 << 20

// maxRedirects bounds a redirect chain; more is treated as a loop.
const maxRedirects = 5

// Options configure a Transport.
type Options struct {
	// TLS is used for https clients (cloned). nil verifies against the
	// system roots; set InsecureSkipVerify for self-signed miner certs.
	TLS *tls.Config
	// MaxBody is the largest body read; 0 means DefaultMaxBody.
	MaxBody int64
	// MaxIdleConns bounds idle connections kept over all miners; 0 means 64.
	MaxIdleConns int
	// IdleTimeout closes idle connections; 0 means 5 s (a gather's
	// requests follow each other within milliseconds; holding sockets on
	// thousands of miners between gathers helps nobody).
	IdleTimeout time.Duration
	// OneShot makes every request use a connection of its own, closed
	// after it (identification's single requests). net/http otherwise
	// queues each request that dials as a waiter on its host, and the
	// waiter of a connection that is never returned idle stays queued
	// until that host's next request: one per miner, ~700 bytes each,
	// 36 MB of a 50,000-miner gather's live heap.
	OneShot bool
	// Dial replaces net.Dialer's connect (tests count dials with it); the
	// connection still gets the gather's deadline. nil dials TCP.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Transport is shared by a driver across its miners.
type Transport struct {
	hc      *http.Client
	rt      *http.Transport
	maxBody int64

	mu     sync.Mutex
	states minercache.Cache[*authState] // by host, then scheme, address and user
	// tlsClients are clients for the TLS settings of a plugin block
	// (tls_ca, insecure_skip_verify, ...), one per distinct *tls.Config.
	tlsClients map[*tls.Config]*http.Client
}

// clientFor is the HTTP client for a TLS config: the shared one when nil.
func (tr *Transport) clientFor(tc *tls.Config) *http.Client {
	if tc == nil {
		return tr.hc
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if hc, ok := tr.tlsClients[tc]; ok {
		return hc
	}
	if tr.tlsClients == nil || len(tr.tlsClients) >= 64 {
		tr.tlsClients = map[*tls.Config]*http.Client{}
	}
	rt := tr.rt.Clone()
	rt.TLSClientConfig = tc.Clone()
	hc := &http.Client{Transport: rt, CheckRedirect: tr.hc.CheckRedirect}
	tr.tlsClients[tc] = hc
	return hc
}

// authState is what a miner's auth left for its next requests: the last
// Digest challenge (sent pre-emptively, saving a 401 round trip per
// request) and a login token.
type authState struct {
	mu    sync.Mutex
	ch    *challenge
	nc    uint32
	token http.Header

	login sync.Mutex // one login at a time per miner
}

// NewTransport builds a Transport.
func NewTransport(o Options) *Transport {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = 64
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Second
	}
	var tc *tls.Config
	if o.TLS != nil {
		tc = o.TLS.Clone()
	}
	rt := &http.Transport{
		// Never a proxy from the environment: miners are on the farm LAN.
		Proxy:               nil,
		DialContext:         dialUntilDeadline(o.Dial),
		TLSClientConfig:     tc,
		DisableKeepAlives:   o.OneShot,
		MaxIdleConns:        o.MaxIdleConns,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     o.IdleTimeout,
		// The deadline is the context's; these only bound a miner that
		// ignores it at the TLS or header stage.
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   false,
		// Miners send a handful of headers; Go's default would read 10 MiB
		// of a header stream before giving up.
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Transport{
		rt:      rt,
		maxBody: o.MaxBody,
		hc: &http.Client{
			Transport: rt,
			// Redirects are followed by Send itself, to re-authenticate
			// and to keep them on the miner.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

type deadlineKey struct{}

// connGrace is how long a connection outlives the deadline of the gather
// that dialled it.
const connGrace = 100 * time.Millisecond

type connectKey struct{}

// WithConnectTimeout bounds the TCP connect of the requests made under the
// returned context (the whole request stays bounded by ctx's deadline): a
// driver that is only probing an API leaves time for the next one when the
// port is filtered.
func WithConnectTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, connectKey{}, d)
}

// dialUntilDeadline dials, and gives the connection the deadline of the
// miner's gather that asked for it: reused by that gather's later requests,
// it is closed (its goroutines end) when the gather's time is up instead of
// idling on in the pool. net/http hands the dial a context without the
// request's deadline, so the deadline travels as a value.
func dialUntilDeadline(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{KeepAlive: 30 * time.Second}
		connect := d.DialContext
		if dial != nil {
			connect = dial
		}
		if t, ok := ctx.Value(connectKey{}).(time.Duration); ok && t > 0 {
			d.Timeout = t
			if dial != nil {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, t)
				defer cancel()
			}
		}
		conn, err := connect(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return withDeadline(ctx, conn), nil
	}
}

func withDeadline(ctx context.Context, conn net.Conn) net.Conn {
	if dl, ok := ctx.Value(deadlineKey{}).(time.Time); ok {
		// A moment after the request's own deadline, so that a request
		// still in flight ends by its context (a timeout), not by a read
		// error in the middle of a status line.
		_ = conn.SetDeadline(dl.Add(connGrace))
	}
	return conn
}

// CloseIdle closes idle connections (tests, shutdown).
func (tr *Transport) CloseIdle() { tr.rt.CloseIdleConnections() }

// state is the auth state of one miner's API for one user (a lost
// challenge or token costs one extra round trip, never correctness).
func (tr *Transport) state(addr, key string) *authState {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	return tr.states.GetOrCreate(host, key, func() *authState { return &authState{} })
}

// Forget implements drivers.Forgetter: the tokens and Digest challenges
// kept for host are dropped.
func (tr *Transport) Forget(host string) { tr.states.Forget(host) }

// TokenLogin logs in to a miner and returns the headers to add to every
// request (Authorization: Bearer ..., a cookie). It gets the Client to
// send its login request with Request.NoAuth. It returns an error wrapping
// drivers.ErrAuth when the miner refuses the credentials.
type TokenLogin func(ctx context.Context, c *Client) (http.Header, error)

// Config describes one miner's web API.
type Config struct {
	Addr  string // host:port
	HTTPS bool
	// API names the API in errors ("web API").
	API      string
	Username string
	Password string
	// Digest answers Digest challenges with Username/Password.
	Digest bool
	// Login, when set, is the token login; tokens are cached per miner and
	// renewed once on a 401.
	Login TokenLogin
	// TLS, when set, is the plugin's TLS configuration: the API is then
	// spoken over https with it (firmware that serves only TLS).
	TLS *tls.Config
	// Expired, when set, is asked about every reply to a token-authenticated
	// request: firmware that answers an expired token with HTTP 200 and a
	// body of its own (Innosilicon's {"success":false,"token":"expired"},
	// IceRiver's login page) says so here. It is then treated as a 401: the
	// token is renewed once for the request, and a fresh token that is
	// still refused is an auth failure. It must not keep the body.
	Expired func(status int, body []byte) bool
}

// Client talks to one miner for one gather. It is safe for concurrent
// use. After a failure that will not change within the gather (refused,
// timeout, wrong credentials, an answer that is not HTTP at all) it fails
// further requests at once, so a wrong password costs one attempt per
// gather and a port that speaks something else one connection.
type Client struct {
	tr  *Transport
	cfg Config
	st  *authState

	mu    sync.Mutex
	fatal error
}

// Client returns a client for one miner.
func (tr *Transport) Client(cfg Config) *Client {
	if cfg.API == "" {
		cfg.API = "web API"
	}
	key := cfg.scheme() + "://" + cfg.Addr + "\x00" + cfg.Username
	return &Client{tr: tr, cfg: cfg, st: tr.state(cfg.Addr, key)}
}

// For applies a target's TLS settings: with TLS configured for the plugin
// block, the web API is reached over https.
func (c Config) For(t drivers.Target) Config {
	if t.TLS != nil {
		c.TLS, c.HTTPS = t.TLS, true
	}
	return c
}

func (c Config) scheme() string {
	if c.HTTPS {
		return "https"
	}
	return "http"
}

// Request is one HTTP request. Path may carry a query.
type Request struct {
	Method string // "" = GET
	Path   string
	Body   []byte
	Header http.Header
	// NoAuth sends without credentials or token (the login request itself).
	NoAuth bool
	// AnyStatus returns the response whatever its status, redirects not
	// followed, for a caller that reads the refusal itself (identification
	// reads a 401's realm or a 307's Location; a login tells a refused
	// password from a page that is not its API).
	AnyStatus bool
}

// Response is a complete, size-checked response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// StatusError is a non-2xx status other than an auth failure.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return "HTTP status " + strconv.Itoa(e.Code) }

// IsNotFound tells a 404: the firmware lacks the endpoint. Drivers skip
// such endpoints silently, as an older firmware is not a fault.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusNotImplemented)
}

// RequestError is a failed request. Its text names the miner, the API and
// the request (never its query, which may hold a login secret).
type RequestError struct {
	Addr, API, Method, Path string
	Err                     error
}

func (e *RequestError) Error() string {
	return e.Addr + " " + e.API + ": " + e.Method + " " + e.Path + ": " + e.Err.Error()
}

func (e *RequestError) Unwrap() error { return e.Err }

func (c *Client) errorf(method, path, format string, args ...any) error {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i] // a query may hold a login secret
	}
	return &RequestError{Addr: c.cfg.Addr, API: c.cfg.API, Method: method, Path: path, Err: fmt.Errorf(format, args...)}
}

func (c *Client) failFast() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fatal
}

func (c *Client) remember(err error) {
	var nh notHTTP
	if errors.Is(err, drivers.ErrAuth) || errors.Is(err, drivers.ErrRefused) || errors.Is(err, drivers.ErrTimeout) ||
		errors.As(err, &nh) {
		c.mu.Lock()
		if c.fatal == nil {
			c.fatal = err
		}
		c.mu.Unlock()
	}
}

// Get sends a GET and returns the body of a 2xx response.
func (c *Client) Get(ctx context.Context, path string) ([]byte, error) {
	r, err := c.Send(ctx, Request{Path: path})
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

// Send sends r with the configured auth, follows same-host redirects, and
// returns the response of a 2xx status. Other statuses are errors: 401
// and 403 after authenticating wrap drivers.ErrAuth, others
// drivers.ErrBadResponse with a *StatusError.
func (c *Client) Send(ctx context.Context, r Request) (*Response, error) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if err := c.failFast(); err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		c.remember(err)
	}
	return resp, err
}

func (c *Client) send(ctx context.Context, r Request) (*Response, error) {
	base := &url.URL{Scheme: c.cfg.scheme(), Host: c.cfg.Addr}
	u, err := base.Parse(r.Path)
	if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
		return nil, c.errorf(r.Method, r.Path, "invalid path")
	}
	seen := map[string]bool{}
	method, body := r.Method, r.Body
	for hop := 0; ; hop++ {
		seen[u.String()] = true
		resp, err := c.authed(ctx, r, method, u, body)
		if err != nil {
			return nil, err
		}
		if r.AnyStatus {
			return resp, nil
		}
		if !isRedirect(resp.Status) {
			return c.check(method, u, resp)
		}
		loc := resp.Header.Get("Location")
		next, perr := u.Parse(loc)
		switch {
		case loc == "" || perr != nil:
			return nil, c.errorf(method, u.Path, "%w: redirect without a usable Location", drivers.ErrBadResponse)
		case next.Scheme != base.Scheme || !strings.EqualFold(next.Host, base.Host):
			// Never send a miner's credentials, or our trust, elsewhere.
			return nil, c.errorf(method, u.Path, "%w: redirect to another host or scheme (%s://%s)",
				drivers.ErrBadResponse, next.Scheme, next.Host)
		case seen[next.String()] || hop+1 >= maxRedirects:
			return nil, c.errorf(method, u.Path, "%w: redirect loop", drivers.ErrBadResponse)
		}
		if resp.Status == http.StatusSeeOther || ((resp.Status == http.StatusFound || resp.Status == http.StatusMovedPermanently) && method == http.MethodPost) {
			method, body = http.MethodGet, nil
		}
		u = next
	}
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func (c *Client) check(method string, u *url.URL, resp *Response) (*Response, error) {
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		return resp, nil
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return nil, c.errorf(method, u.Path, "%w (HTTP %d)", drivers.ErrAuth, resp.Status)
	}
	return nil, c.errorf(method, u.Path, "%w: %w", drivers.ErrBadResponse, &StatusError{Code: resp.Status})
}

// authed sends one request (no redirect handling) with Digest or token
// auth. It makes at most three round trips: a pre-emptive Digest attempt
// with the cached challenge, one with a fresh challenge, and one more if
// the server only said the nonce was stale. A token is renewed once.
func (c *Client) authed(ctx context.Context, r Request, method string, u *url.URL, body []byte) (*Response, error) {
	if r.NoAuth || (!c.cfg.Digest && c.cfg.Login == nil) {
		resp, err := c.roundTrip(ctx, r, method, u, body, "", nil)
		if err == nil && c.cfg.Digest && resp.Status == http.StatusUnauthorized {
			// Keep the challenge: the next request answers it at once.
			if ch, ok := pickDigest(parseAuthHeader(resp.Header.Values("WWW-Authenticate"))); ok {
				c.st.mu.Lock()
				c.st.ch, c.st.nc = ch, 0
				c.st.mu.Unlock()
			}
		}
		return resp, err
	}
	if c.cfg.Login != nil {
		return c.withToken(ctx, r, method, u, body)
	}
	st := c.st
	st.mu.Lock()
	ch := st.ch
	st.mu.Unlock()
	fresh := false
	for attempt := 0; attempt < 3; attempt++ {
		authz := ""
		if ch != nil {
			authz = ch.authorize(c.cfg.Username, c.cfg.Password, method, u.RequestURI(), c.nextNC(ch))
		}
		resp, err := c.roundTrip(ctx, r, method, u, body, authz, nil)
		if err != nil {
			return nil, err
		}
		if resp.Status != http.StatusUnauthorized {
			return resp, nil
		}
		next, ok := pickDigest(parseAuthHeader(resp.Header.Values("WWW-Authenticate")))
		if !ok {
			st.reset()
			return nil, c.errorf(method, u.Path, "%w: HTTP 401 without a usable Digest challenge", drivers.ErrAuth)
		}
		if fresh && !next.stale {
			st.reset()
			return nil, c.errorf(method, u.Path, "%w: credentials rejected", drivers.ErrAuth)
		}
		st.mu.Lock()
		st.ch, st.nc = next, 0
		st.mu.Unlock()
		ch, fresh = next, true
	}
	st.reset()
	return nil, c.errorf(method, u.Path, "%w: credentials rejected", drivers.ErrAuth)
}

func (c *Client) nextNC(ch *challenge) uint32 {
	st := c.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ch != ch {
		// Another request replaced the challenge meanwhile; our copy's
		// count restarts (the server will tell us if it minds).
		return 1
	}
	st.nc++
	return st.nc
}

func (s *authState) reset() {
	s.mu.Lock()
	s.ch, s.nc, s.token = nil, 0, nil
	s.mu.Unlock()
}

func (c *Client) withToken(ctx context.Context, r Request, method string, u *url.URL, body []byte) (*Response, error) {
	st := c.st
	st.mu.Lock()
	tok := st.token
	st.mu.Unlock()
	fresh := false
	for attempt := 0; attempt < 2; attempt++ {
		if tok == nil {
			var err error
			tok, err = c.login(ctx)
			if err != nil {
				return nil, err
			}
			fresh = true
		}
		resp, err := c.roundTrip(ctx, r, method, u, body, "", tok)
		if err != nil {
			return nil, err
		}
		if resp.Status != http.StatusUnauthorized && !c.expired(resp) {
			return resp, nil
		}
		st.mu.Lock()
		st.token = nil
		st.mu.Unlock()
		if fresh {
			break
		}
		tok = nil // expired: log in once more
	}
	return nil, c.errorf(method, u.Path, "%w: token rejected after a fresh login", drivers.ErrAuth)
}

func (c *Client) expired(resp *Response) bool {
	return c.cfg.Expired != nil && c.cfg.Expired(resp.Status, resp.Body)
}

func (c *Client) login(ctx context.Context) (http.Header, error) {
	st := c.st
	st.login.Lock()
	defer st.login.Unlock()
	st.mu.Lock()
	tok := st.token
	st.mu.Unlock()
	if tok != nil {
		return tok, nil // another request logged in meanwhile
	}
	tok, err := c.cfg.Login(ctx, c)
	if err != nil {
		// A driver's own login errors ("no token in the reply") do not
		// know the miner; the transport's already name it.
		var re *RequestError
		if !errors.As(err, &re) {
			err = fmt.Errorf("%s %s: login: %w", c.cfg.Addr, c.cfg.API, err)
		}
		return nil, err
	}
	if tok == nil {
		tok = http.Header{}
	}
	st.mu.Lock()
	st.token = tok
	st.mu.Unlock()
	return tok, nil
}

func (c *Client) roundTrip(ctx context.Context, r Request, method string, u *url.URL, body []byte, authz string, extra http.Header) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The body's growth past the floor is charged to the gather's budget;
	// an eviction cancels the request, which ends the body's read.
	var share *drivers.Share
	if b := drivers.BudgetFrom(ctx); b != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		share = b.Share(cancel)
		defer share.Release()
	}
	if dl, ok := ctx.Deadline(); ok {
		ctx = context.WithValue(ctx, deadlineKey{}, dl)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, c.errorf(method, u.Path, "%w", err)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, vs := range extra {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json, */*")
	}
	resp, err := c.tr.clientFor(c.cfg.TLS).Do(req)
	if err != nil {
		return nil, c.netErr(ctx, method, u.Path, err)
	}
	defer resp.Body.Close()
	limit := c.tr.maxBody
	b, err := readBody(resp.Body, limit, share)
	if err != nil {
		if serr := share.Err(); serr != nil {
			err = serr
		}
		if errors.Is(err, drivers.ErrBadResponse) {
			return nil, c.errorf(method, u.Path, "%w", err)
		}
		return nil, c.netErr(ctx, method, u.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// readBody reads r to its end, growing the buffer only as bytes arrive and
// only within limit and the share. Errors past the limit or the share wrap
// drivers.ErrBadResponse; read errors are returned as they are.
func readBody(r io.Reader, limit int64, share *drivers.Share) ([]byte, error) {
	buf := make([]byte, 0, 4<<10)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, fmt.Errorf("%w: body larger than %d bytes", drivers.ErrBadResponse, limit)
			}
			newCap := min(int64(2*cap(buf)), limit+1)
			if err := share.Grow(newCap - max(int64(cap(buf)), drivers.ReplyFloor)); err != nil {
				return nil, err
			}
			grown := make([]byte, len(buf), newCap)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: body larger than %d bytes", drivers.ErrBadResponse, limit)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// netErr classifies a transport error without the URL (url.Error prints
// it, query included).
func (c *Client) netErr(ctx context.Context, method, path string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var rec tls.RecordHeaderError
	switch {
	case ctx.Err() != nil, pastDeadline(ctx), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return c.errorf(method, path, "%w", drivers.ErrTimeout)
	case errors.As(err, &cert), errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &rec):
		return notHTTP{c.errorf(method, path, "%w: TLS: %v", drivers.ErrBadResponse, err)}
	case errors.Is(err, syscall.ECONNRESET):
		// Accepted, then reset (even while dialling): something listens
		// but is not this API. The cgminer client says the same.
		return notHTTP{c.errorf(method, path, "%w: %v", drivers.ErrBadResponse, err)}
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return c.errorf(method, path, "%w: %v", drivers.ErrRefused, err)
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial") {
		return c.errorf(method, path, "%w: %v", drivers.ErrRefused, err)
	}
	return notHTTP{c.errorf(method, path, "%w: %v", drivers.ErrBadResponse, err)}
}

// pastDeadline tells a deadline that has passed before its context's timer
// said so: an error then is the deadline's doing, whatever its text.
func pastDeadline(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// notHTTP marks a failed exchange (not a status): what answers is not
// speaking HTTP, or not the expected TLS, and will not for the next path
// either, so the client asks no more in this gather. Its text is the
// wrapped error's.
type notHTTP struct{ error }

func (e notHTTP) Unwrap() error { return e.error }
