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
	"./omnichannel FuzzNormalizePhone"
	"./omnichannel FuzzExtractPhones"
	"./omnichannel FuzzRenderTemplate"
	"./omnichannel FuzzCursor"
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
# fuzz_once runs $target of $pkg, its output in $out.
fuzz_once() { go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >"$out" 2>&1; }

# deadline_race tells whether a failed run in $out is Go 1.26's coordinator race at the end of
# -fuzztime (Go issue 75804, fixed in Go 1.27): a bare "context deadline exceeded", with no failing
# input written and no panic. A real finding always writes its input, so such a run is tried once
# more, and a second failure fails.
deadline_race() {
	grep -q 'context deadline exceeded' "$out" && ! grep -qE 'Failing input written|panic:' "$out"
}

for entry in "${TARGETS[@]}"; do
	read -r pkg target <<<"$entry"
	out=$(mktemp)
	status=0
	fuzz_once || status=$?
	if [ "$status" != 0 ] && deadline_race; then
		echo "fuzz.sh: $target in $pkg stopped on the -fuzztime deadline race (no input written); running it again" >&2
		status=0
		fuzz_once || status=$?
	fi
	if [ "$status" != 0 ]; then
		cat "$out"
		echo "fuzz.sh: $target in $pkg FAILED; the crashing input is under $pkg/testdata/fuzz/$target/" >&2
		rm -f "$out"
		exit 1
	fi
	execs=$(grep -o 'execs: [0-9]*' "$out" | tail -1 | grep -o '[0-9]*' || true)
	rm -f "$out"
	if [ -z "$execs" ] || [ "$execs" -eq 0 ]; then
		echo "fuzz.sh: $target in $pkg reported no executions" >&2
		exit 1
	fi
	total=$((total + execs))
	printf '%-20s %-26s %12s\n' "${pkg#./}" "$target" "$execs"
done
printf 'fuzz: %d targets, %d executions in %ds (FUZZTIME=%s each), no crash\n' "${#TARGETS[@]}" "$total" "$((SECONDS - start))" "$FUZZTIME"
