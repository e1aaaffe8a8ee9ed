package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/asicmetrics/telegraf-asic/plugins/inputs/asic"
)

// block is one [[inputs.asic]] table: the plugin and its own tags.
type block struct {
	plugin *asic.Asic
	tags   map[string]string
}

// loadConfig reads every [[inputs.asic]] block of a file, as Telegraf
// would, and unlike Telegraf's shim (first block only, tags ignored, unknown
// keys ignored). Environment references are expanded as expandEnv says.
func loadConfig(path string) ([]block, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text, err := expandEnv(string(raw))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseConfig(text)
}

func parseConfig(text string) ([]block, error) {
	var file struct {
		Inputs map[string][]toml.Primitive `toml:"inputs"`
	}
	md, err := toml.Decode(text, &file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for name := range file.Inputs {
		if name != "asic" {
			return nil, fmt.Errorf("config: [[inputs.%s]]: asic-execd runs only [[inputs.asic]] blocks", name)
		}
	}
	prims := file.Inputs["asic"]
	if len(prims) == 0 {
		return nil, fmt.Errorf("config: no [[inputs.asic]] block")
	}
	blocks := make([]block, 0, len(prims))
	for i, p := range prims {
		plugin := asic.New()
		if err := md.PrimitiveDecode(p, plugin); err != nil {
			return nil, fmt.Errorf("config: [[inputs.asic]] #%d: %w", i+1, err)
		}
		var extra struct {
			Tags map[string]string `toml:"tags"`
		}
		if err := md.PrimitiveDecode(p, &extra); err != nil {
			return nil, fmt.Errorf("config: [[inputs.asic]] #%d: tags: %w", i+1, err)
		}
		blocks = append(blocks, block{plugin: plugin, tags: extra.Tags})
	}
	if unknown := md.Undecoded(); len(unknown) > 0 {
		keys := make([]string, 0, len(unknown))
		for _, k := range unknown {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("config: unknown key(s) %s", strings.Join(quoteAll(keys), ", "))
	}
	return blocks, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
