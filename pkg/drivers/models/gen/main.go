// Command gen turns models.csv into models_gen.go: one sorted Go table of
// model specs. Run it from the models package directory (go generate does):
//
//	go run ./gen [-in models.csv] [-out models_gen.go]
//
// The CSV comes from pyasic's model definitions and has a few defects (empty
// display names, one name used twice, one name in two spellings); the fixes
// table repairs them by class name, and the generator refuses a table with a
// model it cannot name or a name it cannot tell apart from another.
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
)

// makes maps the CSV's make_base to our make tag.
var makes = map[string]string{
	"AntMinerMake":    "Antminer",
	"AuradineMake":    "Auradine",
	"AvalonMinerMake": "AvalonMiner",
	"BitAxeMake":      "Bitaxe",
	"BraiinsMake":     "Braiins",
	"ElphapexMake":    "Elphapex",
	"ePICMake":        "ePIC",
	"GoldshellMake":   "Goldshell",
	"HammerMake":      "Hammer",
	"IceRiverMake":    "IceRiver",
	"InnosiliconMake": "Innosilicon",
	"LuckyMinerMake":  "LuckyMiner",
	"VolcMinerMake":   "VolcMiner",
	"WhatsMinerMake":  "Whatsminer",
}

// vendorWords are dropped from the front of a display name: the make is its
// own tag ("Avalon 1566" is model "1566" of make AvalonMiner).
var vendorWords = map[string]string{
	"AvalonMiner": "Avalon ",
}

// fixes repairs CSV rows by make_base/class. "" drops the row.
var fixes = map[string]string{
	"AntMinerMake/S19jPro": "S19j Pro", // raw_model empty in the CSV
	"AntMinerMake/S19kPro": "S19k Pro", // raw_model empty in the CSV
	"AntMinerMake/S19KPro": "",         // "S19K Pro": the same model as S19kPro, other spelling
	"AntMinerMake/KS5Pro":  "KS5 Pro",  // raw_model "KS5", the name of the plain KS5
	"AntMinerMake/E9Pro":   "E9 Pro",   // "E9Pro": Bitmain writes "E9 Pro"
}

// algorithms maps the CSV algo to our lower-case tag; GenericAlgo (a
// multi-coin box) is unknown.
var algorithms = map[string]string{
	"SHA256": "sha256", "SCRYPT": "scrypt", "X11": "x11", "EQUIHASH": "equihash",
	"EAGLESONG": "eaglesong", "HANDSHAKE": "handshake", "KADENA": "blake2s", // Kadena hashes Blake2s
	"KHEAVYHASH": "kheavyhash", "BLAKE256": "blake256", "ETHASH": "ethash",
	"BLOCKFLOW": "blake3", "GenericAlgo": "", // BlockFlow is Alephium's PoW, Blake3: the schema's tag
}

type spec struct {
	make, model, algo string
	boards, chips     int
	fans              int
	fansKnown         bool
}

func main() {
	in := flag.String("in", "models.csv", "model CSV")
	out := flag.String("out", "models_gen.go", "Go file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		log.Fatal(err)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := generate(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, src, 0o644)
}

func generate(r io.Reader) ([]byte, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("no rows")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	for _, h := range []string{"make_base", "class", "raw_model", "algo", "expected_hashboards", "expected_chips", "expected_fans"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("no column %q", h)
		}
	}
	var specs []spec
	seen := map[string]string{} // make + key -> class, to refuse look-alike names
	for n, row := range rows[1:] {
		line := n + 2
		get := func(h string) string {
			if i := col[h]; i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		base, class := get("make_base"), get("class")
		mk, ok := makes[base]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown make %q", line, base)
		}
		name := get("raw_model")
		if fix, ok := fixes[base+"/"+class]; ok {
			if fix == "" {
				continue
			}
			name = fix
		}
		if w := vendorWords[mk]; w != "" {
			name = strings.TrimSpace(strings.TrimPrefix(name, w))
		}
		if name == "" {
			return nil, fmt.Errorf("line %d: %s has no model name", line, class)
		}
		algo, ok := algorithms[get("algo")]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown algorithm %q", line, get("algo"))
		}
		s := spec{make: mk, model: name, algo: algo}
		if s.boards, _, err = count(get("expected_hashboards")); err != nil {
			return nil, fmt.Errorf("line %d: expected_hashboards: %w", line, err)
		}
		if s.chips, _, err = count(get("expected_chips")); err != nil {
			return nil, fmt.Errorf("line %d: expected_chips: %w", line, err)
		}
		if s.fans, s.fansKnown, err = count(get("expected_fans")); err != nil {
			return nil, fmt.Errorf("line %d: expected_fans: %w", line, err)
		}
		if s.boards == 0 {
			// A placeholder row (Goldshell Byte: modular, "0,0,0"): no
			// count in it is a fact about the miner.
			s.chips, s.fans, s.fansKnown = 0, 0, false
		}
		k := mk + "/" + looseKey(name)
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("line %d: %s %q cannot be told apart from %s", line, class, name, prev)
		}
		seen[k] = class
		specs = append(specs, s)
	}
	sort.Slice(specs, func(i, j int) bool {
		if specs[i].make != specs[j].make {
			return specs[i].make < specs[j].make
		}
		return specs[i].model < specs[j].model
	})

	var b bytes.Buffer
	b.WriteString("// Code generated by \"go run ./gen\" from models.csv; DO NOT EDIT.\n\n")
	b.WriteString("package models\n\n")
	b.WriteString("// table is every model of models.csv, sorted by make and model.\n")
	b.WriteString("var table = []Spec{\n")
	for _, s := range specs {
		fmt.Fprintf(&b, "{Make: %q, Model: %q, Algorithm: %q, Boards: %d, ChipsPerBoard: %d, Fans: %d, FansKnown: %t},\n",
			s.make, s.model, s.algo, s.boards, s.chips, s.fans, s.fansKnown)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

// count reads a non-negative cell; "" is unknown (ok false, value 0).
func count(s string) (int, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, false, fmt.Errorf("bad count %q", s)
	}
	return v, true, nil
}

// looseKey is how two names could be confused: case and spacing ignored.
// The models package matches with a key at least this loose.
func looseKey(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "_", "", ".", "").Replace(strings.ToUpper(s))
}
