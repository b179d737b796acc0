#!/bin/sh
# Build rowfs from scratch and run the whole test suite: cppcheck's unused
# function check, unit tests (check), shell tests against real FUSE mounts,
# then the same again in an AddressSanitizer + UndefinedBehaviorSanitizer
# build, then each libFuzzer target of tests/fuzz/ for FUZZ_SECONDS
# (default 60) in a clang build, then the Debian packages: built, installed,
# used and removed (scripts/package.sh).  Every build is configured with
# --enable-werror: a compiler warning fails it.
#   ./check.sh            everything (what CI runs)
#   ./check.sh --quick    cppcheck and the normal build only
#   ./check.sh --package  the Debian packages only
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
mode=full
case "${1:-}" in
--quick) mode=quick ;;
--package) mode=package ;;
esac

sh scripts/deps.sh
# Mount tests must run, never skip: a missing /dev/fuse is a failure; so
# is a missing tool a test needs (man-db for the man pages).
ROWFS_REQUIRE_FUSE=1
ROWFS_REQUIRE_TOOLS=1
export ROWFS_REQUIRE_FUSE ROWFS_REQUIRE_TOOLS

pass=0
fail=0
run_suite() {
	name=$1
	dir=$2
	shift 2
	echo "== $name: building in $dir"
	sh scripts/build.sh "$dir" "$@"
	echo "== $name: make check"
	if make -C "$dir" -j2 check >"$dir/check.out" 2>&1; then status=0; else status=1; fi
	grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|# )' "$dir/check.out" | grep -v '^# *$' || true
	p=$(awk '/^# PASS:/ {s+=$3} END {print s+0}' "$dir/check.out")
	f=$(awk '/^# (FAIL|ERROR|XPASS):/ {s+=$3} END {print s+0}' "$dir/check.out")
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$status" -ne 0 ] || [ "$f" -ne 0 ]; then
		fail=$((fail + (f == 0)))
		echo "== $name: FAILED; logs:"
		for log in $(grep -lE '^(FAIL|ERROR)' "$dir"/tests/*.log "$dir"/tests/unit/*.log 2>/dev/null); do
			echo "---- $log"
			tail -n 60 "$log"
		done
		tail -n 30 "$dir/check.out"
	fi
}

# --- stage: unused functions ---
# cppcheck over the program sources (engine/ fs/ src/, not the tests): a
# function nothing calls fails the run, and so does any other cppcheck
# finding.  -j1 (the default) is what the whole-program unusedFunction check
# needs.  The functions kept although only tests call them, each with its
# reason, are in scripts/cppcheck-suppressions.xml; a single one can also be
# kept with a `// cppcheck-suppress unusedFunction` line above it.
run_cppcheck() {
	echo "== cppcheck: unused functions"
	if cppcheck --enable=unusedFunction --error-exitcode=1 --quiet --inline-suppr \
		--suppress=missingInclude --suppress=missingIncludeSystem \
		--suppress-xml=scripts/cppcheck-suppressions.xml -I engine -I fs \
		--template='{file}:{line}: {severity}: {message} [{id}]' engine fs src; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "== cppcheck: FAILED"
	fi
}

# --- stage: fuzz ---
# run_fuzz DIR: configure DIR with clang, `make fuzz` (tests/fuzz/fuzz.mk):
# each target runs FUZZ_SECONDS; a crash or a failed check fails the run.
run_fuzz() {
	dir=$1
	echo "== fuzz: building in $dir"
	mkdir -p "$dir"
	if ! (cd "$dir" && { [ -f Makefile ] || "$top/configure" -q CC=clang; }) ||
		! make -C "$dir" -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >"$dir/fuzz.out" 2>&1; then
		fail=$((fail + 1))
		echo "== fuzz: FAILED"
		tail -n 80 "$dir/fuzz.out"
		return
	fi
	grep -E '^== |^Done [0-9]+ runs' "$dir/fuzz.out" || true
	pass=$((pass + 1))
}

# --- stage: Debian packages ---
# scripts/package.sh: dpkg-buildpackage -us -uc -b from a copy of the tree
# (the tests ran above: nocheck), apt-get install, a mount by the installed
# rowfs, rowsh, fsck.rowfs, a program built against the installed librowfs
# with pkg-config, apt-get purge.
run_package() {
	echo "== package: build, install, use, remove"
	out=$top/build-deb.log
	if sh scripts/package.sh "$top/build-deb" >"$out" 2>&1; then status=0; else status=1; fi
	grep -E '^(ok|not ok|# )' "$out" || true
	p=$(grep -c '^ok' "$out" || true)
	f=$(grep -c '^not ok' "$out" || true)
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$status" -ne 0 ]; then
		fail=$((fail + (f == 0)))
		tail -n 40 "$out"
		echo "== package: FAILED"
	fi
}

if [ "$mode" = package ]; then
	run_package
else
	run_cppcheck
	run_suite "normal build" "$top/build" --enable-werror
fi
if [ "$mode" = full ]; then
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	export ASAN_OPTIONS UBSAN_OPTIONS
	run_suite "sanitizer build" "$top/build-asan" --enable-werror --enable-sanitizers CC=clang
	run_fuzz "$top/build-fuzz"
	run_package
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
