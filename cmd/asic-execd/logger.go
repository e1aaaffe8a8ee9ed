package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/influxdata/telegraf"
)

// logger writes "E! [inputs.asic] message" lines to stderr: Telegraf's execd
// input maps the E!/W!/I!/D! prefix of each stderr line to its own log level.
type logger struct {
	mu    sync.Mutex
	out   io.Writer
	name  string
	level telegraf.LogLevel
}

func (l *logger) log(level telegraf.LogLevel, msg string) {
	if !l.level.Includes(level) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, "%s [%s] %s\n", level.Indicator(), l.name, msg)
}

func (l *logger) Level() telegraf.LogLevel          { return l.level }
func (*logger) AddAttribute(string, interface{})    {}
func (l *logger) Errorf(f string, a ...interface{}) { l.log(telegraf.Error, fmt.Sprintf(f, a...)) }
func (l *logger) Error(a ...interface{})            { l.log(telegraf.Error, fmt.Sprint(a...)) }
func (l *logger) Warnf(f string, a ...interface{})  { l.log(telegraf.Warn, fmt.Sprintf(f, a...)) }
func (l *logger) Warn(a ...interface{})             { l.log(telegraf.Warn, fmt.Sprint(a...)) }
func (l *logger) Infof(f string, a ...interface{})  { l.log(telegraf.Info, fmt.Sprintf(f, a...)) }
func (l *logger) Info(a ...interface{})             { l.log(telegraf.Info, fmt.Sprint(a...)) }
func (l *logger) Debugf(f string, a ...interface{}) { l.log(telegraf.Debug, fmt.Sprintf(f, a...)) }
func (l *logger) Debug(a ...interface{})            { l.log(telegraf.Debug, fmt.Sprint(a...)) }
func (l *logger) Tracef(f string, a ...interface{}) { l.log(telegraf.Trace, fmt.Sprintf(f, a...)) }
func (l *logger) Trace(a ...interface{})            { l.log(telegraf.Trace, fmt.Sprint(a...)) }
