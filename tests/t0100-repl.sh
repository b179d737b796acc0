#!/bin/sh
# t0100-repl.sh - rowsh: replies, persistence, tree shape, meta-commands,
# options, locking and the prompt on a terminal.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

holder=""
# kill_holder: the exit hook; ends the rowsh of test 17 if it still runs.
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
kill_holder() {
	exec 3>&- 2>/dev/null
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
	fi
}
at_exit kill_holder

[ -x "$ROWSH" ] || skip_all "rowsh not built"

db=$work/t.db

# 1-2: the tutorial session, exact output, no prompt.
printf 'insert 1 alice\ninsert 2 bob\nselect\n.exit\n' | rsh "$db" >"$work/out" 2>"$work/err"
st=$?
printf 'Executed.\nExecuted.\n(1, alice)\n(2, bob)\n' >"$work/exp"
check "insert, select, .exit: exact replies, no prompt" "$work/exp" "$work/out"
if [ $st -eq 0 ] && [ ! -s "$work/err" ]; then
	ok "exit status 0, nothing on stderr"
else
	not_ok "exit status 0, nothing on stderr" "status $st" "$(cat "$work/err")"
fi

# 3: the rows persist.
printf 'select\n' | rsh "$db" >"$work/out" 2>&1
printf '(1, alice)\n(2, bob)\n' >"$work/exp"
check "reopen: rows persist" "$work/exp" "$work/out"

# 4: empty table.
printf 'select\n' | rsh "$work/empty.db" >"$work/out" 2>&1
printf '(empty table)\n' >"$work/exp"
check "select on an empty database: (empty table)" "$work/exp" "$work/out"

# 5: end of input without .exit commits; a last line without newline runs.
printf 'insert 3 carol\ninsert 4 dave' | rsh "$db" >"$work/out" 2>&1
printf 'select\n' | rsh "$db" >>"$work/out" 2>&1
printf 'Executed.\nExecuted.\n(1, alice)\n(2, bob)\n(3, carol)\n(4, dave)\n' >"$work/exp"
check "end of input commits; a final line without newline runs" "$work/exp" "$work/out"

# 6: .exit stops reading.
printf 'insert 5 eve\n.exit\ninsert 6 frank\n' | rsh "$db" >"$work/out" 2>&1
printf 'select\n' | rsh "$db" | tail -n 2 >>"$work/out"
printf 'Executed.\n(4, dave)\n(5, eve)\n' >"$work/exp"
check ".exit commits what came before and ignores the rest" "$work/exp" "$work/out"

# 7: CRLF input, blank lines, keywords in any case.
printf 'INSERT 7 grace\r\n\n   \n\t\nSeLeCt\r\n' | rsh "$work/crlf.db" >"$work/out" 2>&1
printf 'Executed.\n(7, grace)\n' >"$work/exp"
check "CRLF lines, blank lines ignored, case-insensitive keywords" "$work/exp" "$work/out"

# 8-11: 200 sequential inserts: a tree of depth 2.
awk 'BEGIN { for (i = 1; i <= 200; i++) printf "insert %d user%d\n", i, i }' >"$work/200.in"
rsh "$work/200.db" <"$work/200.in" >"$work/out" 2>&1
if [ "$(grep -c -x 'Executed\.' "$work/out")" = 200 ]; then
	ok "200 inserts: 200 replies"
else
	not_ok "200 inserts: 200 replies" "$(head -5 "$work/out")"
fi
printf '.btree\n' | rsh "$work/200.db" >"$work/btree" 2>&1
if awk '
	NR == 1 { if ($0 !~ /^internal \(page [0-9]+\): [0-9]+ keys \[[0-9, ]*\]$/) bad = 1; next }
	/^  leaf \(page [0-9]+\): [0-9]+ cells keys \[[0-9]+\.\.[0-9]+\]$/ {
		leaves++; cells += $4; next }
	{ bad = 1 }
	END { exit !(NR >= 3 && !bad && leaves >= 2 && cells == 200) }' "$work/btree"; then
	ok ".btree: internal root over leaves (depth 2) holding 200 cells"
else
	not_ok ".btree: internal root over leaves (depth 2) holding 200 cells" "$(cat "$work/btree")"
fi
printf '.constants\n' | rsh "$work/200.db" >"$work/const" 2>&1
missing=""
for kv in "PAGE_SIZE: 4096" "ROW_SIZE: 36" "LEAF_NODE_CELL_SIZE: 40" \
	"LEAF_NODE_MAX_CELLS: 102" "INTERNAL_NODE_CELL_SIZE: 8" "INTERNAL_NODE_MAX_KEYS: 510"; do
	grep -q -x -F "$kv" "$work/const" || missing="$missing [$kv]"
done
if [ -z "$missing" ]; then
	ok ".constants: the tutorial's values"
else
	not_ok ".constants: the tutorial's values" "missing:$missing" "$(cat "$work/const")"
fi
printf '.stats\n' | rsh "$work/200.db" >"$work/stats" 2>&1
missing=""
for name in rows depth pages free_pages cache_pages cache_hits cache_misses commits \
	statements errors wal_frames wal_bytes checkpoints fsyncs; do
	grep -q -E "^$name: [0-9]+\$" "$work/stats" || missing="$missing $name"
done
grep -q -x 'rows: 200' "$work/stats" || missing="$missing rows=200"
grep -q -x 'depth: 2' "$work/stats" || missing="$missing depth=2"
if [ -z "$missing" ]; then
	ok ".stats: every name of the contract; rows 200, depth 2"
else
	not_ok ".stats: every name of the contract; rows 200, depth 2" "missing:$missing" \
		"$(cat "$work/stats")"
fi

# 12: select returns the 200 rows in order.
printf 'select\n' | rsh "$work/200.db" >"$work/out" 2>&1
awk 'BEGIN { for (i = 1; i <= 200; i++) printf "(%d, user%d)\n", i, i }' >"$work/exp"
check "select after reopen: 200 rows in key order" "$work/exp" "$work/out"

# 13: .checkpoint.
printf '.checkpoint\n' | rsh "$work/200.db" >"$work/out" 2>&1
printf 'Executed.\n' >"$work/exp"
check ".checkpoint replies Executed." "$work/exp" "$work/out"

# 14-16: options.
printf 'insert 100 zed\nselect\n' | rsh -o ro "$db" >"$work/out" 2>"$work/err"
st=$?
printf 'Error: read-only database\n(1, alice)\n(2, bob)\n(3, carol)\n(4, dave)\n(5, eve)\n' \
	>"$work/exp"
if [ $st -eq 1 ] && cmp -s "$work/exp" "$work/out" &&
	[ "$(cat "$work/err")" = "Error near line 1: Error: read-only database" ]; then
	ok "-o ro: inserts fail with 'Error: read-only database', exit 1"
else
	not_ok "-o ro: inserts fail with 'Error: read-only database', exit 1" "status $st" \
		"$(diff -u "$work/exp" "$work/out")"
fi
printf 'insert 100 zed\n' | rsh --read-only "$db" >"$work/out" 2>&1
st1=$?
printf 'insert 8 heidi\n' | rsh -o sync=off,cache_pages=16 "$db" >"$work/out2" 2>&1
st2=$?
printf 'insert 9 ivan\n' | rsh --sync=normal --cache-pages=8 "$db" >>"$work/out2" 2>&1
st3=$?
printf 'Executed.\nExecuted.\n' >"$work/exp"
if [ $st1 -eq 1 ] && [ $st2 -eq 0 ] && [ $st3 -eq 0 ] && cmp -s "$work/exp" "$work/out2" &&
	grep -q -x 'Error: read-only database' "$work/out"; then
	ok "--read-only, -o sync=off,cache_pages=16, --sync=normal --cache-pages=8"
else
	not_ok "--read-only, -o sync=off,cache_pages=16, --sync=normal --cache-pages=8" \
		"status $st1 $st2 $st3" "$(cat "$work/out" "$work/out2")"
fi
bad=""
for args in "" "-o bogus $db" "-o sync=sometimes $db" "-o cache_pages=0 $db" \
	"--cache-pages=12x $db" "--nope $db" "-x $db" "-c $db" "-cmd"; do
	# shellcheck disable=SC2086 # word splitting of args is intended
	rsh $args </dev/null >/dev/null 2>"$work/err"
	st=$?
	if [ $st -ne 2 ] || [ ! -s "$work/err" ]; then
		bad="$bad [$args: status $st]"
	fi
done
rsh --help >"$work/out" 2>&1 && grep -q '^usage: rowsh' "$work/out" || bad="$bad [--help]"
rsh -V >"$work/out" 2>&1 && grep -q '^rowsh (rowfs) [0-9]' "$work/out" || bad="$bad [-V]"
if [ -z "$bad" ]; then
	ok "usage errors exit 2 with a message; --help and -V exit 0"
else
	not_ok "usage errors exit 2 with a message; --help and -V exit 0" "$bad"
fi

# 17: a second process on the same database: "database is locked".
mkfifo "$work/fifo"
timeout "$T" "$ROWSH" "$db" <"$work/fifo" >"$work/holder.out" 2>&1 &
holder=$!
exec 3>"$work/fifo"
printf 'select\n' >&3
i=0
while [ ! -s "$work/holder.out" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
printf 'select\n' | rsh "$db" >"$work/out" 2>"$work/err"
st=$?
exec 3>&-
wait "$holder"
hst=$?
holder=""
if [ $st -ne 0 ] && grep -q '^rowsh: database is locked$' "$work/err" && [ ! -s "$work/out" ] &&
	[ $hst -eq 0 ]; then
	ok "second rowsh on an open database: 'database is locked', non-zero"
else
	not_ok "second rowsh on an open database: 'database is locked', non-zero" \
		"status $st, holder status $hst" "$(cat "$work/err" "$work/out" "$work/holder.out")"
fi

# 18: the prompt appears on a terminal.
if command -v script >/dev/null 2>&1 && script -qc true /dev/null </dev/null >/dev/null 2>&1; then
	printf 'insert 1 tty\nselect\n.exit\n' |
		timeout "$T" script -qc "'$ROWSH' '$work/tty.db'" /dev/null >"$work/out" 2>&1
	if grep -q -F 'db > ' "$work/out" && grep -q -F '(1, tty)' "$work/out"; then
		ok "prompt 'db > ' on a terminal"
	else
		not_ok "prompt 'db > ' on a terminal" "$(od -c "$work/out" | head -20)"
	fi
else
	skip "script(1) not usable: no terminal to test the prompt"
fi

done_testing
