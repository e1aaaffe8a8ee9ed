package main

import (
	"fmt"
	"os"
	"strings"
)

// expandEnv replaces environment references in a config file's text the
// way Telegraf does: $VAR, ${VAR}, ${VAR:-default} and ${VAR-default} (a
// default when unset or empty / unset), ${VAR:+alt} and ${VAR+alt},
// ${VAR:?message} and ${VAR?message} (an error when unset or empty /
// unset), and $$ for a literal $. A reference to an unset variable is left
// as written, as are malformed ones (${1}); comments are not expanded.
//
// Unlike a plain text substitution, a value is written so that TOML reads
// it back unchanged wherever the reference stands: escaped inside basic
// strings ("..." and its triple-quoted form); as is inside literal strings
// (single quotes, one or three), which have no escapes, so a value holding
// a quote or a line break is refused there; outside strings only a plain
// word or number is accepted. Errors name the variable, never its value
// (it may be a secret). A default written in the file is already in the
// file's syntax and goes in as is.
func expandEnv(text string) (string, error) {
	var out strings.Builder
	out.Grow(len(text))
	ctx := ctxBare
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '$':
			n, err := expandRef(&out, text[i:], ctx)
			if err != nil {
				return "", err
			}
			i += n
			continue
		case ctx == ctxBare && c == '#':
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				j = len(text) - i
			}
			out.WriteString(text[i : i+j])
			i += j
			continue
		case ctx == ctxBare && strings.HasPrefix(text[i:], `"""`):
			ctx = ctxMultiBasic
			out.WriteString(`"""`)
			i += 3
			continue
		case ctx == ctxBare && strings.HasPrefix(text[i:], `'''`):
			ctx = ctxMultiLiteral
			out.WriteString(`'''`)
			i += 3
			continue
		case ctx == ctxBare && c == '"':
			ctx = ctxBasic
		case ctx == ctxBare && c == '\'':
			ctx = ctxLiteral
		case (ctx == ctxBasic || ctx == ctxMultiBasic) && c == '\\' && i+1 < len(text):
			out.WriteString(text[i : i+2]) // an escape: the next byte ends nothing
			i += 2
			continue
		case ctx == ctxMultiBasic && strings.HasPrefix(text[i:], `"""`),
			ctx == ctxMultiLiteral && strings.HasPrefix(text[i:], `'''`):
			ctx = ctxBare
			out.WriteString(text[i : i+3])
			i += 3
			continue
		case ctx == ctxBasic && (c == '"' || c == '\n'),
			ctx == ctxLiteral && (c == '\'' || c == '\n'):
			ctx = ctxBare
		}
		out.WriteByte(c)
		i++
	}
	return out.String(), nil
}

// Where a reference stands in the TOML text.
type tomlContext int

const (
	ctxBare         tomlContext = iota // outside any string
	ctxBasic                           // "..."
	ctxMultiBasic                      // """..."""
	ctxLiteral                         // '...'
	ctxMultiLiteral                    // '''...'''
)

func (c tomlContext) String() string {
	return [...]string{"outside a string", `in a "..." string`, `in a """...""" string`,
		"in a '...' string", "in a '''...''' string"}[c]
}

// expandRef writes the expansion of the reference at the start of s (which
// begins with '$') and returns how many bytes of s it used.
func expandRef(out *strings.Builder, s string, ctx tomlContext) (int, error) {
	if strings.HasPrefix(s, "$$") {
		out.WriteByte('$')
		return 2, nil
	}
	var name, op, arg string
	var used int
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			out.WriteByte('$')
			return 1, nil
		}
		body := s[2:end]
		n := nameLen(body)
		name, used = body[:n], end+1
		rest := body[n:]
		for _, o := range []string{":-", ":+", ":?", "-", "+", "?"} {
			if strings.HasPrefix(rest, o) {
				op, arg = o, rest[len(o):]
				break
			}
		}
		if n == 0 || (rest != "" && op == "") {
			out.WriteString(s[:used]) // not a reference: ${1}, ${a b}
			return used, nil
		}
	} else {
		n := nameLen(s[1:])
		if n == 0 {
			out.WriteByte('$')
			return 1, nil
		}
		name, used = s[1:1+n], 1+n
	}

	v, set := os.LookupEnv(name)
	nonEmpty := set && v != ""
	switch op {
	case "":
		if !set {
			out.WriteString(s[:used]) // left as written, as Telegraf does
			return used, nil
		}
	case ":-", "-":
		if (op == ":-" && !nonEmpty) || (op == "-" && !set) {
			out.WriteString(arg)
			return used, nil
		}
	case ":+", "+":
		if (op == ":+" && nonEmpty) || (op == "+" && set) {
			out.WriteString(arg)
		}
		return used, nil
	case ":?", "?":
		if (op == ":?" && !nonEmpty) || (op == "?" && !set) {
			if arg == "" {
				arg = "not set"
			}
			return 0, fmt.Errorf("environment variable %s is required: %s", name, arg)
		}
	}
	enc, err := encode(v, ctx)
	if err != nil {
		return 0, fmt.Errorf("environment variable %s is referenced %s, %w", name, ctx, err)
	}
	out.WriteString(enc)
	return used, nil
}

func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}

// encode writes v so that TOML reads v back in ctx.
func encode(v string, ctx tomlContext) (string, error) {
	switch ctx {
	case ctxBasic, ctxMultiBasic:
		var b strings.Builder
		for _, r := range v {
			switch {
			case r == '\\' || r == '"':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20 || r == 0x7f:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
		return b.String(), nil
	case ctxLiteral, ctxMultiLiteral:
		for _, r := range v {
			if r == '\'' || (r < 0x20 && r != '\t') || r == 0x7f {
				return "", fmt.Errorf(`whose value holds a quote or a control character (a line break?), ` +
					`which a literal string cannot hold: use a "..." string there`)
			}
		}
		return v, nil
	}
	if v == "" {
		return "", fmt.Errorf("whose value is empty: put the reference in quotes")
	}
	for _, r := range v {
		if !(r == '_' || r == '-' || r == '+' || r == '.' || r == ':' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return "", fmt.Errorf("whose value is not a plain number or word: put the reference in quotes")
		}
	}
	return v, nil
}
