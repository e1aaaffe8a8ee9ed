package braiins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// maxBody bounds one REST reply.
const maxBody = 4 << 20

// restPaths are the Public API's REST paths, keyed by the gRPC method they
// mirror.
var restPaths = map[string]string{
	mDetails:    "/api/v1/miner/details",
	mStats:      "/api/v1/miner/stats",
	mHashboards: "/api/v1/miner/hw/hashboards",
	mErrors:     "/api/v1/miner/errors",
	mCooling:    "/api/v1/cooling/state",
	mPools:      "/api/v1/pools/",
	mPerfMode:   "/api/v1/performance/mode",
	mTuner:      "/api/v1/performance/tuner-state",
	mConfig:     "/api/v1/configuration/miner",
	mLocate:     "/api/v1/actions/locate",
	mVersion:    "/api/v1/version/",
}

// RESTReplies are the raw REST bodies of one gather, keyed by method
// (mDetails...); Failed holds the methods that failed.
type RESTReplies struct {
	Bodies map[string][]byte
	Failed []error
}

type restSession struct {
	drv    *Driver
	client *http.Client
	base   string
	t      drivers.Target
	key    string
	mu     sync.Mutex
	token  string
	renew  sync.Once
	reErr  error
}

type httpStatusError struct {
	path string
	code int
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d", e.path, e.code)
}

func (drv *Driver) gatherREST(ctx context.Context, t drivers.Target, connectTimeout time.Duration) (*RESTReplies, error) {
	addr := t.WebAddr()
	dialer := &net.Dialer{Timeout: connectTimeout}
	client := &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 4,
			DisableCompression:  false,
		},
		// Same-host redirects only: a token must not travel elsewhere.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 || req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	defer client.CloseIdleConnections()
	s := &restSession{drv: drv, client: client, base: "http://" + addr, t: t, key: "rest|" + addr + "|" + username(t)}
	s.token = drv.token(t.Host, s.key)
	cached := s.token != ""
	if !cached {
		if err := s.login(ctx); err != nil {
			return nil, err
		}
	}

	out := &RESTReplies{Bodies: map[string][]byte{}}
	// Details first: it tells whether the token still works.
	body, err := s.get(ctx, restPaths[mDetails])
	var se *httpStatusError
	switch {
	case err == nil:
		out.Bodies[mDetails] = body
	case errors.As(err, &se) && se.code == http.StatusNotFound:
		if cached {
			return nil, fmt.Errorf("%w: %w", errNotServed, err)
		}
	case errors.Is(err, drivers.ErrAuth):
		return nil, err
	default:
		if cached && drivers.Result(err) == drivers.ResultConnectionRefused {
			return nil, fmt.Errorf("%w: %w", errNotServed, err)
		}
		out.Failed = append(out.Failed, fmt.Errorf("command %q: %w", mDetails, err))
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	for method, path := range restPaths {
		if method == mDetails {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, err := s.get(ctx, path)
			mu.Lock()
			defer mu.Unlock()
			var se *httpStatusError
			switch {
			case err == nil:
				out.Bodies[method] = body
			case errors.As(err, &se) && (se.code == http.StatusNotFound || se.code == http.StatusNotImplemented):
				// Not in this firmware version.
			default:
				out.Failed = append(out.Failed, fmt.Errorf("command %q: %w", method, err))
			}
		}()
	}
	wg.Wait()
	sort.Slice(out.Failed, func(a, b int) bool { return out.Failed[a].Error() < out.Failed[b].Error() })
	if len(out.Bodies) == 0 && len(out.Failed) > 0 {
		return nil, out.Failed[0]
	}
	return out, nil
}

// login posts the credentials. 401/403 is a refused login; anything that is
// not this API (404, HTML, a closed port) is errNotServed.
func (s *restSession) login(ctx context.Context) error {
	var lastErr error
	for _, pw := range passwords(s.t) {
		reqBody, _ := json.Marshal(map[string]string{"username": username(s.t), "password": pw})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/api/v1/auth/login", bytes.NewReader(reqBody))
		if err != nil {
			return fmt.Errorf("braiins REST %s: %w: %v", s.t.WebAddr(), drivers.ErrBadResponse, err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.client.Do(req)
		if err != nil {
			return fmt.Errorf("%w: braiins REST %s: login: %w", errNotServed, s.t.WebAddr(), transportErr(err))
		}
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusUnauthorized,
			// Old LuCI pages answer 403 in HTML: only a JSON 403 is the API's.
			resp.StatusCode == http.StatusForbidden && json.Valid(body):
			lastErr = fmt.Errorf("braiins REST %s: login refused: %w", s.t.WebAddr(), drivers.ErrAuth)
			continue
		case resp.StatusCode != http.StatusOK:
			return fmt.Errorf("%w: braiins REST %s: login: HTTP %d", errNotServed, s.t.WebAddr(), resp.StatusCode)
		case rerr != nil:
			return fmt.Errorf("braiins REST %s: login: %w", s.t.WebAddr(), transportErr(rerr))
		}
		var lr struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(body, &lr) != nil {
			return fmt.Errorf("%w: braiins REST %s: login: not a JSON reply", errNotServed, s.t.WebAddr())
		}
		if lr.Token == "" {
			return fmt.Errorf("braiins REST %s: login: no token in the reply: %w", s.t.WebAddr(), drivers.ErrBadResponse)
		}
		s.mu.Lock()
		s.token = lr.Token
		s.mu.Unlock()
		s.drv.setToken(s.t.Host, s.key, lr.Token)
		return nil
	}
	return lastErr
}

func transportErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %v", drivers.ErrTimeout, err)
	}
	return err
}

// get fetches one path; on 401 it logs in again once per gather (shared by
// all concurrent calls) and retries.
func (s *restSession) get(ctx context.Context, path string) ([]byte, error) {
	body, code, err := s.do(ctx, path)
	if err == nil && code == http.StatusUnauthorized {
		s.renew.Do(func() {
			s.drv.setToken(s.t.Host, s.key, "")
			s.reErr = s.login(ctx)
		})
		if s.reErr != nil {
			return nil, s.reErr
		}
		body, code, err = s.do(ctx, path)
		if err == nil && code == http.StatusUnauthorized {
			return nil, fmt.Errorf("GET %s: %w", path, drivers.ErrAuth)
		}
	}
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &httpStatusError{path: path, code: code}
	}
	return body, nil
}

func (s *restSession) do(ctx context.Context, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w: %v", path, drivers.ErrBadResponse, err)
	}
	s.mu.Lock()
	req.Header.Set("Authorization", "Bearer "+s.token)
	s.mu.Unlock()
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", path, transportErr(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", path, transportErr(err))
	}
	if len(body) > maxBody {
		return nil, 0, fmt.Errorf("GET %s: %w: reply larger than %d bytes", path, drivers.ErrBadResponse, maxBody)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode == http.StatusOK && ct != "" && !strings.Contains(ct, "json") {
		return nil, 0, fmt.Errorf("GET %s: %w: content type %q", path, drivers.ErrBadResponse, ct)
	}
	return body, resp.StatusCode, nil
}
