package cgminer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// feedByByte is the plain byte-by-byte tracker that feed must agree with.
func feedByByte(s *completeness, b []byte) bool {
	for _, c := range b {
		if s.done {
			return true
		}
		if s.inStr {
			if s.strLen++; s.strLen > maxReplyString {
				s.tooLong, s.done = true, true
				return true
			}
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
			}
			continue
		}
		switch c {
		case '"':
			s.inStr, s.strLen = true, 0
		case '{', '[':
			s.depth++
			s.started = true
			if s.depth > maxReplyDepth {
				s.tooDeep, s.done = true, true
				return true
			}
		case '}', ']':
			s.depth--
			if s.started && s.depth <= 0 {
				s.done = true
			}
		}
	}
	return s.done
}

// agree feeds b in chunks of size n to both trackers and compares them
// after every chunk.
func agree(t *testing.T, b []byte, n int) {
	t.Helper()
	var fast, slow completeness
	for off := 0; off < len(b); off += n {
		chunk := b[off:min(off+n, len(b))]
		f, s := fast.feed(chunk), feedByByte(&slow, chunk)
		if f != s || fast != slow {
			t.Fatalf("chunk size %d at %d: feed %v %+v, byte by byte %v %+v", n, off, f, fast, s, slow)
		}
		if f {
			return
		}
	}
}

func FuzzCompleteness(f *testing.F) {
	for _, s := range []string{`{"a":"x\"}\\","b":[1,{"c":"]"}]}`, `{"STATUS":[{"Msg":"a\\\\"}]}` + "\x00", `[[[[`, `"open`} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		agree(t, b, int(n)%64+1)
	})
}

// Every captured reply, whole and in small chunks; a string at the length
// limit and one past it, with the limit falling on its closing quote.
func TestCompletenessAgrees(t *testing.T) {
	files, err := filepath.Glob("../../../../testdata/*/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no captures", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{len(b) + 1, 1, 7, 1500} {
			agree(t, b, n)
		}
	}
	for _, l := range []int{maxReplyString - 2, maxReplyString - 1, maxReplyString, maxReplyString + 1} {
		b := []byte(`{"a":"` + string(bytes.Repeat([]byte("x"), l)) + `"}`)
		agree(t, b, 4096)
		agree(t, b, len(b))
	}
}

func BenchmarkCompleteness(b *testing.B) {
	raw, err := os.ReadFile("../../../../testdata/avalon/Avalon9xx_9211809-b4b3d00/stats.json")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var s completeness
		s.feed(raw)
	}
}
