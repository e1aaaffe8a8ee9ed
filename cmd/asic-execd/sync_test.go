package main

import (
	"bytes"
	"sync"
)

var outMu sync.Mutex

// syncBuf lets a test read what run writes from another goroutine.
type syncBuf struct{ b *bytes.Buffer }

func (s *syncBuf) Write(p []byte) (int, error) {
	outMu.Lock()
	defer outMu.Unlock()
	return s.b.Write(p)
}

func stdoutString(b *bytes.Buffer) string {
	outMu.Lock()
	defer outMu.Unlock()
	return b.String()
}
