package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/asicmetrics/telegraf-asic/pkg/drivers/discover"
)

// discoverTable runs discovery for every block and prints what it found:
// address, make, model, firmware, driver, identification time, or why not.
func discoverTable(blocks []block, stdout, stderr io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tMAKE\tMODEL\tFIRMWARE\tDRIVER\tIDENTIFY\tERROR")
	total := 0
	for i, b := range blocks {
		// A large range takes a while: say how far it is on stderr.
		b.plugin.ScanProgress = func(p discover.Progress) {
			if p.Total == 0 {
				return
			}
			fmt.Fprintf(stderr, "I! asic-execd: [[inputs.asic]] #%d: %d of %d addresses probed, %d found\n", i+1, p.Probed, p.Total, p.Found)
		}
		found, err := b.plugin.Discover(context.Background())
		if err != nil {
			fmt.Fprintf(stderr, "E! asic-execd: [[inputs.asic]] #%d: %v\n", i+1, err)
			return 1
		}
		for _, f := range found {
			errText := ""
			if f.Err != nil {
				errText = f.Err.Error()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Address, dash(f.Make), dash(f.Model), dash(f.Firmware),
				dash(f.Driver), f.Identify.Round(time.Millisecond), errText)
			if f.Err == nil {
				total++
			}
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(stderr, "I! asic-execd: %d miners identified\n", total)
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
