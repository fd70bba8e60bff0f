#!/usr/bin/env bash
# Runs every fuzz target for a short time (FUZZTIME, default 3s each; one target per go test
# invocation, as go test -fuzz requires), prints the executions per target and fails on the first
# crash. A crash leaves its input under <package>/testdata/fuzz/<target>/: commit it as a
# regression seed together with the fix (the plain `go test` run then replays it).
#
#   bash .ci/fuzz.sh              # every target, 3 s each
#   FUZZTIME=30s bash .ci/fuzz.sh # longer runs
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-3s}"
TARGETS=(
	"./channels/zalooa FuzzVerifyWebhook"
	"./channels/zalooa FuzzVerifyWebhookHeader"
	"./channels/zalooa FuzzParseWebhook"
	"./channels/tiktok FuzzVerifyWebhook"
	"./channels/tiktok FuzzVerifyWebhookHeader"
	"./channels/tiktok FuzzParseWebhook"
	"./channels/meta FuzzVerifyWebhook"
	"./channels/meta FuzzParseWebhook"
	"./omnichannel FuzzNormalizePhone"
	"./omnichannel FuzzExtractPhones"
	"./omnichannel FuzzRenderTemplate"
	"./omnichannel FuzzCursor"
	"./model FuzzFoldSearch"
	"./model FuzzFoldSearchDefinition"
	"./inboxapi FuzzListFilters"
)

# Every Fuzz function of the repository must be listed above (a new target is not forgotten).
found=$(grep -rho --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | wc -l)
if [ "$found" -ne "${#TARGETS[@]}" ]; then
	echo "fuzz.sh: ${#TARGETS[@]} targets listed but $found Fuzz functions in the tree:" >&2
	grep -rn --include='*_test.go' '^func Fuzz' . >&2
	exit 1
fi

start=$SECONDS
total=0
printf '%-20s %-26s %12s\n' package target executions
# fuzz_once runs $target of $pkg for $fuzztime, its output in $out.
fuzz_once() { go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$out" 2>&1; }

# executions prints the last execution count in $out (empty when fuzzing never started).
executions() { grep -o 'execs: [0-9]*' "$out" | tail -1 | grep -o '[0-9]*' || true; }

# A target whose seed corpus takes longer than FUZZTIME to replay on a slow or busy machine (the
# list filters over a real SQLite file) never reaches fuzzing: it gets one more run, five times longer.
longer="$FUZZTIME"
if [[ "$FUZZTIME" =~ ^([0-9]+)s$ ]]; then
	longer="$((BASH_REMATCH[1] * 5))s"
fi

# deadline_race tells whether a failed run in $out is Go 1.26's coordinator race at the end of
# -fuzztime (Go issue 75804, fixed in Go 1.27): a bare "context deadline exceeded", with no failing
# input written and no panic. A real finding always writes its input, so such a run is tried once
# more, and a second failure fails.
deadline_race() {
	grep -q 'context deadline exceeded' "$out" && ! grep -qE 'Failing input written|panic:' "$out"
}

# run_target runs $target for $1 (output in $out), once more after the deadline race; it fails as
# go test does.
run_target() {
	fuzztime="$1"
	fuzz_once && return 0
	deadline_race || return 1
	echo "fuzz.sh: $target in $pkg stopped on the -fuzztime deadline race (no input written); running it again" >&2
	fuzz_once
}

# fail_target prints the failed run and stops.
fail_target() {
	cat "$out"
	echo "fuzz.sh: $target in $pkg FAILED; the crashing input is under $pkg/testdata/fuzz/$target/" >&2
	rm -f "$out"
	exit 1
}

for entry in "${TARGETS[@]}"; do
	read -r pkg target <<<"$entry"
	out=$(mktemp)
	run_target "$FUZZTIME" || fail_target
	execs=$(executions)
	if [ "${execs:-0}" -eq 0 ]; then
		echo "fuzz.sh: $target in $pkg made no executions in $FUZZTIME; running it for $longer" >&2
		run_target "$longer" || fail_target
		execs=$(executions)
	fi
	rm -f "$out"
	if [ "${execs:-0}" -eq 0 ]; then
		echo "fuzz.sh: $target in $pkg reported no executions" >&2
		exit 1
	fi
	total=$((total + execs))
	printf '%-20s %-26s %12s\n' "${pkg#./}" "$target" "$execs"
done
printf 'fuzz: %d targets, %d executions in %ds (FUZZTIME=%s each), no crash\n' "${#TARGETS[@]}" "$total" "$((SECONDS - start))" "$FUZZTIME"
