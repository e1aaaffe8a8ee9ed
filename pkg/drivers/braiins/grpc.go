package braiins

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins/bosapi"
)

// maxMessage bounds one gRPC reply; the biggest real one (hashboards) is a
// few KiB.
const maxMessage = 1 << 20

// errNotServed marks an API the miner does not serve (port closed, not this
// protocol): the driver then tries the next one.
var errNotServed = errors.New("API not served")

// grpcError classifies a gRPC failure for drivers.Result. The status
// message is kept (it names the transport problem, never a credential).
func grpcError(method string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("command %q: %w", method, err)
	}
	var kind error
	switch st.Code() {
	case codes.Unavailable:
		kind = drivers.ErrRefused
	case codes.DeadlineExceeded, codes.Canceled:
		kind = drivers.ErrTimeout
	case codes.Unauthenticated, codes.PermissionDenied:
		kind = drivers.ErrAuth
	default:
		kind = drivers.ErrBadResponse
	}
	return fmt.Errorf("command %q: %w: %s: %s", method, kind, st.Code(), st.Message())
}

type grpcSession struct {
	drv   *Driver
	conn  *grpc.ClientConn
	t     drivers.Target
	key   string
	token string
}

func (s *grpcSession) ctx(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", s.token)
}

// login asks for a token once per credential candidate. Unavailable and
// Unimplemented mean this miner does not serve the API.
func (s *grpcSession) login(ctx context.Context) error {
	c := bosapi.NewAuthenticationServiceClient(s.conn)
	var lastErr error
	for _, pw := range passwords(s.t) {
		var hdr metadata.MD
		resp, err := c.Login(ctx, &bosapi.LoginRequest{Username: username(s.t), Password: pw}, grpc.Header(&hdr))
		if err != nil {
			switch status.Code(err) {
			case codes.Unauthenticated, codes.PermissionDenied:
				lastErr = fmt.Errorf("login refused: %w", drivers.ErrAuth)
				continue
			case codes.Unavailable, codes.Unimplemented:
				return fmt.Errorf("%w: %w", errNotServed, grpcError("AuthenticationService/Login", err))
			}
			return grpcError("AuthenticationService/Login", err)
		}
		tok := resp.GetToken()
		if tok == "" {
			// Older firmware sends it only as response metadata.
			if v := hdr.Get("authorization"); len(v) > 0 {
				tok = v[0]
			}
		}
		if tok == "" {
			return fmt.Errorf("login: no token in the reply: %w", drivers.ErrBadResponse)
		}
		s.token = tok
		s.drv.setToken(s.t.Host, s.key, tok)
		return nil
	}
	return lastErr
}

// gatherGRPC reads every method over one connection. connectTimeout bounds
// the TCP connect when this API is only being probed. Its errors are named
// here, once: what it calls does not name the miner.
func (drv *Driver) gatherGRPC(ctx context.Context, t drivers.Target, connectTimeout time.Duration) (*Snapshot, error) {
	snap, err := drv.gatherGRPCCalls(ctx, t, connectTimeout)
	if err != nil {
		err = fmt.Errorf("braiins gRPC %s: %w", t.GRPCAddr(), err)
	}
	return snap, err
}

func (drv *Driver) gatherGRPCCalls(ctx context.Context, t drivers.Target, connectTimeout time.Duration) (_ *Snapshot, err error) {
	addr := t.GRPCAddr()
	// What the miner sends is charged to the gather's reply budget; when
	// the budget cut the connection, that is the failure, whatever gRPC
	// called it.
	meter := drivers.BudgetFrom(ctx).Meter()
	defer meter.Release()
	defer func() {
		if merr := meter.Err(); merr != nil && err != nil {
			err = merr
		}
	}()
	dialer := func(ctx context.Context, a string) (net.Conn, error) {
		d := net.Dialer{Timeout: connectTimeout}
		c, err := d.DialContext(ctx, "tcp", a)
		if err != nil {
			return nil, err
		}
		return meter.Conn(c), nil
	}
	conn, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(dialer),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage)),
		// Fixed flow-control windows: gRPC's dynamic window would let a
		// fast sender have megabytes in flight per connection.
		grpc.WithInitialWindowSize(64<<10),
		grpc.WithInitialConnWindowSize(64<<10),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", drivers.ErrBadResponse, err)
	}
	defer conn.Close()

	s := &grpcSession{drv: drv, conn: conn, t: t, key: "grpc|" + addr + "|" + username(t)}
	s.token = drv.token(t.Host, s.key)
	cached := s.token != ""
	if !cached {
		if err := s.login(ctx); err != nil {
			return nil, err
		}
	}

	snap := &Snapshot{}
	miner := bosapi.NewMinerServiceClient(conn)
	det, err := miner.GetMinerDetails(s.ctx(ctx), &bosapi.GetMinerDetailsRequest{})
	if cached && status.Code(err) == codes.Unauthenticated {
		// The session expired: one new login, then the call again.
		drv.setToken(t.Host, s.key, "")
		if err := s.login(ctx); err != nil {
			return nil, err
		}
		det, err = miner.GetMinerDetails(s.ctx(ctx), &bosapi.GetMinerDetailsRequest{})
	}
	switch status.Code(err) {
	case codes.OK:
		snap.Details = det
	case codes.Unimplemented:
	case codes.Unavailable:
		if !cached {
			return nil, grpcError(mDetails, err)
		}
		return nil, fmt.Errorf("%w: %w", errNotServed, grpcError(mDetails, err))
	case codes.Unauthenticated, codes.PermissionDenied:
		return nil, grpcError(mDetails, err)
	default:
		snap.Problems = append(snap.Problems, grpcError(mDetails, err))
	}

	// The rest in parallel over the one HTTP/2 connection.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	call := func(method string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(s.ctx(ctx))
			if err == nil || status.Code(err) == codes.Unimplemented {
				return
			}
			mu.Lock()
			failed = append(failed, grpcError(method, err))
			mu.Unlock()
		}()
	}
	perf := bosapi.NewPerformanceServiceClient(conn)
	call(mStats, func(c context.Context) (err error) {
		snap.Stats, err = miner.GetMinerStats(c, &bosapi.GetMinerStatsRequest{})
		return
	})
	call(mHashboards, func(c context.Context) (err error) {
		snap.Hashboards, err = miner.GetHashboards(c, &bosapi.GetHashboardsRequest{})
		return
	})
	call(mErrors, func(c context.Context) (err error) {
		snap.Errors, err = miner.GetErrors(c, &bosapi.GetErrorsRequest{})
		return
	})
	call(mCooling, func(c context.Context) (err error) {
		snap.Cooling, err = bosapi.NewCoolingServiceClient(conn).GetCoolingState(c, &bosapi.GetCoolingStateRequest{})
		return
	})
	call(mPools, func(c context.Context) (err error) {
		snap.PoolGroups, err = bosapi.NewPoolServiceClient(conn).GetPoolGroups(c, &bosapi.GetPoolGroupsRequest{})
		return
	})
	call(mPerfMode, func(c context.Context) (err error) {
		snap.PerfMode, err = perf.GetActivePerformanceMode(c, &bosapi.GetPerformanceModeRequest{})
		return
	})
	call(mTuner, func(c context.Context) (err error) {
		snap.Tuner, err = perf.GetTunerState(c, &bosapi.GetTunerStateRequest{})
		return
	})
	call(mConfig, func(c context.Context) (err error) {
		snap.Config, err = bosapi.NewConfigurationServiceClient(conn).GetMinerConfiguration(c, &bosapi.GetMinerConfigurationRequest{})
		return
	})
	call(mLocate, func(c context.Context) (err error) {
		snap.Locate, err = bosapi.NewActionsServiceClient(conn).GetLocateDeviceStatus(c, &bosapi.GetLocateDeviceStatusRequest{})
		return
	})
	call(mVersion, func(c context.Context) (err error) {
		snap.APIVersion, err = bosapi.NewApiVersionServiceClient(conn).GetApiVersion(c, &bosapi.ApiVersionRequest{})
		return
	})
	wg.Wait()
	if merr := meter.Err(); merr != nil {
		return nil, merr // cut by the budget; gRPC calls it "unavailable"
	}
	sort.Slice(failed, func(a, b int) bool { return failed[a].Error() < failed[b].Error() })
	snap.Problems = append(snap.Problems, failed...)
	if snap.Details == nil && snap.Stats == nil && snap.Hashboards == nil && len(snap.Problems) > 0 {
		return nil, snap.Problems[0]
	}
	return snap, nil
}
