#!/bin/sh
# run-fuzz.sh BUILD_DIR SECONDS - fuzz every libFuzzer target in BUILD_DIR
# (configured with CC=clang meson setup BUILD_DIR -Dfuzz=true) for SECONDS
# seconds each, starting from the seed corpus in tests/fuzz/corpus/.
# Exits non-zero when a target crashes, leaks or hits a sanitizer error;
# the failing input is left in BUILD_DIR/fuzz-artifacts/.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS" >&2
	exit 2
fi
build=$1
seconds=$2
case $seconds in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a whole number, not '$seconds'" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)

targets="fuzz_irc_message fuzz_scram fuzz_dispatch fuzz_tls"
status=0
for target in $targets; do
	exe=$build/tests/fuzz/$target
	if [ ! -x "$exe" ]; then
		echo "$0: $exe not found; build it with:" >&2
		echo "  CC=clang meson setup $build -Dfuzz=true && ninja -C $build" >&2
		exit 2
	fi
	seeds=$here/corpus/${target#fuzz_}
	# New inputs go to the build dir, never into the source tree.
	corpus=$build/fuzz-corpus/$target
	artifacts=$build/fuzz-artifacts/$target
	mkdir -p "$corpus" "$artifacts"
	dict=
	[ -f "$here/$target.dict" ] && dict=-dict=$here/$target.dict

	echo "== $target: fuzzing for $seconds s"
	if ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
	   UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	   "$exe" "$corpus" "$seeds" $dict \
		-max_total_time="$seconds" \
		-max_len=9727 \
		-timeout=10 \
		-rss_limit_mb=2048 \
		-print_final_stats=1 \
		-artifact_prefix="$artifacts/" \
		>"$build/fuzz-$target.log" 2>&1; then
		tail -n 12 "$build/fuzz-$target.log"
		echo "== $target: no crash in $seconds s"
	else
		rc=$?
		tail -n 60 "$build/fuzz-$target.log" >&2
		echo "== $target: FAILED (exit $rc); log $build/fuzz-$target.log, input in $artifacts/" >&2
		echo "   reproduce: $exe $artifacts/<crash-file>" >&2
		status=1
	fi
done
exit $status
