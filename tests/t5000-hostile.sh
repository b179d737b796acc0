#!/bin/sh
# t5000-hostile.sh - hostile clients of a mount: NUL bytes, control bytes
# and invalid UTF-8 in names (token errors at their positions), valid UTF-8
# stored byte for byte, ids that must never wrap, CRLF and blank lines,
# 32- and 33-byte names, odd offsets, O_APPEND, reads of ctl without a
# write, readers of `rows` that stop early, a 1 MiB line, a client that
# writes 64 MiB without a newline (to ctl and to by-id/ID) and one that
# never reads its replies.
# After each group: the daemon is alive, every row written before is
# intact, and after an unmount fsck.rowfs finds the files clean; the
# daemon's memory stays bounded throughout.  TAP.

. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
ctl=$mnt/ctl
exp_rows=$work/expected.rows   # every row that must be in `rows`, sorted
: >"$exp_rows"

# RSS_LIMIT_KB: the daemon's VmRSS must stay below it (64 MiB).  Under
# AddressSanitizer freed memory sits in a quarantine of up to 256 MiB, so a
# sanitizer build gets that much more.
RSS_LIMIT_KB=65536
if grep -q AddressSanitizer "$ROWFS" 2>/dev/null; then
	RSS_LIMIT_KB=$((RSS_LIMIT_KB + 262144))
fi
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status" 2>/dev/null; }
max_rss=0
note_rss() {
	r=$(rss)
	[ -n "$r" ] && [ "$r" -gt "$max_rss" ] && max_rss=$r
	return 0
}

# add_rows: append "ID<TAB>NAME" lines (stdin) to the expected rows.
add_rows() {
	cat >>"$exp_rows"
	LC_ALL=C sort -n -k1,1 "$exp_rows" -o "$exp_rows"
}

# intact WHAT: the daemon is alive and `rows` is exactly the expected rows.
intact() {
	if ! daemon_alive; then
		not_ok "$1: daemon alive"
		return
	fi
	note_rss
	t cat "$mnt/rows" >"$work/rows.now"
	if cmp -s "$exp_rows" "$work/rows.now"; then
		ok "$1: daemon alive, rows intact ($(wc -l <"$exp_rows") rows)"
	else
		not_ok "$1: daemon alive, rows intact" \
			"$(diff "$exp_rows" "$work/rows.now" | head -20)"
	fi
}

# cycle WHAT: unmount cleanly, fsck.rowfs exits 0, mount again.
cycle() {
	if umount_rowfs; then
		t "$FSCK" "$db" >"$work/fsck.out" 2>&1
		st=$?
		if [ "$st" -eq 0 ]; then
			ok "$1: clean unmount, fsck.rowfs clean"
		else
			not_ok "$1: fsck.rowfs clean" "exit $st" "$(head -20 "$work/fsck.out")"
		fi
	else
		not_ok "$1: clean unmount"
	fi
	mount_rowfs || { not_ok "mount again"; done_testing; }
}

# err NAME ERRNO TEXT DATA: one write() of DATA (wrtest escapes) returns
# -1 ERRNO and the reply on the same descriptor is TEXT.
err() {
	t "$WRTEST" -r "$ctl" "$4" >"$work/out"
	printf -- '-1 %s\n--\n%s\nclose 0\n' "$2" "$3" >"$work/exp"
	if cmp -s "$work/exp" "$work/out"; then
		ok "$1"
	else
		not_ok "$1" "$(diff -u "$work/exp" "$work/out" | head -20)"
	fi
}

# good NAME DATA: one write() of DATA succeeds (whole count), no error reply.
good() {
	t "$WRTEST" -r "$ctl" "$2" >"$work/out"
	if [ "$(head -n 1 "$work/out")" -gt 0 ] 2>/dev/null && ! grep -q -- '-1\|rror' "$work/out"; then
		ok "$1"
	else
		not_ok "$1" "$(cat "$work/out")"
	fi
}

mount_rowfs || { not_ok "mount"; done_testing; }
printf 'insert 1 alice\ninsert 2 bob\ninsert 3 carol\n' >"$ctl"
printf '1\talice\n2\tbob\n3\tcarol\n' | add_rows
intact "setup"

# --- NUL bytes -------------------------------------------------------------
err "NUL inside a name: EINVAL, 'Parse error: NUL byte'" EINVAL "Parse error: NUL byte" \
	'insert 10 a\0b\n'
err "a line that is one NUL" EINVAL "Parse error: NUL byte" '\0\n'
err "NUL after a bad byte: the NUL wins" EINVAL "Parse error: NUL byte" 'insert 10 @\0\n'
err "NUL in the middle of the keyword" EINVAL "Parse error: NUL byte" 'ins\0ert 10 x\n'
intact "NUL bytes"

# --- control bytes and invalid UTF-8 in names: the first bad byte -----------
err "control byte \\x01 at position 11" EINVAL \
	"Token error: Unexpected character '\\x01' at position 11" 'insert 11 a\x01b\n'
err "escape \\x1B at position 10" EINVAL \
	"Token error: Unexpected character '\\x1B' at position 10" 'insert 11 \x1b[31mred\n'
err "DEL \\x7F at position 12" EINVAL \
	"Token error: Unexpected character '\\x7F' at position 12" 'insert 11 ab\x7f\n'
err "a CR in the middle of a line" EINVAL \
	"Token error: Unexpected character '\\x0D' at position 11" 'insert 11 a\rb\n'
err "a form feed" EINVAL \
	"Token error: Unexpected character '\\x0C' at position 6" 'insert\x0c11 x\n'
err "a lone continuation byte" EINVAL \
	"Token error: Unexpected character '\\x80' at position 10" 'insert 11 \x80abc\n'
err "\\xFF" EINVAL "Token error: Unexpected character '\\xFF' at position 11" 'insert 11 a\xffb\n'
err "overlong NUL \\xC0\\x80" EINVAL \
	"Token error: Unexpected character '\\xC0' at position 10" 'insert 11 \xc0\x80\n'
err "overlong '/' \\xE0\\x80\\xAF" EINVAL \
	"Token error: Unexpected character '\\xE0' at position 10" 'insert 11 \xe0\x80\xaf\n'
err "a UTF-16 surrogate \\xED\\xA0\\x80" EINVAL \
	"Token error: Unexpected character '\\xED' at position 12" 'insert 11 ab\xed\xa0\x80\n'
err "past U+10FFFF \\xF4\\x90\\x80\\x80" EINVAL \
	"Token error: Unexpected character '\\xF4' at position 10" 'insert 11 \xf4\x90\x80\x80\n'
err "a sequence cut by the end of the line" EINVAL \
	"Token error: Unexpected character '\\xE6' at position 11" 'insert 11 a\xe6\x97\n'
err "a sequence cut by a space" EINVAL \
	"Token error: Unexpected character '\\xC3' at position 10" 'insert 11 \xc3 x\n'
err "a bad byte after a complete statement is still a token error" EINVAL \
	"Token error: Unexpected character '\\x01' at position 13" 'insert 11 ok \x01\n'
err "quotes and shell characters" EINVAL \
	"Token error: Unexpected character ''' at position 10" "insert 11 'x'\\n"
err "a semicolon cannot chain statements" EINVAL \
	"Token error: Unexpected character ';' at position 11" 'insert 11 x;insert 12 y\n'
intact "control bytes and invalid UTF-8"

# --- valid UTF-8 is stored byte for byte; rows has one line per row --------
good "UTF-8 names of 2, 3 and 4 bytes per character" \
	'insert 20 \xc3\xa9t\xc3\xa9\ninsert 21 \xe6\x97\xa5\xe6\x9c\xac\ninsert 22 \xf0\x9f\x98\x80\xf0\x9f\x90\xa7\ninsert 23 \xef\xbb\xbfbom\ninsert 24 \xe2\x80\xae\xe2\x80\x8b\n'
printf '20\t\303\251t\303\251\n21\t\346\227\245\346\234\254\n22\t\360\237\230\200\360\237\220\247\n' | add_rows
printf '23\t\357\273\277bom\n24\t\342\200\256\342\200\213\n' | add_rows
good "the largest characters: U+10FFFF, U+FFFF" 'insert 25 \xf4\x8f\xbf\xbf\xef\xbf\xbf\n'
printf '25\t\364\217\277\277\357\277\277\n' | add_rows
intact "UTF-8 names"
lines=$(t cat "$mnt/rows" | wc -l)
expect "rows: one line per row" "$(wc -l <"$exp_rows")" "$lines"

# --- ids: never wrapped or truncated ---------------------------------------
good "id 4294967295" 'insert 4294967295 max\n'
good "id with 20 leading zeros" 'insert 0000000000000000000030 zeros\n'
good "id 0" 'insert 0 zero\n'
printf '4294967295\tmax\n30\tzeros\n0\tzero\n' | add_rows
err "id 4294967296" EINVAL "Parse error: Row id out of range" 'insert 4294967296 x\n'
err "id 99999999999999999999" EINVAL "Parse error: Row id out of range" \
	'insert 99999999999999999999 x\n'
err "id 18446744073709551616 (2^64)" EINVAL "Parse error: Row id out of range" \
	'insert 18446744073709551616 x\n'
err "id -1" EINVAL "Parse error: Row id must be non-negative" 'insert -1 x\n'
err "id -0" EINVAL "Parse error: Row id must be non-negative" 'insert -0 x\n'
err "id 0x10" EINVAL "Parse error: Expected INTEGER, got STRING at position 7" 'insert 0x10 x\n'
err "id +5" EINVAL "Token error: Unexpected character '+' at position 7" 'insert +5 x\n'
err "id 1e3" EINVAL "Parse error: Expected INTEGER, got STRING at position 7" 'insert 1e3 x\n'
err "id 12ab" EINVAL "Parse error: Expected INTEGER, got STRING at position 7" 'insert 12ab x\n'
err "id 4294967295 again: duplicate, not wrapped" EEXIST "Error: duplicate key 4294967295." \
	'insert 4294967295 y\n'
err "id 000 is 0: duplicate" EEXIST "Error: duplicate key 0." 'insert 000 y\n'
intact "ids"

# --- CRLF, blank lines ------------------------------------------------------
good "CRLF lines" 'insert 40 crlf\r\ninsert 41 two\r\n'
printf '40\tcrlf\n41\ttwo\n' | add_rows
err "two CRs: only one is dropped" EINVAL \
	"Token error: Unexpected character '\\x0D' at position 11" 'insert 42 x\r\r\n'
good "blank, all-space and all-tab lines" '\n\n   \n\t\t\n \t \r\n\n'
t "$WRTEST" -r "$ctl" '\n\n\n' >"$work/out"
printf '3\n--\nclose 0\n' >"$work/exp"
check "blank lines: no reply at all" "$work/exp" "$work/out"
good "tabs and spaces around tokens" '\t insert\t\t43 \t tabbed \t\n'
printf '43\ttabbed\n' | add_rows
intact "CRLF and blank lines"

# --- 32- and 33-byte names ---------------------------------------------------
n32=abcdefghijklmnopqrstuvwxyz012345
good "a 32-byte name" "insert 50 $n32\\n"
good "a 32-byte name of 16 two-byte characters" \
	'insert 51 \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\n'
printf '50\t%s\n51\t%s\n' "$n32" \
	"$(printf '\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\251')" |
	add_rows
err "a 33-byte name" EINVAL "Error: username too long (33 > 32)" "insert 52 ${n32}6\\n"
err "a 33-byte name of 11 three-byte characters" EINVAL "Error: username too long (33 > 32)" \
	'insert 53 \xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\n'
err "a 4000-byte name" EINVAL "Error: username too long (4000 > 32)" \
	"insert 54 $(head -c 4000 /dev/zero | tr '\0' n)\\n"
intact "32- and 33-byte names"
cycle "names and ids"

# --- odd offsets, O_APPEND, many small writes -------------------------------
if printf 'insert 60 seek\n' | t dd of="$ctl" bs=1 seek=4095 conv=notrunc 2>"$work/err" &&
	printf 'insert 61 odd\n' | t dd of="$ctl" bs=3 seek=12345679 conv=notrunc 2>>"$work/err" &&
	printf 'insert 62 huge\n' | t dd of="$ctl" bs=1 seek=9000000000000 conv=notrunc 2>>"$work/err"
then
	ok "dd seek= at odd offsets (4095, 37037037, 9e12): written"
else
	not_ok "dd seek= at odd offsets" "$(cat "$work/err")"
fi
printf '60\tseek\n61\todd\n62\thuge\n' | add_rows
if printf 'insert 63 append\ninsert 64 again\n' >>"$ctl" &&
	python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
assert os.write(fd, b"insert 65 py") == 12
assert os.write(fd, b"append\n") == 7
os.close(fd)' "$ctl" 2>"$work/err"; then
	ok "O_APPEND: >> and os.open(O_APPEND) write statements"
else
	not_ok "O_APPEND" "$(cat "$work/err")"
fi
printf '63\tappend\n64\tagain\n65\tpyappend\n' | add_rows
# one statement spread over 2-byte writes
if printf 'insert 66 tiny_writes\n' | t dd of="$ctl" bs=2 2>"$work/err"; then
	ok "a line written 2 bytes at a time"
else
	not_ok "a line written 2 bytes at a time" "$(cat "$work/err")"
fi
printf '66\ttiny_writes\n' | add_rows
intact "offsets and O_APPEND"

# --- reading ctl without writing --------------------------------------------
if [ -z "$(t cat "$ctl")" ] && [ -z "$(t dd if="$ctl" bs=1 count=10 2>/dev/null)" ]; then
	ok "reading ctl without writing: 0 bytes at once"
else
	not_ok "reading ctl without writing: 0 bytes at once"
fi
if python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for i in range(100):
    assert os.read(fd, 65536) == b""
os.close(fd)' "$ctl" 2>"$work/err"; then
	ok "100 reads on a fresh O_RDWR descriptor: all empty, none blocks"
else
	not_ok "100 reads on a fresh O_RDWR descriptor" "$(cat "$work/err")"
fi
intact "reads of ctl"

# --- a 1 MiB line without newline ------------------------------------------
if head -c 1048576 /dev/zero | tr '\0' x | t cat >"$ctl" 2>"$work/err"; then
	not_ok "1 MiB line without newline via cat: EINVAL at close" "cat succeeded"
else
	ok "1 MiB line without newline via cat: fails (EINVAL at close)"
fi
note_rss
good "a statement right after it" 'insert 70 after_long\n'
printf '70\tafter_long\n' | add_rows
intact "1 MiB line"
cycle "writers"

# --- readers of rows that stop early ----------------------------------------
awk 'BEGIN { for (i = 100000; i < 150000; i++) printf "insert %d r%d\n", i, i }' >"$work/50k.in"
if t cat "$work/50k.in" >"$ctl"; then ok "50,000 rows inserted"; else not_ok "50,000 rows inserted"; fi
awk 'BEGIN { for (i = 100000; i < 150000; i++) printf "%d\tr%d\n", i, i }' | add_rows
head -c 100 "$exp_rows" >"$work/exp"
t head -c 100 "$mnt/rows" >"$work/out"
check "head -c 100 rows: the first 100 bytes" "$work/exp" "$work/out"
i=0
while [ $i -lt 20 ]; do
	t head -n 3 "$mnt/rows" >/dev/null
	t dd if="$mnt/rows" bs=1000 count=3 of=/dev/null 2>/dev/null
	i=$((i + 1))
done
if python3 -c '
import os, sys, time
fds = [os.open(sys.argv[1], os.O_RDONLY) for i in range(50)]
for k, fd in enumerate(fds):
    os.read(fd, 100 + 37 * k)           # each stops somewhere else
for fd in fds[::2]:
    os.close(fd)
f = open(sys.argv[1], "rb")
f.read(5000)
f.close()
for fd in fds[1::2]:
    os.read(fd, 4096)
    os.close(fd)' "$mnt/rows" 2>"$work/err"; then
	ok "50 readers stop at different places and close early"
else
	not_ok "50 readers stop early" "$(cat "$work/err")"
fi
# a reader that has its descriptor closed under it by exit while blocked in a pipe
t sh -c "cat '$mnt/rows' | head -c 10 >/dev/null"
intact "early readers"

# --- a client that writes 64 MiB without a newline ---------------------------
rss_sampler() {
	# samples VmRSS every 0.1 s into $work/rss until $work/stop exists (bounded)
	j=0
	while [ ! -e "$work/stop" ] && [ $j -lt $((T * 40)) ]; do
		awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status" >>"$work/rss" 2>/dev/null
		sleep_a_bit
		j=$((j + 1))
	done
}
rm -f "$work/stop" "$work/rss"
rss_sampler &
sampler=$!
start=$(date +%s)
head -c 64M /dev/zero | tr '\0' a | t dd of="$ctl" bs=1M 2>"$work/err"
st=$?
touch "$work/stop"
wait "$sampler"
peak=$(sort -n "$work/rss" 2>/dev/null | tail -n 1)
[ -n "$peak" ] && [ "$peak" -gt "$max_rss" ] && max_rss=$peak
if [ "$st" -ne 0 ] && grep -q "Invalid argument" "$work/err"; then
	ok "64 MiB without a newline: EINVAL at the end ($(($(date +%s) - start)) s)"
else
	not_ok "64 MiB without a newline: EINVAL at the end" "status $st" "$(cat "$work/err")"
fi
if [ -n "$peak" ] && [ "$peak" -lt "$RSS_LIMIT_KB" ]; then
	ok "64 MiB without a newline: daemon VmRSS peak $peak KiB (< $RSS_LIMIT_KB)"
else
	not_ok "64 MiB without a newline: daemon VmRSS bounded" "peak ${peak:-?} KiB"
fi
intact "64 MiB line"

# --- the other files under the same abuse --------------------------------------
# by-id/ID: 64 MiB without a newline (its line is bounded too), a NUL, and
# readers of rows.csv, rows.ndjson and range/ that stop early.
rm -f "$work/stop" "$work/rss"
rss_sampler &
sampler=$!
head -c 64M /dev/zero | tr '\0' b | t dd of="$mnt/by-id/7" bs=1M 2>"$work/err"
st=$?
touch "$work/stop"
wait "$sampler"
peak=$(sort -n "$work/rss" 2>/dev/null | tail -n 1)
[ -n "$peak" ] && [ "$peak" -gt "$max_rss" ] && max_rss=$peak
if [ "$st" -ne 0 ] && grep -q "Invalid argument" "$work/err" && [ ! -e "$mnt/by-id/7" ]; then
	ok "64 MiB without a newline to by-id/7: EINVAL, no row 7 (VmRSS peak ${peak:-?} KiB)"
else
	not_ok "64 MiB without a newline to by-id/7: EINVAL, no row 7" "status $st" "$(cat "$work/err")"
fi
if python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
try:
    os.write(fd, b"a\0b\n")
    sys.exit(1)
except OSError as e:
    sys.exit(0 if e.errno == 22 else 1)
finally:
    try:
        os.close(fd)
    except OSError:
        pass' "$mnt/by-id/8" 2>"$work/err" && [ ! -e "$mnt/by-id/8" ]; then
	ok "a NUL written to by-id/8: EINVAL, no row 8"
else
	not_ok "a NUL written to by-id/8: EINVAL, no row 8" "$(cat "$work/err")"
fi
for f in rows.csv rows.ndjson range/100000-149999 first/40000 last/40000; do
	t head -c 100 "$mnt/$f" >/dev/null 2>&1
	t dd if="$mnt/$f" bs=1000 count=2 of=/dev/null 2>/dev/null
done
if python3 -c '
import os, sys
fds = [os.open(os.path.join(sys.argv[1], f), os.O_RDONLY)
       for f in ["rows.csv", "rows.ndjson", "range/0-4294967295", "last/50000"] * 10]
for k, fd in enumerate(fds):
    os.read(fd, 50 + 91 * k)
for fd in fds:
    os.close(fd)' "$mnt" 2>"$work/err"; then
	ok "readers of rows.csv, rows.ndjson, range/ and last/ stop early"
else
	not_ok "readers of rows.csv, rows.ndjson, range/ and last/ stop early" "$(cat "$work/err")"
fi
intact "by-id/ and the renderings"

# --- a client that never reads its replies -----------------------------------
awk 'BEGIN { for (i = 200000; i < 300000; i++) printf "insert %d n\n", i }' >"$work/100k.in"
rm -f "$work/stop" "$work/rss"
rss_sampler &
sampler=$!
exec 3<>"$ctl"
t cat "$work/100k.in" >&3 3>&-
st=$?
python3 -c '
import os, sys
fd = 3
out = b""
while True:
    b = os.read(fd, 65536)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)' >"$work/replies" 2>"$work/err"
exec 3>&-
touch "$work/stop"
wait "$sampler"
peak=$(sort -n "$work/rss" 2>/dev/null | tail -n 1)
[ -n "$peak" ] && [ "$peak" -gt "$max_rss" ] && max_rss=$peak
first=$(head -n 1 "$work/replies")
kept=$(($(wc -l <"$work/replies") - 1))
case $first in
"("*" replies dropped)")
	dropped=${first#(}
	dropped=${dropped%% *}
	if [ "$st" -eq 0 ] && [ $((dropped + kept)) -eq 100000 ] &&
		[ "$(wc -c <"$work/replies")" -le $((256 * 1024 + 64)) ]; then
		ok "100,000 statements never read: '$first', $kept kept, at most 256 KiB"
	else
		not_ok "100,000 statements never read: counts" "status $st dropped $dropped kept $kept"
	fi
	;;
*) not_ok "100,000 statements never read: '(N replies dropped)' first" "first: $first" ;;
esac
if [ -n "$peak" ] && [ "$peak" -lt "$RSS_LIMIT_KB" ]; then
	ok "never-reading client: daemon VmRSS peak $peak KiB (< $RSS_LIMIT_KB)"
else
	not_ok "never-reading client: daemon VmRSS bounded" "peak ${peak:-?} KiB"
fi
awk 'BEGIN { for (i = 200000; i < 300000; i++) printf "%d\tn\n", i }' | add_rows
intact "never-reading client"

note_rss
if [ "$max_rss" -lt "$RSS_LIMIT_KB" ]; then
	ok "daemon VmRSS stayed below $RSS_LIMIT_KB KiB (peak $max_rss KiB)"
else
	not_ok "daemon VmRSS stayed below $RSS_LIMIT_KB KiB" "peak $max_rss KiB"
fi
cycle "readers and floods"
intact "after the last remount"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
t "$FSCK" "$db" >"$work/fsck.out" 2>&1
expect "fsck.rowfs exit 0 at the end" 0 $?
done_testing
