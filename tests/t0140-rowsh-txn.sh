#!/bin/sh
# t0140-rowsh-txn.sh - begin, commit and rollback in rowsh (stdin not a
# terminal): replies and texts as on ctl; a transaction spanning many
# input chunks; end of input and `.exit` roll back an open transaction
# while autocommitted statements stay; a failing statement inside a
# transaction fails only itself, and makes the exit status 1; kill -9 of
# rowsh inside a transaction leaves nothing of it.  TAP.

# shellcheck disable=SC2016 # awk programs are single-quoted on purpose
# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

[ -x "$ROWSH" ] || skip_all "rowsh not built"
db=$work/t.db
big=${ROWFS_T0140_ROWS:-50000}

# run NAME EXPECTED-STATUS INPUT: rowsh $db with INPUT (printf format
# escapes) on stdin; its stdout in $work/out; ok if the status matches.
run() {
	# shellcheck disable=SC2059 # the escapes of INPUT are meant to expand
	printf "$3" | rsh "$db" >"$work/out" 2>"$work/err"
	st=$?
	if [ "$st" = "$2" ] && errors_near "$work/out" "$work/err"; then
		ok "$1: exit status $2"
	else
		not_ok "$1: exit status $2" "status $st" "$(cat "$work/err")"
	fi
}

# has NAME EXPECTED: select through rowsh prints EXPECTED (printf escapes).
has() {
	# shellcheck disable=SC2059
	printf "$2" >"$work/exp"
	printf 'select\n' | rsh "$db" >"$work/sel" 2>&1
	check "$1" "$work/exp" "$work/sel"
}

run "begin, inserts, commit" 0 'begin\ninsert 1 a\ninsert 2 b\ncommit\nselect\n'
printf 'Executed.\nExecuted.\nExecuted.\nExecuted.\n(1, a)\n(2, b)\n' >"$work/exp"
check "begin, inserts, commit: replies, and select sees them" "$work/exp" "$work/out"

run "rollback" 0 'begin\ninsert 3 c\ndelete 1\nupdate 2 B\nselect\nrollback\nselect\n'
printf 'Executed.\nExecuted.\nExecuted.\nExecuted.\n(2, B)\n(3, c)\nExecuted.\n(1, a)\n(2, b)\n' >"$work/exp"
check "rollback: the transaction sees its own changes, then they are gone" "$work/exp" "$work/out"
has "after rollback: the committed rows only" '(1, a)\n(2, b)\n'

run "end of input inside a transaction" 0 'insert 10 auto\nbegin\ninsert 11 x\nupdate 1 A\n'
has "end of input: the open transaction rolled back, the autocommitted row stays" \
	'(1, a)\n(2, b)\n(10, auto)\n'
run "end of input inside a transaction, last line without newline" 0 'begin\ninsert 12 x'
has "and a last line without newline goes with it" '(1, a)\n(2, b)\n(10, auto)\n'

run ".exit inside a transaction" 0 'insert 20 auto\nbegin\ninsert 21 x\n.exit\ninsert 22 y\n'
printf 'Executed.\nExecuted.\nExecuted.\n' >"$work/exp"
check ".exit: replies up to it" "$work/exp" "$work/out"
has ".exit: the open transaction rolled back, the autocommitted row stays, nothing after" \
	'(1, a)\n(2, b)\n(10, auto)\n(20, auto)\n'

run "a duplicate inside a transaction" 1 'begin\ninsert 30 z\ninsert 10 dup\ninsert 31 w\ncommit\n'
printf 'Executed.\nExecuted.\nError: duplicate key 10.\nExecuted.\nExecuted.\n' >"$work/exp"
check "a duplicate fails only itself" "$work/exp" "$work/out"
has "and the rest of the transaction committed" \
	'(1, a)\n(2, b)\n(10, auto)\n(20, auto)\n(30, z)\n(31, w)\n'

run "transaction control errors" 1 'commit\nrollback\nbegin\nbegin\ncommit\nend\n'
printf '%s\n' "Error: cannot commit - no transaction is active" \
	"Error: cannot rollback - no transaction is active" Executed. \
	"Error: cannot start a transaction within a transaction" Executed. \
	"Error: cannot commit - no transaction is active" >"$work/exp"
check "commit/rollback without, begin within a transaction: the texts" "$work/exp" "$work/out"

# --- a transaction over many input chunks --------------------------------------
awk -v n="$big" 'BEGIN { print "begin"; for (i = 1; i <= n; i++) printf "insert %d big%d\n", 1000 + i, i; print "rollback" }' >"$work/in"
rsh "$db" <"$work/in" >"$work/out" 2>&1
expect "$big inserts then rollback: one reply per line" "$((big + 2))" "$(grep -c -x 'Executed\.' "$work/out")"
has "and nothing of them remains" '(1, a)\n(2, b)\n(10, auto)\n(20, auto)\n(30, z)\n(31, w)\n'
sed '$d' "$work/in" >"$work/in2"
rsh "$db" <"$work/in2" >/dev/null 2>&1
has "$big inserts then end of input: nothing remains" '(1, a)\n(2, b)\n(10, auto)\n(20, auto)\n(30, z)\n(31, w)\n'
{ cat "$work/in2"; echo commit; } | rsh "$db" >/dev/null 2>&1
expect "$big inserts then commit: all there" "$((big + 6))" "$(printf 'select\n' | rsh "$db" | wc -l | tr -d ' ')"

# --- kill -9 inside a transaction -----------------------------------------------
awk -v n="$big" 'BEGIN { print "begin"; for (i = 1; i <= n; i++) printf "insert %d k%d\n", 2000000 + i, i }' >"$work/in3"
: >"$work/fifo.out"
mkfifo "$work/fifo" || exit 1
# the feeder keeps the pipe open (exec: its PID is the sleep's)
(cat "$work/in3" && exec sleep "$T") >"$work/fifo" 2>/dev/null &
feeder=$!
"$ROWSH" "$db" <"$work/fifo" >"$work/fifo.out" 2>&1 &
victim=$!
i=0
while [ "$(grep -c -x 'Executed\.' "$work/fifo.out")" -lt $((big + 1)) ] && [ $i -lt $((T * 10)) ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
kill "$feeder" 2>/dev/null
wait "$feeder" 2>/dev/null
expect "rowsh replied to all $big inserts before kill -9" "$((big + 1))" \
	"$(grep -c -x 'Executed\.' "$work/fifo.out")"
expect "after kill -9 of rowsh inside the transaction: nothing of it" "$((big + 6))" \
	"$(printf 'select\n' | rsh "$db" | wc -l | tr -d ' ')"
if [ -x "$FSCK" ]; then
	t "$FSCK" "$db" >"$work/out" 2>&1
	expect "fsck.rowfs exits 0" 0 $?
else
	skip "fsck.rowfs not built"
fi

done_testing
