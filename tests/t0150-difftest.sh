#!/bin/sh
# t0150-difftest.sh - the SQL subset of rowsh against sqlite3: thousands
# of random statements on random tables (tests/difftest.py), every reply
# compared with what sqlite3's answer predicts, every table compared at
# the end, after reopening; fsck.rowfs after every session.  Fixed seeds
# and a moderate size here; longer runs: tests/difftest.py --seed N
# --statements M (see its --help).
# The first two tests check the checker itself (a planted bug is found and
# reduced; the generator and its oracle agree) and need no engine.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-600}

command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
python3 -c 'import sqlite3' 2>/dev/null || skip_all "python3 has no sqlite3 module"
dt=$top_srcdir/tests/difftest.py

# difftest NAME ARGS...: ok if difftest.py exits 0; else its output as the detail.
difftest() {
	tap_name=$1
	shift
	t python3 "$dt" --workdir "$work/dt" --reduce-seconds 60 "$@" >"$work/dt.out" 2>&1
	st=$?
	if [ $st -eq 0 ]; then
		ok "$tap_name"
	else
		not_ok "$tap_name" "exit status $st" "$(head -c 20000 "$work/dt.out")"
	fi
}

# 1: a planted bug (delete ... where KEY < N deleting KEY = N too) is found
# and reduced to a few statements.
t python3 "$dt" --fake-bug delete-lt --seed 1 --statements 3000 --workdir "$work/self" \
	>"$work/self.out" 2>&1
st=$?
steps=$(sed -n 's/^  reduced to \([0-9]*\) statements.*/\1/p' "$work/self.out" | head -n 1)
if [ $st -eq 1 ] && [ -n "$steps" ] && [ "$steps" -le 6 ]; then
	ok "a planted bug is found and reduced to $steps statements"
else
	not_ok "a planted bug is found and reduced" "status $st" "$(tail -n 20 "$work/self.out")"
fi

# 2: the generator never emits a statement its oracle cannot predict.
difftest "generator and oracle agree (dry run, 20000 statements)" --dry-run --seed 7 \
	--statements 20000

# 3-6: fixed seeds against the built rowsh (the engine has tables: no
# probe, no skip); fsck.rowfs checks the file after every session.
fsck_opt="--fsck=$FSCK"
# real NAME ARGS...: difftest against rowsh (and fsck.rowfs when built).
real() {
	real_name=$1
	shift
	difftest "$real_name" --rowsh "$ROWSH" ${fsck_opt:+"$fsck_opt"} "$@"
}
real "seed 1: 4000 statements in 4 rowsh sessions" --seed 1 --statements 4000 --sessions 4
real "seed 2: 3000 statements, one session, sync=full" --seed 2 --statements 3000 \
	--sessions 1 --sync full
real "seed 3: 3000 statements in 10 sessions" --seed 3 --statements 3000 --sessions 10
real "seed 4: 3000 statements with an 8-page cache" --seed 4 --statements 3000 --sessions 3 \
	--cache-pages 8

done_testing
