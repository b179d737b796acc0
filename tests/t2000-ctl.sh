#!/bin/sh
# t2000-ctl.sh - the ctl stream: the reply channel of an O_RDWR descriptor,
# statements and meta-commands through it, lines split across writes, a
# partial line run at close, CRLF, blank lines, `>` vs `>>`, truncate and
# dd seek= (offsets ignored), independent handles, the bounded reply queue
# and a 1 MiB line without newline.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

# replies: everything queued on fd 3 now.
replies() { t cat <&3; }

# 1: select on an empty table, through the reply channel.
exec 3<>"$ctl"
echo "select" >&3
expect "select on an empty table: (empty table)" "(empty table)" "$(replies)"

# 2: the tutorial session on one descriptor.
echo "insert 1 alice" >&3
echo "insert 2 bob" >&3
echo "select" >&3
printf 'Executed.\nExecuted.\n(1, alice)\n(2, bob)\n' >"$work/exp"
replies >"$work/out"
check "exec 3<>ctl: insert, insert, select; cat <&3 returns the replies" "$work/exp" "$work/out"
expect "nothing queued: read returns 0 at once" "" "$(replies)"

# 3-4: meta-commands through ctl give the files' texts.
echo ".constants" >&3
replies >"$work/out"
t cat "$mnt/constants" >"$work/exp"
check ".constants on ctl = the constants file" "$work/exp" "$work/out"
echo ".btree" >&3
replies >"$work/out"
t cat "$mnt/btree" >"$work/exp"
check ".btree on ctl = the btree file" "$work/exp" "$work/out"

# 5-6: a line split over several writes of one descriptor.  Every close()
# flushes, and a shell closes a dup of the descriptor after each redirected
# builtin (`printf ... >&3`), so the pieces go through one redirection
# (a group), or through wrtest, which does one write() per argument.
{
	printf 'ins'
	printf 'ert 3 car'
	printf 'ol\ninsert 4 '
	printf 'dave\n'
} >&3
expect "a line split across writes runs once whole" "$(printf 'Executed.\nExecuted.')" "$(replies)"
exec 3>&-
t "$WRTEST" -r "$ctl" 'insert 15 o' 'tto\ninsert 16 p' 'aul\n' >"$work/out"
printf '11\n15\n4\n--\nExecuted.\nExecuted.\nclose 0\n' >"$work/exp"
check "wrtest: three write()s, two lines, two replies" "$work/exp" "$work/out"

# 6-7: a partial last line runs at close; its error comes back from close().
printf 'insert 5 eve' >"$ctl"
if t cat "$mnt/rows" | grep -q -x "5	eve"; then ok "partial line runs at close"; else
	not_ok "partial line runs at close"; fi
out=$(t "$WRTEST" "$ctl" 'insert 5 again' | tr '\n' ' ')
expect "a failing partial line: close() returns EEXIST" "14 close -1 EEXIST " "$out"

# 8: CRLF lines.
printf 'insert 6 frank\r\ninsert 7 grace\r\n' >"$ctl"
if t cat "$mnt/rows" | grep -q -x "7	grace" && ! t cat "$mnt/rows" | grep -q "$(printf '\r')"; then
	ok "CRLF: lines run, no CR stored"
else
	not_ok "CRLF: lines run, no CR stored" "$(t cat "$mnt/rows" | od -c | head)"
fi

# 9: blank lines: accepted, no reply.
exec 3<>"$ctl"
if printf '\n\n   \n\t\n\r\n' >&3; then ok "blank lines accepted"; else not_ok "blank lines accepted"; fi
expect "blank lines: no reply" "" "$(replies)"

# 10: .exit is accepted and does nothing.
echo ".exit" >&3
echo "insert 8 heidi" >&3
expect ".exit: no reply, the handle goes on" "Executed." "$(replies)"
exec 3>&-

# 11: `>` (O_TRUNC) and `>>` (O_APPEND) both just insert.
before=$(t cat "$mnt/rows" | wc -l)
echo "insert 9 ivan" >"$ctl"
echo "insert 10 judy" >>"$ctl"
expect "> and >> both insert, nothing cleared" $((before + 2)) "$(t cat "$mnt/rows" | wc -l)"

# 12: truncate never clears.
if t truncate -s 0 "$ctl" && t truncate -s 100 "$ctl" &&
	[ "$(t cat "$mnt/rows" | wc -l)" = $((before + 2)) ]; then
	ok "truncate -s0 / -s100 ctl: success, nothing cleared"
else
	not_ok "truncate -s0 / -s100 ctl: success, nothing cleared"
fi

# 13: dd seek= (offset ignored; dd's ftruncate is a no-op too).
if printf 'insert 11 ken\n' | t dd of="$ctl" bs=512 seek=3 2>"$work/err" &&
	printf 'insert 12 leo\n' | t dd of="$ctl" bs=1 seek=1000 conv=notrunc 2>>"$work/err" &&
	t cat "$mnt/rows" | grep -q -x "11	ken" && t cat "$mnt/rows" | grep -q -x "12	leo"; then
	ok "dd seek= writes statements"
else
	not_ok "dd seek= writes statements" "$(cat "$work/err")"
fi

# 14-15: two handles: replies and partial lines stay apart.
t "$WRTEST" -r "$ctl" 'insert 13 ' @2 'insert 14 mia\n' @1 'ned\n' @2 'insert 1 dup\n' >"$work/out"
printf '10\n14\n4\n-1 EEXIST\n--\nExecuted.\n-- 2\nExecuted.\nError: duplicate key 1.\nclose 0\nclose 0\n' \
	>"$work/exp"
check "two handles: each sees only its own replies" "$work/exp" "$work/out"
if t cat "$mnt/rows" | grep -q -x "13	ned" && t cat "$mnt/rows" | grep -q -x "14	mia"; then
	ok "partial lines of two handles do not mix"
else
	not_ok "partial lines of two handles do not mix" "$(t cat "$mnt/rows")"
fi

# 17-18: a client that never reads: the queue keeps the newest 256 KiB.
awk 'BEGIN { for (i = 100000; i < 130000; i++) printf "insert %d q\n", i }' >"$work/30000.in"
before=$(t cat "$mnt/rows" | wc -l)
exec 3<>"$ctl"
t cat "$work/30000.in" >&3
replies >"$work/out"
exec 3>&-
first=$(head -n 1 "$work/out")
case $first in
"("*" replies dropped)")
	dropped=${first#(}
	dropped=${dropped%% *}
	kept=$(($(wc -l <"$work/out") - 1))
	if [ $((dropped + kept)) = 30000 ] && [ "$(wc -c <"$work/out")" -le $((256 * 1024 + 64)) ]; then
		ok "queue overflow: '$first', $kept kept, at most 256 KiB"
	else
		not_ok "queue overflow: counts add up" "dropped $dropped kept $kept"
	fi
	;;
*) not_ok "queue overflow: '(N replies dropped)' first" "first line: $first" ;;
esac
expect "queue overflow: every row inserted" $((before + 30000)) "$(t cat "$mnt/rows" | wc -l)"

# 19-21: a 5 MiB line without newline (lines may be 4 MiB): EINVAL at
# close, memory bounded (a partial line holds at most 4 MiB, freed when it
# ends; the allocator may keep some of it: 16 MiB of slack).
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$daemon_pid/status"; }
rss_before=$(rss)
if head -c 5242880 /dev/zero | tr '\0' x | t dd of="$ctl" bs=65536 2>"$work/err"; then
	not_ok "5 MiB line without newline: EINVAL" "dd succeeded"
elif grep -q "Invalid argument" "$work/err"; then
	ok "5 MiB line without newline: EINVAL"
else
	not_ok "5 MiB line without newline: EINVAL" "$(cat "$work/err")"
fi
# (head and tr must not inherit fd 3: their exit would flush the partial line)
exec 3<>"$ctl"
head -c 5242880 /dev/zero 3>&- | tr '\0' x 3>&- | t dd bs=65536 >&3 3>&- 2>/dev/null
expect "5 MiB line: the reply is Parse error: line too long" "Parse error: line too long" "$(replies)"
exec 3>&-
rss_after=$(rss)
# Under AddressSanitizer freed buffers sit in a quarantine of up to 256 MiB
# (as in t5000), so a sanitizer build gets that much more room.
rss_room=16384
if grep -q AddressSanitizer "$ROWFS" 2>/dev/null; then
	rss_room=$((rss_room + 262144))
fi
if daemon_alive && [ $((rss_after - rss_before)) -lt "$rss_room" ] &&
	echo "insert 200000 alive" >"$ctl"; then
	ok "daemon alive, RSS grew by $((rss_after - rss_before)) KiB (< $rss_room KiB)"
else
	not_ok "daemon alive and bounded" "rss before $rss_before after $rss_after KiB"
fi

if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
done_testing
