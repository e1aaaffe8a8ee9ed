package braiins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/transport/httpapi"
)

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
	At     time.Time // when they were read (Snapshot.At)
}

// restAPI names the REST API in errors.
const restAPI = "braiins REST API"

// web is the driver's HTTP transport: one for all its miners, shared with
// every web API (TLS options, body limits, token renewal).
func (drv *Driver) web() *httpapi.Transport {
	drv.mu.Lock()
	defer drv.mu.Unlock()
	if drv.Web == nil {
		drv.Web = httpapi.NewTransport(httpapi.Options{})
	}
	return drv.Web
}

// restLogin is the token login. A refused password (401, or a JSON 403:
// old LuCI pages answer 403 in HTML) tries the next candidate; anything
// that is not this API (404, HTML, a closed port) is errNotServed. loggedIn
// is set when a login succeeds, telling the gather the API is there.
func restLogin(t drivers.Target, loggedIn *atomic.Bool) httpapi.TokenLogin {
	return func(ctx context.Context, c *httpapi.Client) (http.Header, error) {
		var lastErr error
		for _, pw := range passwords(t) {
			body, err := json.Marshal(map[string]string{"username": username(t), "password": pw})
			if err != nil {
				return nil, fmt.Errorf("%w: %w", drivers.ErrBadResponse, err)
			}
			resp, err := c.Send(ctx, httpapi.Request{
				Method: http.MethodPost, Path: "/api/v1/auth/login", Body: body, NoAuth: true, AnyStatus: true,
				Header: http.Header{"Content-Type": {"application/json"}},
			})
			if err != nil {
				return nil, fmt.Errorf("%w: %w", errNotServed, err)
			}
			switch {
			case resp.Status == http.StatusUnauthorized,
				resp.Status == http.StatusForbidden && json.Valid(resp.Body):
				lastErr = fmt.Errorf("password refused: %w", drivers.ErrAuth)
				continue
			case resp.Status != http.StatusOK:
				return nil, fmt.Errorf("%w: HTTP %d", errNotServed, resp.Status)
			}
			var lr struct {
				Token string `json:"token"`
			}
			if json.Unmarshal(resp.Body, &lr) != nil {
				return nil, fmt.Errorf("%w: not a JSON reply", errNotServed)
			}
			if lr.Token == "" {
				return nil, fmt.Errorf("no token in the reply: %w", drivers.ErrBadResponse)
			}
			loggedIn.Store(true)
			// As it is, no "Bearer ": the OpenAPI document puts the token
			// in Authorization, and the tools that read real units send it
			// bare (as gRPC's metadata carries it).
			return http.Header{"Authorization": {lr.Token}}, nil
		}
		return nil, lastErr
	}
}

// gatherREST reads every path; the token is the transport's, cached per
// miner and renewed once when the miner says it expired. connectTimeout
// bounds the TCP connect when this API is only being probed.
func (drv *Driver) gatherREST(ctx context.Context, t drivers.Target, connectTimeout time.Duration) (*RESTReplies, error) {
	if connectTimeout > 0 {
		ctx = httpapi.WithConnectTimeout(ctx, connectTimeout)
	}
	var loggedIn atomic.Bool
	c := drv.web().Client(httpapi.Config{
		Addr: t.WebAddr(), API: restAPI, Username: username(t), Login: restLogin(t, &loggedIn),
	}.For(t))

	out := &RESTReplies{Bodies: map[string][]byte{}}
	// Details first, alone: it logs in or tells whether the cached token
	// still works, before the rest go in parallel.
	body, err := get(ctx, c, t.WebAddr(), restPaths[mDetails])
	// With a token from an earlier gather no login proved the API is
	// there: a missing path or a closed port means it is not.
	cached := !loggedIn.Load()
	switch {
	case err == nil:
		out.Bodies[mDetails] = body
	case errors.Is(err, errNotServed), errors.Is(err, drivers.ErrAuth):
		return nil, err
	case httpapi.IsNotFound(err):
		if cached {
			return nil, fmt.Errorf("%w: %w", errNotServed, err)
		}
	default:
		if cached && drivers.Result(err) == drivers.ResultConnectionRefused {
			return nil, fmt.Errorf("%w: %w", errNotServed, err)
		}
		out.Failed = append(out.Failed, drivers.CommandErr(mDetails, err))
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
			body, err := get(ctx, c, t.WebAddr(), path)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out.Bodies[method] = body
			case httpapi.IsNotFound(err):
				// Not in this firmware version.
			default:
				out.Failed = append(out.Failed, drivers.CommandErr(method, err))
			}
		}()
	}
	wg.Wait()
	sort.Slice(out.Failed, func(a, b int) bool { return out.Failed[a].Error() < out.Failed[b].Error() })
	if len(out.Bodies) == 0 && len(out.Failed) > 0 {
		return nil, out.Failed[0]
	}
	if len(out.Bodies) == 0 {
		// A login that works but no page of the API: something else
		// answers under /api/v1, not this API (4028 is still worth a try).
		return nil, fmt.Errorf("%w: no page of the API found", errNotServed)
	}
	return out, nil
}

// get fetches one path and checks that a JSON API answered it.
func get(ctx context.Context, c *httpapi.Client, addr, path string) ([]byte, error) {
	resp, err := c.Send(ctx, httpapi.Request{Path: path, Header: http.Header{"Accept": {"application/json"}}})
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "json") {
		return nil, &httpapi.RequestError{Addr: addr, API: restAPI, Method: http.MethodGet, Path: path,
			Err: fmt.Errorf("%w: content type %q", drivers.ErrBadResponse, ct)}
	}
	return resp.Body, nil
}
