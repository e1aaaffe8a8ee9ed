package jsonval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds nesting, as encoding/json does: a reply nested a million
// deep is an error, not a stack overflow.
const maxDepth = 10000

// errDepth is returned for input nested deeper than maxDepth.
var errDepth = errors.New("json: nested too deeply")

// decode parses one JSON value in a single pass into map[string]any,
// []any, string, json.Number, bool and nil: the shapes encoding/json gives
// with UseNumber, at a fraction of its cost (it scans every value twice).
// Invalid UTF-8 in strings becomes U+FFFD; a duplicate key keeps its last
// value; what follows the first value is ignored, as json.Decoder does.
func decode(b []byte) (any, error) {
	d := decoderPool.Get().(*decoder)
	d.b, d.i = b, 0
	d.sizeSlabs(b)
	d.ws()
	v, err := d.value(0)
	d.release()
	if err != nil {
		return nil, err
	}
	return v, nil
}

type decoder struct {
	b []byte
	i int
	// kvs and vals are scratch stacks: an object's pairs and an array's
	// elements are collected here, then copied into a map or slice of
	// exactly their size, so neither grows (rehashes) while decoding.
	kvs  []kv
	vals []any
	// nums is the tail of the current chunk numbers' text is copied into:
	// one allocation per chunk instead of one per number.
	nums []byte

	// mem, objs and elems are the free tails of this decode's slabs:
	// objects' members, objects and arrays' elements are cut from them, a
	// few allocations per reply instead of one or more per object. They
	// are never shared with another decode, so a value kept after the
	// decode keeps only its own reply's slabs alive.
	mem               []member
	objs              []object
	elems             []any
	memN, objN, elemN int // how many of each the rest of the reply may hold
	seen              [internSlots / 64]uint64
}

type kv struct {
	k string
	v any
	s uint16 // the key's slot in internTable (its hash), for duplicates
}

// sizeSlabs sizes the slabs for the reply b: a member has a colon and an
// object a brace (a few more inside strings, such as a pool URL's, only
// overcount), counted at memchr speed, so one slab of each usually holds
// the whole reply with little to spare. Arrays' elements have no such
// mark: about one per 256 bytes of the captured replies.
func (d *decoder) sizeSlabs(b []byte) {
	d.memN = bytes.Count(b, colon) + 1
	d.objN = bytes.Count(b, brace) + 1
	d.elemN = len(b)/256 + 1
}

var colon, brace = []byte{':'}, []byte{'{'}

// cut takes n elements off the free tail *free of a slab, starting a new
// slab when they do not fit: of what the estimate *left says is still to
// come, within lo and hi.
func cut[T any](free *[]T, n int, left *int, lo, hi int) []T {
	if n > len(*free) {
		size := max(n, min(max(*left, lo), hi))
		*left -= size
		*free = make([]T, size)
	}
	out := (*free)[:n:n]
	*free = (*free)[n:]
	return out
}

func (d *decoder) members(n int) []member { return cut(&d.mem, n, &d.memN, 8, 4096) }

func (d *decoder) newObject() *object { return &cut(&d.objs, 1, &d.objN, 2, 1024)[0] }

func (d *decoder) list(n int) []any { return cut(&d.elems, n, &d.elemN, 4, 1024) }

// build makes the object of pairs, each key once with its last value.
// A key seen before in this object is found through a bit per key slot:
// only when two keys share a slot are the earlier keys compared.
func (d *decoder) build(pairs []kv) Obj {
	n := 0
	for i := range pairs {
		p := pairs[i]
		w, bit := p.s>>6, uint64(1)<<(p.s&63)
		if d.seen[w]&bit != 0 {
			dup := false
			for j := range n {
				if pairs[j].k == p.k {
					pairs[j].v, dup = p.v, true
					break
				}
			}
			if dup {
				continue
			}
		}
		d.seen[w] |= bit
		pairs[n] = p
		n++
	}
	o := d.newObject()
	o.m = d.members(n)
	for i := range n {
		o.m[i] = member{pairs[i].k, pairs[i].v}
		d.seen[pairs[i].s>>6] = 0
	}
	return Obj{o}
}

// maxScratch bounds the scratch kept in the pool between decodes, so one
// huge reply does not pin its scratch for good.
const maxScratch = 4096

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

func (d *decoder) release() {
	clear(d.kvs[:cap(d.kvs)])
	clear(d.vals[:cap(d.vals)])
	if cap(d.kvs) > maxScratch {
		d.kvs = nil
	}
	if cap(d.vals) > maxScratch {
		d.vals = nil
	}
	d.b, d.kvs, d.vals = nil, d.kvs[:0], d.vals[:0]
	d.mem, d.objs, d.elems = nil, nil, nil
	// nums stays: its free tail is never shared, the written part belongs
	// to the numbers handed out.
	decoderPool.Put(d)
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) fail(what string) error {
	if d.i >= len(d.b) {
		return fmt.Errorf("json: unexpected end of input, %s", what)
	}
	return fmt.Errorf("json: invalid character %q at offset %d, %s", d.b[d.i], d.i, what)
}

func (d *decoder) value(depth int) (any, error) {
	if d.i >= len(d.b) {
		return nil, d.fail("expected a value")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.strValue()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.fail("expected a value")
}

func (d *decoder) literal(word string) error {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return d.fail("expected " + word)
	}
	d.i += len(word)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	d.i++ // {
	base := len(d.kvs)
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return Obj{emptyObject}, nil
	}
	for {
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, d.fail("expected a key")
		}
		k, slot, err := d.key()
		if err != nil {
			return nil, err
		}
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, d.fail("expected ':'")
		}
		d.i++
		d.ws()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.kvs = append(d.kvs, kv{k, v, slot})
		d.ws()
		if d.i >= len(d.b) {
			return nil, d.fail("expected ',' or '}'")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			pairs := d.kvs[base:]
			o := d.build(pairs)
			clear(pairs)
			d.kvs = d.kvs[:base]
			return o, nil
		default:
			return nil, d.fail("expected ',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	d.i++ // [
	base := len(d.vals)
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return make([]any, 0), nil
	}
	for {
		d.ws()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		d.vals = append(d.vals, v)
		d.ws()
		if d.i >= len(d.b) {
			return nil, d.fail("expected ',' or ']'")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			l := d.list(len(d.vals) - base)
			copy(l, d.vals[base:])
			clear(d.vals[base:])
			d.vals = d.vals[:base]
			return l, nil
		default:
			return nil, d.fail("expected ',' or ']'")
		}
	}
}

func (d *decoder) number() (any, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, d.fail("expected a digit")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, d.fail("expected a digit after '.'")
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, d.fail("expected an exponent")
		}
	}
	return d.num(d.b[start:d.i]), nil
}

// smallNums are the numbers 0..255 boxed once: counters, flags and
// temperatures are mostly small, and each would cost an allocation.
var smallNums = func() (t [256]any) {
	for i := range t {
		t[i] = json.Number(strconv.Itoa(i))
	}
	return t
}()

// numChunk is the size of the chunks numbers' text is copied into. A
// number kept after the decode keeps its chunk alive, so it stays small.
const numChunk = 1024

// num boxes the text of a number: small integers from smallNums, the rest
// as a string over a chunk that is only ever appended to (the bytes a
// number points at are never written again).
func (d *decoder) num(t []byte) any {
	if n := len(t); n <= 3 && (n == 1 || t[0] != '0') && t[0] != '-' {
		v := 0
		for _, c := range t {
			if c < '0' || c > '9' {
				v = -1
				break
			}
			v = v*10 + int(c-'0')
		}
		if v >= 0 && v < len(smallNums) {
			return smallNums[v]
		}
	}
	if len(t) <= maxInternedNum {
		return internNum(t)
	}
	if len(t) > numChunk/4 {
		return json.Number(t) // a huge number: its own copy
	}
	if cap(d.nums)-len(d.nums) < len(t) {
		d.nums = make([]byte, 0, numChunk)
	}
	start := len(d.nums)
	d.nums = append(d.nums, t...)
	return json.Number(unsafe.String(&d.nums[start], len(t)))
}

// key reads an object key. Keys repeat across every reply of a fleet
// ("GHS 5s", "fan1", "STATUS"), so plain short ones come from a small
// shared table instead of a new string per key per miner.
func (d *decoder) key() (string, uint16, error) {
	start := d.i + 1
	for j := start; j < len(d.b) && j-start <= maxInterned; j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			k, slot := intern(d.b[start:j])
			return k, slot, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	k, err := d.str()
	return k, uint16(maphash.String(internSeed, k)), err
}

// emptyObject is every decoded {}: read-only, so one is enough.
var emptyObject = &object{}

// maxInterned is the longest key kept in the table.
const maxInterned = 64

// internTable is a fixed-size, lock-free cache of keys: a slot holds the
// last key that hashed to it. A miss costs what no table would (one
// string); the table never grows, whatever miners send.
//
// Its size: the captures hold about 2,500 distinct keys; at 4,096 slots
// some 45% of them shared a slot with another and kept evicting it (the
// misses were 4% of a steady gather's allocations); at 65,536 (512 KiB of
// pointers) about 4% of the keys do.
var internTable [internSlots]atomic.Pointer[string]

const internSlots = 1 << 16

// internSeed seeds the table's hash (the runtime's, hardware-assisted:
// a byte-at-a-time hash was most of the cost of a key).
var internSeed = maphash.MakeSeed()

func intern(b []byte) (string, uint16) {
	h := maphash.Bytes(internSeed, b)
	i := uint16(h) // internSlots is 1<<16
	slot := &internTable[i]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p, i
	}
	s := string(b)
	slot.Store(&s)
	return s, i
}

// strValue reads a string value. Short plain ones repeat across a fleet
// ("S", "Alive", a model, a pool URL) and come boxed from a table like the
// keys': a hit costs no allocation instead of two (the text and its box).
func (d *decoder) strValue() (any, error) {
	start := d.i + 1
	for j := start; j < len(d.b) && j-start <= maxInternedValue; j++ {
		c := d.b[j]
		if c == '"' {
			d.i = j + 1
			return internValue(d.b[start:j]), nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return d.str()
}

// maxInternedNum is the longest number kept in numTable: short numbers
// (fan speeds, frequencies, "0.00") repeat across a fleet and between
// gathers, like short strings.
const maxInternedNum = 8

// numSlot is one boxed number of numTable with its text packed in key.
type numSlot struct {
	key uint64
	v   any
}

var numTable [1 << 14]atomic.Pointer[numSlot]

// internNum boxes a number of at most 8 characters. Its text packed in
// one integer (a number's characters are never 0, so the length is in it
// too) is both the slot's hash and what is compared: no hashing of bytes
// and no byte comparison, which were a third of its cost.
func internNum(b []byte) any {
	var k uint64
	for i, c := range b {
		k |= uint64(c) << (8 * i)
	}
	slot := &numTable[(k*0x9E3779B97F4A7C15)>>(64-14)]
	if p := slot.Load(); p != nil && p.key == k {
		return p.v
	}
	p := &numSlot{key: k, v: json.Number(b)}
	slot.Store(p)
	return p.v
}

// maxInternedValue is the longest string value kept in the value table.
const maxInternedValue = 32

// valueTable holds boxed string values, as internTable holds keys. A miss
// costs one allocation more than no table would (the slot's box).
var valueTable [1 << 14]atomic.Pointer[any]

func internValue(b []byte) any {
	h := maphash.Bytes(internSeed, b)
	slot := &valueTable[h&uint64(len(valueTable)-1)]
	if p := slot.Load(); p != nil {
		if s, _ := (*p).(string); s == string(b) {
			return *p
		}
	}
	var v any = string(b)
	slot.Store(&v)
	return v
}

// str reads a string starting at the opening quote.
func (d *decoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	// Fast path: plain ASCII without escapes, the usual case.
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c == '"' {
			s := string(d.b[start:d.i])
			d.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		d.i++
	}
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c < 0x20:
			return "", d.fail("control character in string")
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				return "", d.fail("unfinished escape")
			}
			e := d.b[d.i]
			d.i++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.fail("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A pair makes one rune; a lone half is U+FFFD and the
					// next escape is read on its own, as encoding/json does.
					save := d.i
					dec := utf8.RuneError
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						d.i += 2
						if r2, ok2 := d.hex4(); ok2 {
							dec = utf16.DecodeRune(r, r2)
						}
					}
					if dec == utf8.RuneError {
						d.i = save
					}
					r = dec
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.i--
				return "", d.fail("bad escape")
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, d.b[d.i:d.i+size]...)
			}
			d.i += size
		}
	}
	return "", d.fail("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}
