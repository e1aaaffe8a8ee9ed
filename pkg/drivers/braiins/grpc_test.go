package braiins

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
	"github.com/asicmetrics/telegraf-asic/pkg/drivers/braiins/bosapi"
)

// grpcMiner is a fake BOS+ gRPC API: an S19 XP Hydro-like miner with four
// boards. Handmade, realistic values.
type grpcMiner struct {
	bosapi.UnimplementedAuthenticationServiceServer
	bosapi.UnimplementedMinerServiceServer
	bosapi.UnimplementedCoolingServiceServer
	bosapi.UnimplementedPoolServiceServer
	bosapi.UnimplementedPerformanceServiceServer
	bosapi.UnimplementedConfigurationServiceServer
	bosapi.UnimplementedActionsServiceServer
	bosapi.UnimplementedApiVersionServiceServer

	password string
	// unimplemented methods answer codes.Unimplemented; broken ones Internal.
	unimplemented, broken map[string]bool
	tokenInHeader         bool // older firmware: token only as metadata

	mu     sync.Mutex
	logins int
	tokens map[string]bool
}

func (m *grpcMiner) Login(ctx context.Context, r *bosapi.LoginRequest) (*bosapi.LoginResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logins++
	if r.Username != "root" || r.Password != m.password {
		return nil, status.Error(codes.Unauthenticated, "invalid credentials")
	}
	tok := "grpc-tok-" + strconv.Itoa(m.logins)
	if m.tokens == nil {
		m.tokens = map[string]bool{}
	}
	m.tokens[tok] = true
	if m.tokenInHeader {
		_ = grpc.SetHeader(ctx, metadata.Pairs("authorization", tok))
		return &bosapi.LoginResponse{}, nil
	}
	return &bosapi.LoginResponse{Token: tok, TimeoutS: 3600}, nil
}

func (m *grpcMiner) expireTokens() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens = nil
}

// check authenticates a call and applies the configured failures.
func (m *grpcMiner) check(ctx context.Context, method string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) != 1 || !m.tokens[v[0]] {
		return status.Error(codes.Unauthenticated, "session expired")
	}
	if m.unimplemented[method] {
		return status.Error(codes.Unimplemented, "unknown method")
	}
	if m.broken[method] {
		return status.Error(codes.Internal, "bosminer not responding")
	}
	return nil
}

func gh(v float64) *bosapi.GigaHashrate  { return &bosapi.GigaHashrate{GigahashPerSecond: v} }
func degC(v float64) *bosapi.Temperature { return &bosapi.Temperature{DegreeC: v} }

func (m *grpcMiner) GetMinerDetails(ctx context.Context, _ *bosapi.GetMinerDetailsRequest) (*bosapi.GetMinerDetailsResponse, error) {
	if err := m.check(ctx, mDetails); err != nil {
		return nil, err
	}
	serial := "SMTTB4AB4HXJ0042"
	return &bosapi.GetMinerDetailsResponse{
		Uid:             "hX81kq",
		MinerIdentity:   &bosapi.MinerIdentity{Brand: bosapi.MinerBrand_MINER_BRAND_ANTMINER, Name: "Antminer S19 XP Hydro", MinerModel: "Antminer S19 XP Hydro"},
		BosVersion:      &bosapi.BosVersion{Current: "2025-03-20-0-5ae8f2bb-25.03-plus", Major: "2025-03-20-0-5ae8f2bb-25.03-plus", BosPlus: true},
		Hostname:        "s19xph-r4-07",
		MacAddress:      "ac:1d:df:4e:90:0b",
		StickerHashrate: gh(255000),
		BosminerUptimeS: 86400,
		SystemUptimeS:   90061,
		Status:          bosapi.MinerStatus_MINER_STATUS_NORMAL,
		SerialNumber:    &serial,
	}, nil
}

func (m *grpcMiner) GetMinerStats(ctx context.Context, _ *bosapi.GetMinerStatsRequest) (*bosapi.GetMinerStatsResponse, error) {
	if err := m.check(ctx, mStats); err != nil {
		return nil, err
	}
	return &bosapi.GetMinerStatsResponse{
		MinerStats: &bosapi.WorkSolverStats{
			RealHashrate:    &bosapi.RealHashrate{Last_5S: gh(250112.5), Last_1M: gh(251340.5)},
			NominalHashrate: gh(255000),
		},
		PowerStats: &bosapi.MinerPowerStats{ApproximatedConsumption: &bosapi.Power{Watt: 5304}},
	}, nil
}

func (m *grpcMiner) GetHashboards(ctx context.Context, _ *bosapi.GetHashboardsRequest) (*bosapi.GetHashboardsResponse, error) {
	if err := m.check(ctx, mHashboards); err != nil {
		return nil, err
	}
	board := func(id string, ths1m, board, chip, inlet, outlet float64, chips uint32) *bosapi.Hashboard {
		sn := "YNAHB4XPH000" + id
		return &bosapi.Hashboard{
			Id:                id,
			Enabled:           true,
			ChipsCount:        wrapperspb.UInt32(chips),
			CurrentVoltage:    &bosapi.Voltage{Volt: 14.2},
			CurrentFrequency:  &bosapi.Frequency{Hertz: 575e6},
			HighestChipTemp:   &bosapi.TemperatureSensor{Location: bosapi.SensorLocation_SENSOR_LOCATION_CHIP, Temperature: degC(chip)},
			BoardTemp:         degC(board),
			LowestInletTemp:   degC(inlet),
			HighestOutletTemp: degC(outlet),
			Stats:             &bosapi.WorkSolverStats{RealHashrate: &bosapi.RealHashrate{Last_5S: gh(ths1m - 100), Last_1M: gh(ths1m)}, NominalHashrate: gh(63750)},
			SerialNumber:      &sn,
		}
	}
	return &bosapi.GetHashboardsResponse{Hashboards: []*bosapi.Hashboard{
		board("1", 83780.25, 48.5, 67.25, 30.5, 41.0, 110),
		board("2", 83000.0, 47.0, 66.0, 30.25, 40.5, 110),
		board("3", 84560.25, 49.25, 68.5, 30.75, 42.25, 110),
		// Dead board: present, 0 chips, 0 hashrate, no chip sensor.
		{Id: "4", Enabled: true, ChipsCount: wrapperspb.UInt32(0), BoardTemp: degC(29.5),
			Stats: &bosapi.WorkSolverStats{RealHashrate: &bosapi.RealHashrate{Last_1M: gh(0)}, NominalHashrate: gh(63750)}},
	}}, nil
}

func (m *grpcMiner) GetErrors(ctx context.Context, _ *bosapi.GetErrorsRequest) (*bosapi.GetErrorsResponse, error) {
	if err := m.check(ctx, mErrors); err != nil {
		return nil, err
	}
	return &bosapi.GetErrorsResponse{Errors: []*bosapi.MinerError{{
		Timestamp:  time.Now().UTC().Format(time.RFC3339), // of this run
		Message:    "Hashboard 4: no chips found",
		ErrorCodes: []*bosapi.ErrorCode{{Code: "HB_NO_CHIPS", Reason: "Chain enumeration found 0 chips"}},
	}}}, nil
}

func (m *grpcMiner) GetCoolingState(ctx context.Context, _ *bosapi.GetCoolingStateRequest) (*bosapi.GetCoolingStateResponse, error) {
	if err := m.check(ctx, mCooling); err != nil {
		return nil, err
	}
	return &bosapi.GetCoolingStateResponse{}, nil // hydro: no fans
}

func (m *grpcMiner) GetPoolGroups(ctx context.Context, _ *bosapi.GetPoolGroupsRequest) (*bosapi.GetPoolGroupsResponse, error) {
	if err := m.check(ctx, mPools); err != nil {
		return nil, err
	}
	return &bosapi.GetPoolGroupsResponse{PoolGroups: []*bosapi.PoolGroup{
		{Name: "Default", Pools: []*bosapi.Pool{
			{Url: "stratum+tcp://eu.stratum.braiins.com:3333", User: "hydro.r4x07", Enabled: true, Alive: true, Active: true,
				Stats: &bosapi.PoolStats{AcceptedShares: 88213, RejectedShares: 41, StaleShares: 7}},
		}},
		{Name: "Failover", Pools: []*bosapi.Pool{
			{Url: "stratum+tcp://us-east.stratum.braiins.com:3333", User: "hydro.r4x07", Enabled: true},
		}},
	}}, nil
}

func (m *grpcMiner) GetActivePerformanceMode(ctx context.Context, _ *bosapi.GetPerformanceModeRequest) (*bosapi.PerformanceMode, error) {
	if err := m.check(ctx, mPerfMode); err != nil {
		return nil, err
	}
	return &bosapi.PerformanceMode{Mode: &bosapi.PerformanceMode_TunerMode{TunerMode: &bosapi.TunerPerformanceMode{
		Target: &bosapi.TunerPerformanceMode_PowerTarget{PowerTarget: &bosapi.PowerTargetMode{PowerTarget: &bosapi.Power{Watt: 5300}}},
	}}}, nil
}

func (m *grpcMiner) GetTunerState(ctx context.Context, _ *bosapi.GetTunerStateRequest) (*bosapi.GetTunerStateResponse, error) {
	if err := m.check(ctx, mTuner); err != nil {
		return nil, err
	}
	return &bosapi.GetTunerStateResponse{
		OverallTunerState: bosapi.TunerState_TUNER_STATE_ERROR,
		ModeState: &bosapi.GetTunerStateResponse_PowerTargetModeState{PowerTargetModeState: &bosapi.PowerTargetModeState{
			CurrentTarget: &bosapi.Power{Watt: 5250},
		}},
	}, nil
}

func (m *grpcMiner) GetMinerConfiguration(ctx context.Context, _ *bosapi.GetMinerConfigurationRequest) (*bosapi.GetMinerConfigurationResponse, error) {
	if err := m.check(ctx, mConfig); err != nil {
		return nil, err
	}
	mode := bosapi.TunerMode_TUNER_MODE_POWER_TARGET
	return &bosapi.GetMinerConfigurationResponse{Tuner: &bosapi.TunerConfiguration{TunerMode: &mode, PowerTarget: &bosapi.Power{Watt: 5200}}}, nil
}

func (m *grpcMiner) GetLocateDeviceStatus(ctx context.Context, _ *bosapi.GetLocateDeviceStatusRequest) (*bosapi.LocateDeviceStatusResponse, error) {
	if err := m.check(ctx, mLocate); err != nil {
		return nil, err
	}
	return &bosapi.LocateDeviceStatusResponse{Enabled: true}, nil
}

func (m *grpcMiner) GetApiVersion(ctx context.Context, _ *bosapi.ApiVersionRequest) (*bosapi.ApiVersion, error) {
	if err := m.check(ctx, mVersion); err != nil {
		return nil, err
	}
	return &bosapi.ApiVersion{Major: 1, Minor: 5, Patch: 0}, nil
}

func startGRPC(t *testing.T, m *grpcMiner) drivers.Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	bosapi.RegisterAuthenticationServiceServer(srv, m)
	bosapi.RegisterMinerServiceServer(srv, m)
	bosapi.RegisterCoolingServiceServer(srv, m)
	bosapi.RegisterPoolServiceServer(srv, m)
	bosapi.RegisterPerformanceServiceServer(srv, m)
	bosapi.RegisterConfigurationServiceServer(srv, m)
	bosapi.RegisterActionsServiceServer(srv, m)
	bosapi.RegisterApiVersionServiceServer(srv, m)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	port := ln.Addr().(*net.TCPAddr).Port
	return drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{GRPC: port, Web: closedPort(t), RPC: closedPort(t)}}
}

// checkHydro asserts the fake's values; arithmetic in the comments.
func checkHydro(t *testing.T, d *drivers.MinerData) {
	t.Helper()
	require.Equal(t, "Antminer", d.Make)
	require.Equal(t, "S19 XP Hydro", d.Model)
	require.Equal(t, "braiins", d.Firmware)
	require.Equal(t, "25.03", d.FirmwareVersion) // "2025-03-20-0-5ae8f2bb-25.03-plus"
	require.Equal(t, "AC:1D:DF:4E:90:0B", d.MAC)
	require.Equal(t, "s19xph-r4-07", d.Hostname)
	require.Equal(t, "SMTTB4AB4HXJ0042", d.SerialNumber)
	require.Equal(t, i(86400), d.UptimeSeconds, "bosminer_uptime_s")
	require.Equal(t, b(true), d.IsMining)
	inDelta(t, f(251.3405), d.Hashrate, "TH/s: last_1m 251340.5 GH/s / 1e3")
	inDelta(t, f(255), d.ExpectedHashrate, "TH/s: nominal 255000 GH/s / 1e3")
	inDelta(t, f(5304), d.PowerWatts, "W")
	require.Len(t, d.Boards, 4)
	for idx, want := range []struct{ ths, board, chip, inlet, outlet float64 }{
		{83.78025, 48.5, 67.25, 30.5, 41.0},   // 83780.25 GH/s / 1e3
		{83.0, 47.0, 66.0, 30.25, 40.5},       // 83000 / 1e3
		{84.56025, 49.25, 68.5, 30.75, 42.25}, // 84560.25 / 1e3
	} {
		bd := d.Boards[idx]
		require.Equal(t, idx, bd.Index)
		inDelta(t, f(want.ths), bd.Hashrate, "board %d TH/s", idx)
		inDelta(t, f(63.75), bd.ExpectedHashrate, "board %d nominal TH/s: 63750 / 1e3", idx)
		inDelta(t, f(want.board), bd.Temperature, "board %d °C", idx)
		inDelta(t, f(want.chip), bd.ChipTemperature, "board %d chip °C", idx)
		inDelta(t, f(want.inlet), bd.InletTemperature, "board %d inlet °C", idx)
		inDelta(t, f(want.outlet), bd.OutletTemperature, "board %d outlet °C", idx)
		require.Equal(t, i(110), bd.Chips)
		inDelta(t, f(14.2), bd.VoltageVolts, "V")
		inDelta(t, f(575), bd.FrequencyMHz, "MHz: 575e6 Hz / 1e6")
		require.Equal(t, "YNAHB4XPH000"+strconv.Itoa(idx+1), bd.SerialNumber)
	}
	dead := d.Boards[3]
	require.Equal(t, 3, dead.Index)
	require.Equal(t, i(0), dead.Chips)
	inDelta(t, f(0), dead.Hashrate, "dead board TH/s")
	inDelta(t, f(29.5), dead.Temperature, "dead board °C")
	require.Nil(t, dead.ChipTemperature)
	require.Empty(t, d.Fans, "hydro: no fans")
	require.Len(t, d.Pools, 2)
	p0 := d.Pools[0]
	require.Equal(t, 0, p0.Index)
	require.Equal(t, "eu.stratum.braiins.com", p0.URL.Host)
	require.Equal(t, 3333, p0.URL.Port)
	require.Equal(t, "hydro.r4x07", p0.User)
	require.Equal(t, i(88213), p0.Accepted)
	require.Equal(t, i(41), p0.Rejected)
	require.Equal(t, i(7), p0.Stale)
	require.Equal(t, b(true), p0.Active)
	require.Equal(t, b(true), p0.Alive)
	p1 := d.Pools[1]
	require.Equal(t, 1, p1.Index, "second group, flattened")
	require.Equal(t, b(false), p1.Alive)
	require.Nil(t, p1.Accepted, "no stats sent")
}

func TestGRPCGather(t *testing.T) {
	m := &grpcMiner{password: "root"}
	target := startGRPC(t, m)
	drv := &Driver{}
	d, err := gatherWith(t, drv, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	checkHydro(t, d)
	require.Equal(t, "1.5.0", d.APIVersion)
	inDelta(t, f(5300), d.PowerLimitWatts, "active performance mode W")
	require.Equal(t, b(true), d.FaultLight)
	require.Equal(t, []drivers.MinerError{{Code: "HB_NO_CHIPS", Message: "Hashboard 4: no chips found"}}, d.Errors)
	require.Equal(t, 1, m.logins)
	require.Equal(t, pathGRPC, drv.path("127.0.0.1", "127.0.0.1|"+strconv.Itoa(target.Ports.GRPC)+"|"+strconv.Itoa(target.Ports.Web)+"|"+strconv.Itoa(target.Ports.RPC)))

	// Cached token: no new login.
	_, err = gatherWith(t, drv, target)
	require.NoError(t, err)
	require.Equal(t, 1, m.logins)

	// Expired token: exactly one new login.
	m.expireTokens()
	d, err = gatherWith(t, drv, target)
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	checkHydro(t, d)
	require.Equal(t, 2, m.logins)
}

func TestGRPCTokenInHeader(t *testing.T) {
	m := &grpcMiner{password: "root", tokenInHeader: true}
	d, err := gatherWith(t, &Driver{}, startGRPC(t, m))
	require.NoError(t, err)
	require.Empty(t, d.Problems)
	checkHydro(t, d)
}

func TestGRPCLoginRefused(t *testing.T) {
	m := &grpcMiner{password: "root"}
	target := startGRPC(t, m)
	target.Password = "Hunter2-secret"
	d, err := gatherWith(t, &Driver{}, target)
	require.Nil(t, d)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.NotContains(t, err.Error(), "Hunter2-secret")
	require.Equal(t, "braiins gRPC "+target.GRPCAddr()+": login refused: authentication failed", err.Error(),
		"named once, by the gather")
	require.Equal(t, 1, m.logins, "one login, no loop")
}

func TestGRPCDefaultPasswordsRefused(t *testing.T) {
	m := &grpcMiner{password: "custom"}
	d, err := gatherWith(t, &Driver{}, startGRPC(t, m))
	require.Nil(t, d)
	require.Equal(t, drivers.ResultAuthFailed, drivers.Result(err))
	require.Equal(t, 2, m.logins, `"root" then ""`)
}

func TestGRPCUnimplementedAndBroken(t *testing.T) {
	m := &grpcMiner{
		password:      "root",
		unimplemented: map[string]bool{mErrors: true, mPerfMode: true, mLocate: true, mVersion: true},
		broken:        map[string]bool{mCooling: true},
	}
	d, err := gatherWith(t, &Driver{}, startGRPC(t, m))
	require.NoError(t, err)
	checkHydro(t, d)
	// Unimplemented: silent. The broken one: one Problem, the rest kept.
	require.Len(t, d.Problems, 1)
	require.Contains(t, d.Problems[0].Error(), mCooling)
	require.Equal(t, drivers.ResultBadResponse, drivers.Result(d.Problems[0]))
	inDelta(t, f(5250), d.PowerLimitWatts, "tuner current_target W when the mode is unimplemented")
	require.Equal(t, []drivers.MinerError{{Code: "TUNER_STATE_ERROR", Message: "tuner: error"}}, d.Errors, "tuner state as the error report")
	require.Nil(t, d.FaultLight)
	require.Empty(t, d.APIVersion)
}

func TestGatherFallsBackToREST(t *testing.T) {
	// gRPC port closed: REST answers, and is remembered.
	m := &restMiner{bodies: loadREST(t), password: "root"}
	target := startREST(t, m)
	drv := &Driver{}
	d, err := gatherWith(t, drv, target)
	require.NoError(t, err)
	require.Equal(t, "S21", d.Model)
	key := "127.0.0.1|" + strconv.Itoa(target.Ports.GRPC) + "|" + strconv.Itoa(target.Ports.Web) + "|" + strconv.Itoa(target.Ports.RPC)
	require.Equal(t, pathREST, drv.path("127.0.0.1", key))
}

func TestGatherFallsBackTo4028(t *testing.T) {
	// Old bosminer: gRPC closed, the web port serves LuCI HTML (403), 4028
	// answers.
	luci := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>Forbidden</html>", http.StatusForbidden)
	}))
	t.Cleanup(luci.Close)
	u, err := url.Parse(luci.URL)
	require.NoError(t, err)
	web, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	m := serve(t, filepath.Join(captures, "S9_bosminer-plus-0.2.0-36c56a9363"), true)
	target := drivers.Target{Host: "127.0.0.1", Ports: drivers.Ports{RPC: m.Port(), Web: web, GRPC: closedPort(t)}}
	drv := &Driver{}
	d, err := gatherWith(t, drv, target)
	require.NoError(t, err)
	require.Equal(t, "0.2.0-36c56a9363", d.FirmwareVersion)
	inDelta(t, f(13.96727698800245), d.Hashrate, "hashrate TH/s from 4028 MHS 1m")
	require.Equal(t, pathRPC, drv.path("127.0.0.1", fmt.Sprintf("127.0.0.1|%d|%d|%d", target.Ports.GRPC, web, m.Port())))
}
