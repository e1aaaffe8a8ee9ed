package replies

import (
	"fmt"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers"
)

// TwoAPIs records in d how the 4028 API (rpc) and the web API (web) of a
// miner asked on both failed, as drivers.OneFailed says (a refusal while
// the other answered is no problem; a nil set was not asked), and tells
// which of them answered. What both answered is then merged with
// drivers.Merge.
func TwoAPIs(d *drivers.MinerData, rpc, web *Set) (rpcUp, webUp bool) {
	rpcUp, webUp = rpc.Answered(), web.Answered()
	if rpc != nil && !rpcUp {
		d.Problem(drivers.OneFailed(rpc.Err(), webUp))
	}
	if web != nil && !webUp {
		if err := drivers.OneFailed(web.Err(), rpcUp); err != nil {
			d.Problem(fmt.Errorf("web: %w", err))
		}
	}
	return rpcUp, webUp
}

// WithoutRefused is rpc and web with an API that refused the connection
// replaced by an empty set (nothing asked of it) when the other answered:
// drivers.OneFailed's rule for a parser that reads both sets page by page
// and would otherwise list each of the refused API's commands as a
// problem.
func WithoutRefused(rpc, web *Set) (*Set, *Set) {
	rpcUp, webUp := rpc.Answered(), web.Answered()
	if rpc != nil && !rpcUp && drivers.OneFailed(rpc.Err(), webUp) == nil {
		rpc = New()
	}
	if web != nil && !webUp && drivers.OneFailed(web.Err(), rpcUp) == nil {
		web = New()
	}
	return rpc, web
}
