package httpapi

import "sync"

var (
	sharedOnce sync.Once
	shared     *Transport
)

// Shared is tr, or when tr is nil the one transport every driver built
// without its own uses (a Driver{} literal in a test or a program). The
// registry gives each driver its transport; this is the only fallback, so
// no driver keeps a package-wide transport of its own.
func Shared(tr *Transport) *Transport {
	if tr != nil {
		return tr
	}
	sharedOnce.Do(func() { shared = NewTransport(Options{}) })
	return shared
}
