package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

// writer serializes metrics as line protocol, one line per metric, safe for
// the plugin's concurrent gathers.
type writer struct {
	mu  sync.Mutex
	out *bufio.Writer
	enc lineprotocol.Encoder
}

func newWriter(out io.Writer) *writer {
	w := &writer{out: bufio.NewWriterSize(out, 64<<10)}
	w.enc.SetPrecision(lineprotocol.Nanosecond)
	return w
}

// flush writes what is buffered; called after each gather.
func (w *writer) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Flush()
}

func (w *writer) write(m telegraf.Metric) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.enc.Reset()
	w.enc.StartLine(m.Name())
	tags := m.TagList() // sorted by key, as line protocol requires
	for _, t := range tags {
		w.enc.AddTag(t.Key, t.Value)
	}
	fields := m.FieldList()
	sort.Slice(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
	for _, f := range fields {
		v, ok := lineprotocol.NewValue(f.Value)
		if !ok {
			continue // a type line protocol cannot carry (NaN): dropped, not fatal
		}
		w.enc.AddField(f.Key, v)
	}
	w.enc.EndLine(m.Time())
	if err := w.enc.Err(); err != nil {
		return fmt.Errorf("encoding %s: %w", m.Name(), err)
	}
	_, err := w.out.Write(w.enc.Bytes())
	return err
}

// accumulator feeds one block's metrics, with the block's tags, to the
// output and its errors to the log.
type accumulator struct {
	w    sink
	tags map[string]string
	log  telegraf.Logger
}

func (a *accumulator) add(name string, fields map[string]any, tags map[string]string, ts []time.Time, tp telegraf.ValueType) {
	t := time.Now()
	if len(ts) > 0 {
		t = ts[0]
	}
	m := metric.New(name, tags, fields, t, tp)
	a.AddMetric(m)
}

func (a *accumulator) AddFields(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.add(n, f, t, ts, telegraf.Untyped)
}

func (a *accumulator) AddGauge(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.add(n, f, t, ts, telegraf.Gauge)
}

func (a *accumulator) AddCounter(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.add(n, f, t, ts, telegraf.Counter)
}

func (a *accumulator) AddSummary(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.add(n, f, t, ts, telegraf.Summary)
}

func (a *accumulator) AddHistogram(n string, f map[string]any, t map[string]string, ts ...time.Time) {
	a.add(n, f, t, ts, telegraf.Histogram)
}

// AddMetric adds the block's [inputs.asic.tags] where the plugin did not set
// the tag itself, as Telegraf does.
func (a *accumulator) AddMetric(m telegraf.Metric) {
	for k, v := range a.tags {
		if !m.HasTag(k) {
			m.AddTag(k, v)
		}
	}
	if err := a.w.write(m); err != nil {
		a.log.Errorf("%v", err)
	}
}

func (*accumulator) SetPrecision(time.Duration) {}

func (a *accumulator) AddError(err error) {
	if err != nil {
		a.log.Errorf("Error in plugin: %v", err)
	}
}

// WithTracking is for service inputs with delivery tracking; the asic
// plugin is a plain input and never asks for it.
func (*accumulator) WithTracking(int) telegraf.TrackingAccumulator {
	panic("asic-execd: delivery tracking is not supported")
}
