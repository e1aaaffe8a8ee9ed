package poolmetrics

// Pool holds the standardized metrics of one pool. Pointer fields are nil
// when the miner did not report them: unknown is absent, never zero.
type Pool struct {
	Index          int // 0-based position in the miner's priority list
	URL            URL
	User           string
	Accepted       *int64
	Rejected       *int64
	Stale          *int64
	GetFailures    *int64
	RemoteFailures *int64
	Active         *bool // the pool the miner is working on now
	Alive          *bool // the pool answers
}

// RejectedPercent is rejected / (accepted + rejected) * 100. ok is false
// when an input is missing or the denominator is 0.
func (p Pool) RejectedPercent() (float64, bool) {
	if p.Accepted == nil || p.Rejected == nil {
		return 0, false
	}
	return percent(*p.Rejected, *p.Accepted+*p.Rejected)
}

// StalePercent is stale / (accepted + rejected + stale) * 100. ok is false
// when an input is missing or the denominator is 0.
func (p Pool) StalePercent() (float64, bool) {
	if p.Accepted == nil || p.Rejected == nil || p.Stale == nil {
		return 0, false
	}
	return percent(*p.Stale, *p.Accepted+*p.Rejected+*p.Stale)
}

func percent(part, total int64) (float64, bool) {
	if total <= 0 || part < 0 {
		return 0, false
	}
	return float64(part) / float64(total) * 100, true
}
