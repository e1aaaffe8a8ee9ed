package drivers

import "fmt"

// Miners asked on two APIs at once (the 4028 RPC API and the web API:
// stock Antminer, Vnish, Hammer) follow one rule: an API that refused the
// connection (switched off or firewalled) is not a problem when the other
// one answered; any other failure is, and the miner is down only when
// both failed. What both answered is merged by Merge (merge.go).

// OneFailed is what to record of one API's failure: nil when there was
// none, or when it refused the connection and the other API answered.
func OneFailed(err error, otherAnswered bool) error {
	if err == nil || (otherAnswered && Result(err) == ResultConnectionRefused) {
		return nil
	}
	return err
}

// BothFailed is nil when either API answered; otherwise the error that
// explains the miner best: the web API's when only the 4028 port refused.
func BothFailed(rpcErr, webErr error) error {
	if rpcErr == nil || webErr == nil {
		return nil
	}
	if Result(rpcErr) == ResultConnectionRefused && Result(webErr) != ResultConnectionRefused {
		return fmt.Errorf("%w (4028 API: %v)", webErr, rpcErr) //nolint:errorlint // one API classifies
	}
	return fmt.Errorf("%w (web API: %v)", rpcErr, webErr) //nolint:errorlint // one API classifies
}
