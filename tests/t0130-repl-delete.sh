#!/bin/sh
# t0130-repl-delete.sh - `delete ID` and `update ID NAME` through rowsh:
# replies, error texts, exit status, persistence after a reopen, pages
# freed and reused, fsck.rowfs clean; and rowsh's `.mode list|csv|json|box`:
# the exact output of each mode on a small table (UTF-8 names, box column
# widths), empty tables, errors, that a mode changes only `select`, names
# from a damaged file (invalid UTF-8, a newline) in each mode, and any
# select of any table in each mode (NULL, reals, blobs, count(*)).  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

if [ ! -x "$ROWSH" ] || [ ! -x "$FSCK" ]; then
	skip_all "rowsh or fsck.rowfs not built"
fi

# run_files NAME DB EXPECTED-STATUS [ROWSH-OPTION...]: run rowsh on DB with
# $work/in as input; its output must be $work/exp and stderr only the copies
# of its errors (errors_near).
run_files() {
	name=$1 rdb=$2 want=$3
	shift 3
	rsh "$@" "$rdb" <"$work/in" >"$work/out" 2>"$work/err"
	st=$?
	if cmp -s "$work/exp" "$work/out" && [ "$st" = "$want" ] &&
		errors_near "$work/out" "$work/err"; then
		ok "$name"
	else
		not_ok "$name" "status $st (expected $want)" "$(diff -u "$work/exp" "$work/out" | head -40)" \
			"$(cat "$work/err")"
	fi
}

# run NAME DB INPUT EXPECTED-OUTPUT EXPECTED-STATUS [ROWSH-OPTION...]: the
# same with INPUT and EXPECTED-OUTPUT as printf formats.  DB is kept
# between calls.
run() {
	# shellcheck disable=SC2059 # the arguments are printf formats on purpose
	printf "$3" >"$work/in"
	# shellcheck disable=SC2059
	printf "$4" >"$work/exp"
	name=$1 rdb=$2 want=$5
	shift 5
	run_files "$name" "$rdb" "$want" "$@"
}

# case_ NAME INPUT EXPECTED-OUTPUT EXPECTED-STATUS: run on a fresh database.
case_() {
	rm -f "$work/c.db" "$work/c.db-wal"
	run "$1" "$work/c.db" "$2" "$3" "$4"
}

# fsck_clean NAME DB: fsck.rowfs exits 0.
fsck_clean() {
	if out=$(timeout "$T" "$FSCK" "$2" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "fsck.rowfs exit status $?" "$out"
	fi
}

# stat_of DB NAME: the value of NAME in .stats.
stat_of() {
	printf '.stats\n' | rsh "$1" | sed -n "s/^$2: //p"
}

# ---- delete and update ---------------------------------------------------

case_ "delete and update: replies" \
	'insert 1 alice\ninsert 2 bob\ninsert 3 carol\ndelete 2\nupdate 3 caroline\nDELETE 1\nUPDATE 3 c\nselect\n' \
	'Executed.\nExecuted.\nExecuted.\nExecuted.\nExecuted.\nExecuted.\nExecuted.\n(3, c)\n' 0
case_ "delete of an absent key: its error, the rest runs, exit status 1" \
	'insert 1 a\ndelete 5\ninsert 2 b\nselect\n' \
	'Executed.\nError: no such key 5.\nExecuted.\n(1, a)\n(2, b)\n' 1
case_ "update of an absent key" \
	'update 42 x\nselect\n' \
	'Error: no such key 42.\n(empty table)\n' 1
case_ "delete twice; update after delete; re-insert after delete" \
	'insert 7 a\ndelete 7\ndelete 7\nupdate 7 b\ninsert 7 c\nselect\n' \
	'Executed.\nExecuted.\nError: no such key 7.\nError: no such key 7.\nExecuted.\n(7, c)\n' 1
case_ "leading zeros, blanks, CRLF" \
	'insert 5 a\ninsert 6 b\n  delete\t005 \r\nupdate 06 z\r\nselect\n' \
	'Executed.\nExecuted.\nExecuted.\nExecuted.\n(6, z)\n' 0
case_ "parse errors of delete and update" \
	'delete\ndelete 1 x\ndelete -1\ndelete 4294967296\ndelete x\nupdate 1\nupdate\nupdate 1 a b\nupdate 1 a@b\n' \
	"Parse error: Expected INTEGER, got EOF at position 6\nParse error: Expected end of line, got STRING at position 9\nParse error: Row id must be non-negative\nParse error: Row id out of range\nParse error: Expected INTEGER, got STRING at position 7\nParse error: Expected STRING, got EOF at position 8\nParse error: Expected INTEGER, got EOF at position 6\nParse error: Expected end of line, got STRING at position 11\nToken error: Unexpected character '@' at position 10\n" 1
case_ "update with a 33-byte name is too long, 32 bytes and UTF-8 are fine" \
	'insert 1 a\nupdate 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nupdate 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nselect\nupdate 1 h\303\251l\303\250ne\nselect\n' \
	'Executed.\nError: username too long (33 > 32)\nExecuted.\n(1, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)\nExecuted.\n(1, h\303\251l\303\250ne)\n' 1

# Persistence: the changes are there after a reopen, and fsck is clean.
# stmts: the statements on stdin go to $work/in, one "Executed." each to $work/exp.
stmts() { cat >"$work/in"; sed 's/.*/Executed./' "$work/in" >"$work/exp"; }
pdb=$work/p.db
seq 1 1000 | sed 's/.*/insert & u&/' | stmts
run_files "load 1000 rows" "$pdb" 0
pages=$(stat_of "$pdb" pages)
(seq 1 500 | grep -vx 250 | sed 's/.*/delete &/'; echo 'update 1000 last') | stmts
run_files "delete 1..500 but 250, update 1000" "$pdb" 0
printf 'select\n' >"$work/in"
(echo '(250, u250)'; seq 501 999 | sed 's/.*/(&, u&)/'; echo '(1000, last)') >"$work/exp"
run_files "after a reopen: the rows left, the new name" "$pdb" 0
free=$(stat_of "$pdb" free_pages)
if [ "$free" -ge 3 ] && [ "$(stat_of "$pdb" pages)" = "$pages" ] &&
	[ "$(stat_of "$pdb" rows)" = 501 ]; then
	ok "emptied leaves are on the free list ($free free pages of $pages)"
else
	not_ok "emptied leaves are on the free list" "pages $pages -> $(stat_of "$pdb" pages)" \
		"free_pages $free" "rows $(stat_of "$pdb" rows)"
fi
fsck_clean "fsck.rowfs: clean after the deletes" "$pdb"
seq 1 249 | sed 's/.*/insert & v&/' | stmts
run_files "re-insert 1..249" "$pdb" 0
if [ "$(stat_of "$pdb" pages)" = "$pages" ] && [ "$(stat_of "$pdb" free_pages)" -lt "$free" ]; then
	ok "re-inserted rows take free pages; the file does not grow"
else
	not_ok "re-inserted rows take free pages" "pages $pages -> $(stat_of "$pdb" pages)" \
		"free_pages $free -> $(stat_of "$pdb" free_pages)"
fi
(seq 1 250; seq 501 1000) | sed 's/.*/delete &/' | stmts
run_files "delete everything" "$pdb" 0
run "an empty table" "$pdb" 'select\n' '(empty table)\n' 0
if [ "$(stat_of "$pdb" depth)" = 1 ] &&
	[ "$(stat_of "$pdb" free_pages)" = $((pages - 2)) ]; then
	ok "everything deleted: depth 1, every page but the header and the root free"
else
	not_ok "everything deleted: depth 1" "depth $(stat_of "$pdb" depth)" \
		"free_pages $(stat_of "$pdb" free_pages) of $pages"
fi
fsck_clean "fsck.rowfs: clean when empty" "$pdb"
run "read-only: delete and update refused" "$pdb" \
	'delete 1\nupdate 1 x\nselect\n' \
	'Error: read-only database\nError: read-only database\n(empty table)\n' 1 -o ro

# ---- .mode -----------------------------------------------------------------

mdb=$work/m.db
run "a small table" "$mdb" \
	'insert 1 alice\ninsert 22 h\303\251l\303\250ne\ninsert 3 \346\227\245\346\234\254\ninsert 4294967295 bob\n' \
	'Executed.\nExecuted.\nExecuted.\nExecuted.\n' 0
run ".mode alone prints the mode: list by default" "$mdb" \
	'.mode\n' 'current output mode: list\n' 0
run ".mode list: the engine's text" "$mdb" \
	'.mode list\nselect\n' \
	'(1, alice)\n(3, \346\227\245\346\234\254)\n(22, h\303\251l\303\250ne)\n(4294967295, bob)\n' 0
run ".mode csv" "$mdb" \
	'.mode csv\nselect\n.mode\n' \
	'id,username\n1,alice\n3,\346\227\245\346\234\254\n22,h\303\251l\303\250ne\n4294967295,bob\ncurrent output mode: csv\n' 0
run ".mode json" "$mdb" \
	'.mode json\nselect\n' \
	'[{"id":1,"username":"alice"},\n{"id":3,"username":"\346\227\245\346\234\254"},\n{"id":22,"username":"h\303\251l\303\250ne"},\n{"id":4294967295,"username":"bob"}]\n' 0
# Box: the id column is as wide as 4294967295; the name column as
# "username" (8), which is wider than hélène (6) and 日本 (4 columns).
run ".mode box" "$mdb" \
	'.mode box\nselect\n' \
	'┌────────────┬──────────┐\n│     id     │ username │\n├────────────┼──────────┤\n│ 1          │ alice    │\n│ 3          │ 日本     │\n│ 22         │ hélène   │\n│ 4294967295 │ bob      │\n└────────────┴──────────┘\n' 0
run ".mode box: a name wider than the header, of wide characters" "$mdb" \
	'update 3 \346\227\245\346\234\254\346\227\245\346\234\254\346\227\245x\nupdate 22 h\303\251l\303\250ne_dupont\n.mode box\nselect\n' \
	'Executed.\nExecuted.\n┌────────────┬───────────────┐\n│     id     │   username    │\n├────────────┼───────────────┤\n│ 1          │ alice         │\n│ 3          │ 日本日本日x   │\n│ 22         │ hélène_dupont │\n│ 4294967295 │ bob           │\n└────────────┴───────────────┘\n' 0
run "the modes on an empty table" "$work/e.db" \
	'.mode csv\nselect\n.mode json\nselect\n.mode box\nselect\n.mode list\nselect\n' \
	'id,username\n[]\n┌────┬──────────┐\n│ id │ username │\n└────┴──────────┘\n(empty table)\n' 0
run "mode names and .mode are case-insensitive; blanks and CRLF" "$work/k.db" \
	'insert 1 a\n.MODE CSV\n  select \r\n\t.Mode\tJson \r\nSELECT\n' \
	'Executed.\nid,username\n1,a\n[{"id":1,"username":"a"}]\n' 0
run "an unknown mode: an error, the mode stays" "$mdb" \
	'.mode csv\n.mode x\n.mode tabs\n.mode\n' \
	'Error: unknown mode "x" (list, csv, json, box, line)\nError: unknown mode "tabs" (list, csv, json, box, line)\ncurrent output mode: csv\n' 1
run "an extra word after the mode" "$mdb" \
	'.mode csv box\n.mode json 5\n.mode\n' \
	'Parse error: Expected end of line, got STRING at position 10\nParse error: Expected end of line, got INTEGER at position 11\ncurrent output mode: list\n' 1
run "a mode changes only select" "$mdb" \
	'.mode csv\ninsert 5 eve\ndelete 5\nupdate 1 alice\ndelete 5\nselect x\n.btree\n' \
	'Executed.\nExecuted.\nExecuted.\nError: no such key 5.\nParse error: Expected end of line, got STRING at position 7\nleaf (page 1): 4 cells keys [1..4294967295]\n' 1
run "select sees the batch's own changes in every mode" "$work/b.db" \
	'.mode csv\ninsert 2 b\ninsert 1 a\ndelete 2\nselect\n.mode json\nselect\n' \
	'Executed.\nExecuted.\nExecuted.\nid,username\n1,a\n[{"id":1,"username":"a"}]\n' 0
# A damaged file may hold names the engine never stores: a byte that is
# not UTF-8, a newline.  Such a row is corruption (fsck reports it): a
# select in any mode fails with the engine's message instead of printing a
# broken line, and the batch is rolled back.
ddb=$work/d.db
run "names to damage" "$ddb" 'insert 1 aaaaXbbbb\ninsert 2 cYcc\ninsert 3 q\n' \
	'Executed.\nExecuted.\nExecuted.\n' 0
patch_byte() {   # patch_byte STRING OFFSET-IN-IT OCTAL-BYTE: overwrite a byte of $ddb
	at=$(LC_ALL=C grep -obUa "$1" "$ddb" | head -1 | cut -d: -f1)
	# shellcheck disable=SC2059 # the byte is an octal escape on purpose
	[ -n "$at" ] && printf "\\$3" | dd of="$ddb" bs=1 seek=$((at + $2)) conv=notrunc 2>/dev/null
}
if patch_byte aaaaXbbbb 4 377 && patch_byte cYcc 1 012; then
	run "damaged names: csv" "$ddb" \
		'.mode csv\nselect\n' \
		'Error: I/O error: database corrupt: page 1: the row under key 1 does not decode\n' 1
	run "damaged names: json" "$ddb" '.mode json\nselect\n' \
		'Error: I/O error: database corrupt: page 1: the row under key 1 does not decode\n' 1
	run "damaged names: box" "$ddb" '.mode box\nselect\n' \
		'Error: I/O error: database corrupt: page 1: the row under key 1 does not decode\n' 1
	run "damaged names: list" "$ddb" 'select\n' \
		'Error: I/O error: database corrupt: page 1: the row under key 1 does not decode\n' 1
else
	not_ok "damaged names in csv, json and box" "could not patch $ddb"
fi
# Any select of any table, typed: NULL, reals (shortest form), texts
# needing quotes, empty texts, blobs; count(*); a result with no rows.
tdb=$work/typed.db
cat >"$work/in" <<'EOF'
create table t (id integer primary key, r real, s text, b blob)
insert into t values (-2, 0.1, 'a,b', x'00ff'), (3, 1e+100, '', null), (7, null, 'say "hi"', x'')
EOF
printf 'Executed.\nExecuted.\n' >"$work/exp"
run_files "typed values: a table" "$tdb" 0
cat >"$work/in" <<'EOF'
.mode csv
select * from t
select count(*) from t
select s, id from t where id > 100
select b, r from t order by id desc limit 1
EOF
cat >"$work/exp" <<'EOF'
id,r,s,b
-2,0.1,"a,b",\x00ff
3,1e+100,"",
7,,"say ""hi""",\x
count(*)
3
s,id
b,r
\x,
EOF
run_files "typed values: csv (NULL empty, empty text \"\", blob \\x + hex)" "$tdb" 0
cat >"$work/in" <<'EOF'
.mode json
select * from t
select count(*) from t
select s from t where id > 100
EOF
cat >"$work/exp" <<'EOF'
[{"id":-2,"r":0.1,"s":"a,b","b":"\\x00ff"},
{"id":3,"r":1e+100,"s":"","b":null},
{"id":7,"r":null,"s":"say \"hi\"","b":"\\x"}]
[{"count(*)":3}]
[]
EOF
run_files "typed values: json (null, numbers, blob as the string \\\\x + hex)" "$tdb" 0
cat >"$work/in" <<'EOF'
.mode box
select * from t
select count(*) from t where id > 100 limit 0
EOF
cat >"$work/exp" <<'EOF'
┌────┬────────┬──────────┬─────────┐
│ id │   r    │    s     │    b    │
├────┼────────┼──────────┼─────────┤
│ -2 │ 0.1    │ a,b      │ x'00ff' │
│ 3  │ 1e+100 │          │ NULL    │
│ 7  │ NULL   │ say "hi" │ x''     │
└────┴────────┴──────────┴─────────┘
┌──────────┐
│ count(*) │
└──────────┘
EOF
run_files "typed values: box (NULL and blobs as list prints them)" "$tdb" 0
cat >"$work/in" <<'EOF'
select * from t
select count(*) from t where id > 100 limit 0
EOF
cat >"$work/exp" <<'EOF'
(-2, 0.1, a,b, x'00ff')
(3, 1e+100, , NULL)
(7, NULL, say "hi", x'')
(no rows)
EOF
run_files "typed values: list is the engine's text" "$tdb" 0
run "a mode lasts for one run of rowsh" "$mdb" \
	'.mode\n' 'current output mode: list\n' 0
fsck_clean "fsck.rowfs: clean after the modes" "$mdb"

done_testing
