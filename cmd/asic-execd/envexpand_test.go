package main

import (
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"
)

func mustExpand(t *testing.T, s string) string {
	t.Helper()
	out, err := expandEnv(s)
	require.NoError(t, err)
	return out
}

// decodeV expands doc and reads its key v back as TOML does.
func decodeV(t *testing.T, doc string) any {
	t.Helper()
	var m map[string]any
	_, err := toml.Decode(mustExpand(t, doc), &m)
	require.NoError(t, err)
	return m["v"]
}

// A value comes back unchanged whatever the string it is used in: quotes,
// backslashes (a Windows path, a password), tabs and line breaks.
func TestEnvExpansionRoundTrips(t *testing.T) {
	const tricky = "pa\"ss\\wo'rd\tC:\\new\nline $HOME é"
	t.Setenv("ASIC_T_TRICKY", tricky)
	t.Setenv("ASIC_T_PATH", `C:\miners\new`)
	t.Setenv("ASIC_T_N", "128")
	require.Equal(t, tricky, decodeV(t, `v = "${ASIC_T_TRICKY}"`))
	require.Equal(t, tricky, decodeV(t, `v = "$ASIC_T_TRICKY"`))
	require.Equal(t, tricky, decodeV(t, `v = """${ASIC_T_TRICKY}"""`))
	require.Equal(t, `C:\miners\new`, decodeV(t, `v = '${ASIC_T_PATH}'`), "no escapes in a literal string: backslashes are not doubled")
	require.Equal(t, `C:\miners\new`, decodeV(t, `v = '''${ASIC_T_PATH}'''`))
	require.Equal(t, `x C:\miners\new y`, decodeV(t, `v = "x ${ASIC_T_PATH} y"`))
	require.Equal(t, int64(128), decodeV(t, `v = ${ASIC_T_N}`), "a number outside quotes, as Telegraf allows")
	require.Equal(t, []any{tricky, `C:\miners\new`}, decodeV(t, `v = ["${ASIC_T_TRICKY}", '$ASIC_T_PATH']`))
}

// Telegraf's forms: defaults, alternatives, required variables, $$, and
// references left as written.
func TestEnvExpansionForms(t *testing.T) {
	t.Setenv("ASIC_T_SET", "on")
	t.Setenv("ASIC_T_EMPTY", "")
	for doc, want := range map[string]string{
		`v = "${ASIC_T_UNSET}"`:               "${ASIC_T_UNSET}",
		`v = "$ASIC_T_UNSET"`:                 "$ASIC_T_UNSET",
		`v = "${ASIC_T_UNSET:-dflt}"`:         "dflt",
		`v = "${ASIC_T_EMPTY:-dflt}"`:         "dflt",
		`v = "${ASIC_T_EMPTY-dflt}"`:          "",
		`v = "${ASIC_T_SET:-dflt}"`:           "on",
		`v = "${ASIC_T_UNSET:-a\"b}"`:         `a"b`, // a default is already in the file's syntax
		`v = "${ASIC_T_SET:+alt}"`:            "alt",
		`v = "${ASIC_T_EMPTY:+alt}"`:          "",
		`v = "${ASIC_T_EMPTY+alt}"`:           "alt",
		`v = "${ASIC_T_SET?needed}"`:          "on",
		`v = "cost $$5 ${1} $ x"`:             "cost $5 ${1} $ x",
		"v = \"$ASIC_T_SET\" # $ASIC_T_SET '": "on",
	} {
		require.Equal(t, want, decodeV(t, doc), doc)
	}
	_, err := expandEnv(`v = "${ASIC_T_UNSET:?set the miners' password}"`)
	require.EqualError(t, err, "environment variable ASIC_T_UNSET is required: set the miners' password")
	_, err = expandEnv(`v = "${ASIC_T_EMPTY:?}"`)
	require.EqualError(t, err, "environment variable ASIC_T_EMPTY is required: not set")
}

// What cannot be written safely is refused, naming the variable and never
// its value.
func TestEnvExpansionRefusesUnsafe(t *testing.T) {
	t.Setenv("ASIC_T_SECRET", "S3cr3t'\nmore")
	t.Setenv("ASIC_T_WORDS", "1; [inputs.other]")
	for doc, want := range map[string]string{
		`v = '${ASIC_T_SECRET}'`:   `environment variable ASIC_T_SECRET is referenced in a '...' string`,
		`v = '''$ASIC_T_SECRET'''`: `environment variable ASIC_T_SECRET is referenced in a '''...''' string`,
		`v = ${ASIC_T_WORDS}`:      `environment variable ASIC_T_WORDS is referenced outside a string, whose value is not a plain number or word`,
	} {
		_, err := expandEnv(doc)
		require.Error(t, err, doc)
		require.Contains(t, err.Error(), want)
		require.NotContains(t, err.Error(), "S3cr3t")
		require.NotContains(t, err.Error(), "inputs.other")
	}
}

func FuzzExpandEnv(f *testing.F) {
	for _, s := range []string{`v = "${A:-x}"`, `v = '$A'`, "v = \"\"\"\n$A\"\"\"", `# $A`, `v = ${A`, `$$`, `"\`} {
		f.Add(s)
	}
	f.Setenv("A", "a\"'\\\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = expandEnv(s)
	})
}
