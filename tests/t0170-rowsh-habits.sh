#!/bin/sh
# t0170-rowsh-habits.sh - rowsh as a sqlite3 user expects it, outside a
# terminal: statements as arguments (in order, stopping at the first
# error), -cmd, -bail, -csv/-json/-line/-box/-list, .help, .quit, an
# unknown meta-command with arguments, "Error near line N:" on stderr with
# the line where the statement began (also across input chunks and for a
# statement over several lines), and .import of CSV and NDJSON: headers,
# quoting, NULLs, one transaction (a bad line imports nothing and names
# its line), inside an explicit transaction, and a random round trip
# compared with the file.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

[ -x "$ROWSH" ] || skip_all "rowsh not built"

# run NAME STATUS [ARGS...]: rowsh ARGS with stdin from $work/in; stdout
# must be $work/exp, stderr $work/experr (empty when missing), status STATUS.
run() {
	name=$1 want=$2
	shift 2
	[ -f "$work/experr" ] || : >"$work/experr"
	rsh "$@" <"$work/in" >"$work/out" 2>"$work/err"
	st=$?
	if cmp -s "$work/exp" "$work/out" && cmp -s "$work/experr" "$work/err" &&
		[ "$st" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name" "status $st (expected $want)" "$(diff -u "$work/exp" "$work/out")" \
			"$(diff -u "$work/experr" "$work/err")"
	fi
	rm -f "$work/experr"
}

db=$work/h.db
: >"$work/in"

# ---- statements as arguments ----------------------------------------------

printf 'Executed.\nExecuted.\n(1, ann, 2.5)\n(2, bob, NULL)\n' >"$work/exp"
run "statements as arguments run in order, then rowsh exits" 0 "$db" \
	"create table p (id integer primary key, name text, score real)" \
	"insert into p values (1, 'ann', 2.5), (2, 'bob', null)" "select * from p"
printf 'Executed.\nParse error: Expected INSERT, SELECT, or meta-command\n' >"$work/exp"
run "arguments stop at the first error, exit status 1 (as sqlite3)" 1 "$db" \
	"insert 1 a" "bogus" "insert 2 b"
printf '(1, a)\n' >"$work/exp"
run "... and the statements after it never ran" 0 "$db" "select"
printf 'Executed.\nExecuted.\n(1, a)\n(3, c)\n(4, d)\n(3, c)\n(4, d)\n' >"$work/exp"
run "an argument of several lines; a statement over its lines" 0 "$db" \
	"$(printf 'insert 3 c\ninsert 4 d')" "$(printf 'select\n  -- users\n')" \
	"$(printf 'select * from users where\n id > 2;')"
printf 'p\nusers\n' >"$work/in"
printf '(1, ann, 2.5)\n' >"$work/exp"
run "with statement arguments stdin is not read" 0 "$db" "select * from p where id = 1"
: >"$work/in"

# ---- -cmd, output modes -----------------------------------------------------

printf 'id,name,score\n1,ann,2.5\n2,bob,\n' >"$work/exp"
run "-cmd runs first (.mode csv), then the arguments" 0 -cmd ".mode csv" "$db" "select * from p"
printf 'select count(*) from p\n' >"$work/in"
printf 'Executed.\n(2)\n(3)\n' >"$work/exp"
run "-cmd twice, in order, before stdin" 0 -cmd "insert into p values (3, 'cy', null)" \
	-cmd "select count(*) from p where score is null" "$db"
printf "delete from p where id = 3\nselect * from p\n" >"$work/in"
printf 'Executed.\n[{"id":1,"name":"ann","score":2.5},\n{"id":2,"name":"bob","score":null}]\n' \
	>"$work/exp"
run "-json" 0 -json "$db"
printf 'select * from p\nselect\nselect count(*) from p where id > 5\nselect count(*) from p\n' \
	>"$work/in"
cat >"$work/exp" <<'EOF'
   id = 1
 name = ann
score = 2.5

   id = 2
 name = bob
score = NULL
      id = 1
username = a

      id = 3
username = c

      id = 4
username = d
count(*) = 0
count(*) = 2
EOF
run "-line: name = value, names right-aligned (at least 5 wide), a blank line between rows" \
	0 "$db" -line
printf 'select * from p where id = 2\n.mode\n' >"$work/in"
cat >"$work/exp" <<'EOF'
┌────┬──────┬───────┐
│ id │ name │ score │
├────┼──────┼───────┤
│ 2  │ bob  │ NULL  │
└────┴──────┴───────┘
current output mode: box
EOF
run "-box" 0 -box "$db"
printf '(2, bob, NULL)\ncurrent output mode: list\n' >"$work/exp"
run "-list after -csv: the last one wins" 0 -csv -list "$db"
printf '.mode line\nselect * from p where id = 1\n' >"$work/in"
printf '   id = 1\n name = ann\nscore = 2.5\n' >"$work/exp"
run ".mode line" 0 "$db"

# ---- errors in batch mode ----------------------------------------------------

printf 'insert 10 a\n@\nselect *\n  from nope\n;\n.foo bar baz\ninsert 11 b\n' >"$work/in"
printf "Executed.\nToken error: Unexpected character '@' at position 0\nError: no such table: nope\nUnrecognized meta-command: .foo\nExecuted.\n" \
	>"$work/exp"
printf "Error near line 2: Token error: Unexpected character '@' at position 0\nError near line 3: Error: no such table: nope\nError near line 6: Unrecognized meta-command: .foo\n" \
	>"$work/experr"
run "Error near line N on stderr (N where the statement began), the text on stdout too" 1 "$db"

# An error past the first chunk of 64 KiB: its line number counts every line.
awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "insert %d n%d\n", 1000 + i, i
	printf "insert 1001 dup\n"; printf "insert 9999 last\n" }' >"$work/in"
rsh "$work/big.db" <"$work/in" >"$work/out" 2>"$work/err"
st=$?
if [ $st -eq 1 ] && [ "$(cat "$work/err")" = "Error near line 5001: Error: duplicate key 1001." ] &&
	[ "$(grep -c -x 'Executed.' "$work/out")" = 5001 ]; then
	ok "the line number of an error after many chunks"
else
	not_ok "the line number of an error after many chunks" "status $st" "$(cat "$work/err")"
fi

printf 'insert 20 a\nbegin\ninsert 21 b\ninsert 20 again\ninsert 22 c\n' >"$work/in"
printf 'Executed.\nExecuted.\nExecuted.\nError: duplicate key 20.\n' >"$work/exp"
printf 'Error near line 4: Error: duplicate key 20.\n' >"$work/experr"
run "-bail: stop at the first error, exit status 1" 1 -bail "$db"
printf 'select * from users where id >= 20\n' >"$work/in"
printf '(20, a)\n' >"$work/exp"
run "-bail: what came before committed, the open transaction rolled back, nothing after" 0 "$db"
printf 'insert 23 d\n.mode nope\ninsert 24 e\n' >"$work/in"
printf 'Executed.\nError: unknown mode "nope" (list, csv, json, box, line)\n' >"$work/exp"
printf 'Error near line 2: Error: unknown mode "nope" (list, csv, json, box, line)\n' \
	>"$work/experr"
run "-bail also stops at rowsh's own errors" 1 -bail "$db"
printf 'insert 25 f\n' >"$work/in"
printf 'Error: duplicate key 20.\n' >"$work/exp"
run "-bail stops at a failing -cmd" 1 -bail -cmd "insert 20 x" "$db"

# ---- meta-commands -----------------------------------------------------------

printf '.help\n' >"$work/in"
rsh "$db" <"$work/in" >"$work/out" 2>"$work/err"
st=$?
missing=""
for m in .btree .checkpoint .constants .exit .help .import .mode .quit .schema .stats .tables; do
	grep -q "^$m " "$work/out" || missing="$missing $m"
done
if [ $st -eq 0 ] && [ -z "$missing" ] && [ ! -s "$work/err" ]; then
	ok ".help lists every meta-command"
else
	not_ok ".help lists every meta-command" "status $st, missing:$missing" "$(cat "$work/out")"
fi
printf '.help imp\n.help .mo\n.help zzz\n' >"$work/in"
printf '.import FILE TABLE     insert the CSV or NDJSON rows of FILE, in one transaction\n.mode [MODE]           how select prints rows: list, csv, json, box, line\nError: no such meta-command\n' \
	>"$work/exp"
printf 'Error near line 3: Error: no such meta-command\n' >"$work/experr"
run ".help WORD: the commands starting with WORD" 1 "$db"
printf 'insert 30 q\n.quit\ninsert 31 r\n' >"$work/in"
printf 'Executed.\n' >"$work/exp"
run ".quit: commits what came before, stops" 0 "$db"
printf '.QUIT now\n.quit;\ninsert 32 s\n' >"$work/in"
printf 'Parse error: Expected end of line, got STRING at position 6\n' >"$work/exp"
printf 'Error near line 1: Parse error: Expected end of line, got STRING at position 6\n' \
	>"$work/experr"
run ".quit with a word after it fails; '.quit;' quits" 1 "$db"
printf 'select * from users where id >= 30\n' >"$work/in"
printf '(30, q)\n' >"$work/exp"
run "... nothing after .quit ran" 0 "$db"

# ---- .import -------------------------------------------------------------------

idb=$work/i.db
printf 'create table t (id integer primary key, name text, score real, data blob)\n' >"$work/in"
printf 'Executed.\n' >"$work/exp"
run "a table to import into" 0 "$idb"
printf 'id,name,score,data\n1,plain,1.5,\\x00ff\n2,"a, b",,\n\n3,"say ""hi""",-2,\n4,"two\nlines",0,\\x\n5,"",3,\n' \
	>"$work/a.csv"
printf '.import %s t\nselect * from t\n' "$work/a.csv" >"$work/in"
cat >"$work/exp" <<'EOF'
(1, plain, 1.5, x'00ff')
(2, a, b, NULL, NULL)
(3, say "hi", -2.0, NULL)
(4, two
lines, 0.0, x'')
(5, , 3.0, NULL)
EOF
run ".import CSV: header skipped, quotes, a newline inside quotes, NULLs, blank lines" 0 "$idb"
printf '{"id":6,"name":"j","score":1}\n\n{"id":7,"data":"\\\\x01"}\n' >"$work/b.ndjson"
printf '.import "%s" t\nselect * from t where id > 5\n' "$work/b.ndjson" >"$work/in"
printf "(6, j, 1.0, NULL)\n(7, NULL, NULL, x'01')\n" >"$work/exp"
run ".import NDJSON (first byte '{'), a quoted file name" 0 "$idb"
printf '10,a,1,\n11,b,2,\n12,c,oops,\n13,d,4,\n' >"$work/bad.csv"
printf 'insert into t (id) values (9)\n.import %s t\nselect count(*) from t\n' "$work/bad.csv" \
	>"$work/in"
printf 'Executed.\nline 3: Error: t.score expects real, got text\n(8)\n' >"$work/exp"
printf 'Error near line 2: line 3: Error: t.score expects real, got text\n' >"$work/experr"
run ".import: a bad line names its line; nothing of the file stays (one transaction)" 1 "$idb"
printf '{"id":20}\n{"id":21,"nope":1}\n' >"$work/bad.ndjson"
printf 'begin\n.import %s t\nselect count(*) from t\nrollback\nselect count(*) from t\n' \
	"$work/bad.ndjson" >"$work/in"
printf 'Executed.\nline 2: Error: no such column: t.nope\n(9)\nExecuted.\n(8)\n' >"$work/exp"
printf 'Error near line 2: line 2: Error: no such column: t.nope\n' >"$work/experr"
run ".import inside a transaction: the rows before the bad line stay in it" 1 "$idb"
printf '2,dup,1,\n' >"$work/dup.csv"
printf '.import %s t\n.import %s/none.csv t\n.import %s nope\n.import %s\n.import a b c\n' \
	"$work/dup.csv" "$work" "$work/a.csv" "$work/a.csv" >"$work/in"
cat >"$work/exp" <<EOF
line 1: Error: duplicate key 2.
Error: cannot open '$work/none.csv': No such file or directory
Error: no such table: nope
Error: usage: .import FILE TABLE
Parse error: Expected end of line, got STRING at position 12
EOF
sed 's/^/Error near line /' >"$work/experr" <<EOF
1: line 1: Error: duplicate key 2.
2: Error: cannot open '$work/none.csv': No such file or directory
3: Error: no such table: nope
4: Error: usage: .import FILE TABLE
5: Parse error: Expected end of line, got STRING at position 12
EOF
run ".import errors: a duplicate key, no file, no table, usage" 1 "$idb"

# A random round trip: N rows of texts with commas, quotes, blanks, UTF-8;
# the file is canonical CSV (what -csv prints), so rowsh -csv must print it
# back byte for byte.  Then the same rows with one bad line at a random
# place: nothing more is imported, and the error names that line.
seed=${ROWFS_T0170_SEED:-$(date +%s)}
rows=${ROWFS_T0170_ROWS:-3000}
awk -v seed="$seed" -v n="$rows" 'BEGIN {
	srand(seed)
	split("a b c x y z , \" \303\251 \346\227\245 1 - .", alpha, " ")
	alpha[length(alpha) + 1] = " "
	print "id,n,s"
	id = -50
	for (i = 0; i < n; i++) {
		id += 1 + int(rand() * 3)
		len = int(rand() * 8)
		s = ""
		for (k = 0; k < len; k++) s = s alpha[1 + int(rand() * length(alpha))]
		q = (s == "" || index(s, ",") || index(s, "\"")) ? 1 : 0
		gsub(/"/, "\"\"", s)
		if (q) s = "\"" s "\""
		num = rand() < 0.1 ? "" : int(rand() * 2000000) - 1000000
		printf "%d,%s,%s\n", id, num, s
	}
}' >"$work/r.csv"
rdb=$work/r.db
rsh "$rdb" "create table r (id integer primary key, n integer, s text)" >/dev/null
rsh "$rdb" ".import $work/r.csv r" >"$work/out" 2>"$work/err"
st=$?
rsh -csv "$rdb" "select * from r" >"$work/back.csv" 2>&1
if [ $st -eq 0 ] && [ ! -s "$work/out" ] && [ ! -s "$work/err" ] &&
	cmp -s "$work/r.csv" "$work/back.csv"; then
	ok ".import of $rows random rows reads back byte for byte (seed $seed)"
else
	not_ok ".import of $rows random rows reads back byte for byte (seed $seed)" "status $st" \
		"$(cat "$work/out" "$work/err")" "$(diff "$work/r.csv" "$work/back.csv" | head -10)"
fi
bad=$(awk -v seed="$seed" -v n="$rows" 'BEGIN { srand(seed + 1); print 2 + int(rand() * n) }')
awk -v bad="$bad" 'NR == 1 { print; next }
	NR == bad { print "1,2,3,4"; next }
	{ c = index($0, ","); print substr($0, 1, c - 1) + 100000000 substr($0, c) }' \
	"$work/r.csv" >"$work/r2.csv"   # new keys: none is a duplicate of the first import
rsh "$rdb" ".import $work/r2.csv r" "select count(*) from r" >"$work/out" 2>"$work/err"
st=$?
printf 'line %s: Error: r has 3 columns but 4 values were supplied\n' "$bad" >"$work/exp"
if [ $st -eq 1 ] && cmp -s "$work/exp" "$work/out" && [ ! -s "$work/err" ] &&
	[ "$(rsh "$rdb" "select count(*) from r")" = "($rows)" ]; then
	ok ".import with a bad line $bad of $rows: its line, and not a row imported"
else
	not_ok ".import with a bad line $bad of $rows: its line, and not a row imported" \
		"status $st" "$(cat "$work/out" "$work/err")" "$(rsh "$rdb" "select count(*) from r")"
fi

done_testing
