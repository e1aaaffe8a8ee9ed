package jsonval

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// Keys come from a shared table; decoders running at once, with keys that
// collide in it, still each get their own keys right.
func TestInternConcurrent(t *testing.T) {
	var inputs [][]byte
	var want []any
	for i := range 64 {
		b := fmt.Appendf(nil, `{"k%d":%d,"fan%d":[{"GHS 5s":"%d","k%d":true}],"STATUS":"S"}`, i, i, i%4, i, i*4099)
		v, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		inputs, want = append(inputs, b), append(want, plain(v))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g*31 + n) % len(inputs)
				got, err := Decode(inputs[i])
				if err != nil || !reflect.DeepEqual(plain(got), want[i]) {
					t.Errorf("input %d: %v %#v", i, err, got)
					return
				}
			}
		})
	}
	wg.Wait()
	s, slot := intern([]byte("fan1"))
	if s2, slot2 := intern([]byte("fan1")); s != "fan1" || s2 != s || slot2 != slot {
		t.Fatal("intern")
	}
}
