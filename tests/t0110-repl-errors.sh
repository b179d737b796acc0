#!/bin/sh
# t0110-repl-errors.sh - every error row of CONTRACT.md through rowsh, with
# its exact text; processing goes on after an error; exit status 1 when a
# statement failed, 0 when none did; long lines across input chunks.  Each
# error is also on stderr as "Error near line N: TEXT".  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

[ -x "$ROWSH" ] || skip_all "rowsh not built"

# case NAME INPUT EXPECTED-OUTPUT EXPECTED-STATUS: a fresh database each time;
# INPUT and EXPECTED-OUTPUT are printf formats.
case_() {
	rm -f "$work/c.db" "$work/c.db-wal"
	# shellcheck disable=SC2059 # the arguments are printf formats on purpose
	printf "$2" >"$work/in"
	# shellcheck disable=SC2059
	printf "$3" >"$work/exp"
	rsh "$work/c.db" <"$work/in" >"$work/out" 2>"$work/err"
	st=$?
	if cmp -s "$work/exp" "$work/out" && [ "$st" = "$4" ] && errors_near "$work/out" "$work/err"; then
		ok "$1"
	else
		not_ok "$1" "status $st (expected $4)" "$(diff -u "$work/exp" "$work/out")" \
			"$(cat "$work/err")"
	fi
}

case_ "token error with its position" \
	'insert 1 a@b\n' \
	"Token error: Unexpected character '@' at position 10\n" 1
case_ "token errors: quote, control byte, invalid UTF-8" \
	'insert 1 "q"\ninsert 2 a\001b\ninsert 3 \377\n' \
	"Token error: Unexpected character '\"' at position 9\nToken error: Unexpected character '\\\\x01' at position 10\nToken error: Unexpected character '\\\\xFF' at position 9\n" 1
case_ "missing or wrong argument" \
	'insert x y\ninsert\ninsert 7\n' \
	'Parse error: Expected INTEGER, got STRING at position 7\nParse error: Expected INTEGER, got EOF at position 6\nParse error: Expected STRING, got EOF at position 8\n' 1
case_ "not numbers: +5 0x10 1e3 12ab" \
	'insert +5 a\ninsert 0x10 a\ninsert 1e3 a\ninsert 12ab a\n' \
	"Token error: Unexpected character '+' at position 7\nParse error: Expected INTEGER, got STRING at position 7\nParse error: Expected INTEGER, got STRING at position 7\nParse error: Expected INTEGER, got STRING at position 7\n" 1
case_ "extra token after a statement" \
	'insert 6 a b\nselect x\n' \
	'Parse error: Expected end of line, got STRING at position 11\nParse error: Expected end of line, got STRING at position 7\n' 1
case_ "negative id" \
	'insert -1 a\n' \
	'Parse error: Row id must be non-negative\n' 1
case_ "id out of range: 4294967296; 4294967295 and leading zeros are fine" \
	'insert 4294967296 a\ninsert 4294967295 max\ninsert 007 bond\nselect\n' \
	'Parse error: Row id out of range\nExecuted.\nExecuted.\n(7, bond)\n(4294967295, max)\n' 1
case_ "unknown command" \
	'foo\nremove 1 a\n' \
	'Parse error: Expected INSERT, SELECT, or meta-command\nParse error: Expected INSERT, SELECT, or meta-command\n' 1
case_ "unknown meta-command" \
	'.drop\n' \
	'Unrecognized meta-command: .drop\n' 1
case_ "NUL byte" \
	'insert 5 a\000b\n' \
	'Parse error: NUL byte\n' 1
case_ "duplicate key, also within one batch" \
	'insert 42 a\ninsert 42 b\nselect\n' \
	'Executed.\nError: duplicate key 42.\n(42, a)\n' 1
case_ "username of 33 bytes is too long" \
	'insert 2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n' \
	'Error: username too long (33 > 32)\n' 1
case_ "username of 32 bytes is fine" \
	'insert 3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nselect\n' \
	'Executed.\n(3, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)\n' 0
case_ "UTF-8 and digit-only names are names" \
	'insert 3 h\303\251llo\ninsert 4 12345\nselect\n' \
	'Executed.\nExecuted.\n(3, h\303\251llo)\n(4, 12345)\n' 0
case_ "processing continues after errors; exit status 1" \
	'insert 1 a\n@\ninsert 2 b\n.nope\ninsert 3 c\nselect\n' \
	"Executed.\nToken error: Unexpected character '@' at position 0\nExecuted.\nUnrecognized meta-command: .nope\nExecuted.\n(1, a)\n(2, b)\n(3, c)\n" 1
case_ "no failure: exit status 0" \
	'insert 1 a\n\nselect\n' \
	'Executed.\n(1, a)\n' 0

# Long lines.  stdin is a regular file, so reads return exactly 64 KiB and
# the chunk boundaries fall where this test puts them.
rm -f "$work/c.db" "$work/c.db-wal"
# Lines may be 4 MiB (4194304 bytes, newline excluded).
awk 'function out(s) { printf "%s", s; pos += length(s) }
	function pad(text, len) {
		return length(text) < len ? text substr(blanks, 1, len - length(text)) : text
	}
	function line(text, len) { out(pad(text, len) "\n") }
	# blank lines up to "before" bytes short of the next 64 KiB boundary
	function blanks_to(before,   b) {
		b = (int(pos / 65536) + 1) * 65536 - before
		while (pos < b) out("\n")
	}
	BEGIN {
		max = 4194304
		blanks = " "
		while (length(blanks) < 2 * max) blanks = blanks blanks
		line("insert 1 exactly4MiB", max)           # longest line: fine
		line("insert 2 toolong4MiB1", max + 1)      # one byte more
		out(pad("insert 3 crlf", max) "\r\n")      # longest line and a CR: fine
		blanks_to(2000)
		line("insert 4 straddles", max)             # crosses 64 KiB boundaries
		blanks_to(200)
		line("insert 5 huge", max + 1000000)        # crosses boundaries, cut
		line("insert 6 after", 0)
		blanks_to(2000)
		line("insert 7 straddle4MiB1", max + 1)     # crosses boundaries, too long
		line("select", 0)
	}' >"$work/long.in"
printf 'Executed.\nParse error: line too long\nExecuted.\nExecuted.\nParse error: line too long\nExecuted.\nParse error: line too long\n(1, exactly4MiB)\n(3, crlf)\n(4, straddles)\n(6, after)\n' \
	>"$work/exp"
rsh "$work/c.db" <"$work/long.in" >"$work/out" 2>"$work/err"
st=$?
if cmp -s "$work/exp" "$work/out" && [ $st -eq 1 ]; then
	ok "lines of 4 MiB (also with CR) run, longer ones fail, also across chunks"
else
	not_ok "lines of 4 MiB (also with CR) run, longer ones fail, also across chunks" \
		"status $st" "$(diff -u "$work/exp" "$work/out")" "$(cat "$work/err")"
fi

# The same through a pipe: chunking differs, replies do not.
rm -f "$work/c.db" "$work/c.db-wal"
# shellcheck disable=SC2002 # a pipe, not a file, is the point
cat "$work/long.in" | rsh "$work/c.db" >"$work/out" 2>"$work/err"
st=$?
if cmp -s "$work/exp" "$work/out" && [ $st -eq 1 ]; then
	ok "long lines through a pipe"
else
	not_ok "long lines through a pipe" "status $st" "$(diff -u "$work/exp" "$work/out")"
fi

# A last line without newline that is too long.
rm -f "$work/c.db" "$work/c.db-wal"
awk 'BEGIN { printf "insert 1 a\n"; x = "x"; while (length(x) < 4194400) x = x x; printf "%s", x }' |
	rsh "$work/c.db" >"$work/out" 2>"$work/err"
st=$?
printf 'Executed.\nParse error: line too long\n' >"$work/exp"
if cmp -s "$work/exp" "$work/out" && [ $st -eq 1 ] &&
	[ "$(cat "$work/err")" = "Error near line 2: Parse error: line too long" ]; then
	ok "an overlong last line without newline fails at end of input"
else
	not_ok "an overlong last line without newline fails at end of input" "status $st" \
		"$(diff -u "$work/exp" "$work/out")"
fi

done_testing
