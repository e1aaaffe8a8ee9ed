package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/asicmetrics/telegraf-asic/plugins/inputs/asic"
)

// stateFile keeps every block's inventory across restarts (--statefile):
// one JSON list of miners, which each block takes its own addresses from.
type stateFile struct {
	path   string
	blocks []block
	stderr io.Writer
	debug  bool

	mu      sync.Mutex
	written []uint64 // each block's StateVersion at the last write
}

func newStateFile(path string, blocks []block, stderr io.Writer, debug bool) *stateFile {
	return &stateFile{path: path, blocks: blocks, stderr: stderr, debug: debug, written: make([]uint64, len(blocks))}
}

// load restores the inventory. A missing file is a fresh start; one that
// cannot be read or parsed is a warning naming the file and a fresh start,
// never a partial inventory.
func (s *stateFile) load() {
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		err = s.restore(raw)
	}
	if err != nil {
		fmt.Fprintf(s.stderr, "W! asic-execd: state file %s: %v; starting with an empty inventory\n", s.path, err)
	}
}

func (s *stateFile) restore(raw []byte) error {
	var st asic.State
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("not a state file: %w", err)
	}
	// Check with a throwaway restore first, so a bad file loads nothing.
	if len(s.blocks) > 0 {
		if _, err := s.blocks[0].plugin.Restore(asic.State{Version: st.Version}); err != nil {
			return err
		}
	}
	droppedBy := map[string]int{}
	for _, b := range s.blocks {
		dropped, err := b.plugin.Restore(st)
		if err != nil {
			return err
		}
		for _, a := range dropped {
			droppedBy[a]++
		}
	}
	for _, m := range st.Miners {
		if droppedBy[m.Address] == len(s.blocks) && s.debug {
			fmt.Fprintf(s.stderr, "D! asic-execd: state file %s: %s is in no [[inputs.asic]] block any more: dropped\n", s.path, m.Address)
		}
	}
	for i, b := range s.blocks {
		s.written[i] = b.plugin.StateVersion()
	}
	return nil
}

// save writes the inventory when a block's changed since the last write:
// to a temporary file, then renamed over the old one, so a crash at any
// point leaves either the old file or the new, never a half-written one.
func (s *stateFile) save() {
	s.mu.Lock()
	defer s.mu.Unlock()
	versions := make([]uint64, len(s.blocks))
	changed := false
	for i, b := range s.blocks {
		versions[i] = b.plugin.StateVersion()
		changed = changed || versions[i] != s.written[i]
	}
	if !changed {
		return
	}
	var st asic.State
	for i, b := range s.blocks {
		bs := b.plugin.State()
		if i == 0 {
			st = bs
			continue
		}
		st.Miners = append(st.Miners, bs.Miners...)
	}
	if err := writeAtomic(s.path, st); err != nil {
		fmt.Fprintf(s.stderr, "E! asic-execd: state file %s: %v\n", s.path, err)
		return
	}
	copy(s.written, versions)
}

func writeAtomic(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
