#!/bin/sh
# long-run.sh [SECONDS] - the long fuzz run of issue 8: builds build-fuzz
# (clang, libFuzzer + ASan + UBSan) when it is missing and fuzzes every
# target that run-fuzz.sh knows (the line parser, SCRAM, the command
# dispatcher and the TLS transport) for SECONDS each, 900 (15 minutes) by
# default. The corpus grows in build-fuzz/fuzz-corpus/ and is reused by the
# next run; a crash leaves its input in build-fuzz/fuzz-artifacts/.
#   tests/fuzz/long-run.sh            # 15 minutes per target
#   tests/fuzz/long-run.sh 60         # a short check
set -eu
seconds=${1:-900}
cd "$(dirname "$0")/../.."
build=${FUZZ_BUILD:-build-fuzz}
if [ ! -d "$build" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Dclient=disabled >/dev/null
fi
ninja -C "$build" >/dev/null
start=$(date +%s)
status=0
tests/fuzz/run-fuzz.sh "$build" "$seconds" || status=$?
echo "long fuzz run: $(( $(date +%s) - start )) s in all, status $status"
for log in "$build"/fuzz-fuzz_*.log; do
	[ -f "$log" ] || continue
	# libFuzzer's final stats: executions and the corpus it reached.
	printf '%s: %s, %s\n' "$(basename "$log" .log)" \
		"$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1)" \
		"$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1)"
done
exit $status
