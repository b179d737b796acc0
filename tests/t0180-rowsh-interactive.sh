#!/bin/sh
# t0180-rowsh-interactive.sh - rowsh on a terminal, driven through tmux:
# the prompt; Ctrl-C drops the line being typed and a statement being
# joined; at an empty prompt it leaves, but with a transaction open it
# says so and stays; Ctrl-D with a transaction open says it rolled back
# (and it did); the history in ~/.rowsh_history (recalled with Up in the
# next run, mode 0600, none without HOME); .import's progress line on the
# terminal; box mode with wide and combining characters (display widths
# from wcwidth(3)), on the terminal and byte for byte in batch mode.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

[ -x "$ROWSH" ] || skip_all "rowsh not built"
command -v tmux >/dev/null 2>&1 || skip_all "tmux not installed (scripts/deps.sh installs it)"

runs=0
sock=$work/tmux.0.sock
home=$work/home
mkdir "$home" || exit 1
# tm ARGS...: tmux on the test's own server of this run, in UTF-8.
tm() { LC_ALL=C.UTF-8 tmux -u -S "$sock" "$@"; }
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
stop_tmux() {
	for s in "$work"/tmux.*.sock; do
		[ -S "$s" ] && LC_ALL=C.UTF-8 tmux -S "$s" kill-server >/dev/null 2>&1
	done
}
at_exit stop_tmux

# start CMD: a server of its own (a server being killed may still answer
# on the old socket) with a window running CMD, then "EXIT=status".
start() {
	tm kill-server >/dev/null 2>&1
	runs=$((runs + 1))
	sock=$work/tmux.$runs.sock
	tm new-session -d -x 100 -y 50 "$1; echo EXIT=\$?; sleep $((T * 10))" || return 1
}
# screen: what the window shows, its history included.
screen() { tm capture-pane -p -J -S -200 >"$work/screen" 2>/dev/null; }
# wait_for TEXT [COUNT]: until the window shows TEXT (COUNT times); 1 on timeout.
wait_for() {
	i=0
	while [ $i -lt $((T * 10)) ]; do
		screen
		[ "$(grep -c -F -- "$1" "$work/screen")" -ge "${2:-1}" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# keys KEYS...: tmux send-keys (a word in "" is typed as it is).
keys() { tm send-keys "$@"; }
# line TEXT: type TEXT and Enter.
line() { tm send-keys -l "$1" && tm send-keys Enter; }
# shows NAME TEXT [COUNT]: ok if the window comes to show TEXT.
shows() {
	if wait_for "$2" "${3:-1}"; then
		ok "$1"
	else
		not_ok "$1" "not on the screen: $2" "$(cat "$work/screen")"
	fi
}

db=$work/i.db
# the window's shell starts in $work: rowsh by its absolute path
rowsh_bin=$(cd "$(dirname "$ROWSH")" && pwd)/$(basename "$ROWSH")
rowsh_cmd="cd '$work' && HOME='$home' LC_ALL=C.UTF-8 '$rowsh_bin' '$db'"

# ---- Ctrl-C ------------------------------------------------------------------

start "$rowsh_cmd"
shows "the prompt" "db > "
keys "insert 1 typed"
wait_for "insert 1 typed"
keys C-c
line "select"
shows "Ctrl-C drops the line being typed: it never ran" "(empty table)"
screen
if grep -q -F "db > insert 1 typed^C" "$work/screen"; then
	ok "... and shows ^C where it was"
else
	not_ok "... and shows ^C where it was" "$(cat "$work/screen")"
fi
line "select *"
shows "a statement over several lines: the continuation prompt" "   ...> "
keys "from users"
wait_for "from users"
keys C-c
line "insert 2 two"
shows "Ctrl-C drops the statement being joined too" "Executed."
line "begin"
shows "begin" "Executed." 2
line "insert 3 three"
shows "an insert in the transaction" "Executed." 3
keys C-c
shows "Ctrl-C at an empty prompt with a transaction open: says what to do" \
	"transaction open: .quit or Ctrl-D rolls it back"
line "select"
shows "... and rowsh goes on, in the transaction" "(3, three)"
keys C-d
shows "Ctrl-D with the transaction open: it says it rolled back" \
	"open transaction rolled back"
shows "... and exits 0" "EXIT=0"
printf '(2, two)\n' >"$work/exp"
rsh "$db" "select" >"$work/out" 2>&1
check "the transaction's insert is gone, the line after Ctrl-C is there" "$work/exp" "$work/out"

start "$rowsh_cmd"
shows "a new run" "db > "
keys C-c
shows "Ctrl-C at an empty prompt without a transaction leaves" "EXIT=0"

# ---- history -------------------------------------------------------------------

hist=$home/.rowsh_history
if [ -f "$hist" ] && [ "$(stat -c %a "$hist")" = 600 ] && grep -q "insert" "$hist"; then
	ok "the history file written, mode 0600"
else
	not_ok "the history file written, mode 0600" "$(ls -l "$home" 2>&1)" "$(cat "$hist" 2>&1)"
fi
if grep -q "typed" "$hist"; then
	not_ok "a line dropped by Ctrl-C is not in the history" "$(cat "$hist")"
else
	ok "a line dropped by Ctrl-C is not in the history"
fi
start "$rowsh_cmd"
shows "a third run" "db > "
keys Up Up Up Up Enter
shows "Up recalls a statement of the run before (insert 2 two): it runs again" \
	"Error: duplicate key 2."
keys C-d
shows "Ctrl-D without a transaction: exit 0" "EXIT=0"
screen
if grep -q "rolled back" "$work/screen"; then
	not_ok "... and no rollback message" "$(cat "$work/screen")"
else
	ok "... and no rollback message"
fi

rm -f "$hist"
start "cd '$work' && env -u HOME LC_ALL=C.UTF-8 '$rowsh_bin' '$db'"
shows "without HOME" "db > "
line "insert 7 nohome"
shows "a statement" "Executed."
keys C-d
shows "exit" "EXIT=0"
if [ ! -e "$hist" ] && [ ! -e "$work/.rowsh_history" ]; then
	ok "without HOME no history file is written"
else
	not_ok "without HOME no history file is written" "$(ls -la "$home" "$work")"
fi

# ---- .import's progress, box mode ------------------------------------------------

awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "%d,\"row %d\"\n", i, i }' >"$work/rows.csv"
rsh "$db" "create table w (id integer primary key, t text)" >/dev/null
start "$rowsh_cmd"
shows "a fourth run" "db > "
line ".import rows.csv w"
shows ".import on a terminal: a progress line with the total and rows/s" \
	"5000 rows imported in "
screen
if grep -q -E '^5000 rows imported in [0-9]+\.[0-9][0-9] s \([0-9]+ rows/s\)' "$work/screen"; then
	ok "... in the documented form"
else
	not_ok "... in the documented form" "$(cat "$work/screen")"
fi
line "delete from w"
shows "delete" "Executed." 1
# 日本語 is 6 columns, e + U+0301 (combining acute) one, U+1F680 (rocket) two.
nihongo=$(printf '\346\227\245\346\234\254\350\252\236')
e_acute=$(printf 'e\314\201')
rocket=$(printf '\360\237\232\200')
line "insert into w values (1, '$nihongo'), (2, '$e_acute'), (3, '$rocket'), (4, 'abc')"
shows "wide and combining characters typed in" "Executed." 2
line ".mode box"
line "select * from w"
cat >"$work/box" <<EOF
┌────┬────────┐
│ id │   t    │
├────┼────────┤
│ 1  │ $nihongo │
│ 2  │ $e_acute      │
│ 3  │ $rocket     │
│ 4  │ abc    │
└────┴────────┘
EOF
shows "box mode" "└────┴────────┘"
sed -n '/^┌/,/^└/p' "$work/screen" >"$work/out"
check "box mode on the terminal: the borders line up (wcwidth)" "$work/box" "$work/out"
keys C-d
wait_for "EXIT="

printf '.mode box\nselect * from w\n' | LC_ALL=C rsh "$db" >"$work/out" 2>&1
check "box mode in batch mode, in the C locale: the same bytes" "$work/box" "$work/out"

done_testing
