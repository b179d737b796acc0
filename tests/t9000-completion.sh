#!/bin/sh
# t9000-completion.sh - the bash completion of rowfs, rowsh and fsck.rowfs
# (completion/rowfs): options, -o's list and its values, the database file,
# the mountpoint as a directory.  Each line completes as bash would with
# the cursor at its end (words split at blanks, '=' and ':'), in a
# directory holding a.db, b.db, d1/ and d2/; the replies are sorted.
#
# TAP output, one test per line completed.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"

command -v bash >/dev/null 2>&1 || skip_all "bash is not installed"
mkdir "$work/d1" "$work/d2" && : >"$work/a.db" && : >"$work/b.db" || exit 1

# The driver: sources the completion (no bash-completion), then for each
# argument prints "LINE => REPLY REPLY ...".
cat >"$work/comp.bash" <<'DRIVER'
# shellcheck disable=SC1090
source "$1" || exit 1
shift
comp() {
	COMP_LINE=$1
	COMP_POINT=${#1}
	COMP_WORDS=()
	local w="" i ch f
	for ((i = 0; i < ${#1}; i++)); do
		ch=${1:i:1}
		if [[ $ch == [[:space:]] ]]; then
			[[ -n $w ]] && COMP_WORDS+=("$w")
			w=""
		elif [[ $ch == [=:] ]]; then
			[[ -n $w && $w != [=:]* ]] && { COMP_WORDS+=("$w"); w=""; }
			w+=$ch
		else
			[[ $w == [=:]* ]] && { COMP_WORDS+=("$w"); w=""; }
			w+=$ch
		fi
	done
	COMP_WORDS+=("$w")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	f=$(complete -p "${COMP_WORDS[0]}" | sed 's/.*-F \([^ ]*\) .*/\1/')
	"$f"
	printf '%s => ' "$1"
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ *$//'
	echo
}
for l in "$@"; do comp "$l"; done
DRIVER

# case LINE EXPECTED-REPLIES
case_() {
	out=$(cd "$work" && bash comp.bash "$top_srcdir/completion/rowfs" "$1" 2>&1)
	expect "$1" "$1 => $2" "$out"
}

case_ "rowfs -" "--cache_pages= --ctl_memory= --help --ro --snapshot_pages= --sync= --version --wal_limit= -V -d -f -h -o -s"
case_ "rowfs --sn" "--snapshot_pages="
case_ "rowfs --sync=" "full normal off"
case_ "rowfs --sync=n" "normal"
case_ "rowfs -o " "allow_other auto_unmount cache_pages= ctl_memory= default_permissions max_threads= ro snapshot_pages= sync=full sync=normal sync=off wal_limit="
case_ "rowfs -o sync=" "full normal off"
case_ "rowfs -o ro,ca" "ro,cache_pages="
case_ "rowfs -oro,sy" "-oro,sync=full -oro,sync=normal -oro,sync=off"
case_ "rowfs " "a.db b.db comp.bash d1 d2"
case_ "rowfs a" "a.db"
case_ "rowfs a.db " "d1 d2"
case_ "rowfs -o sync=full,ro -f a.db d" "d1 d2"
case_ "rowfs a.db d1 " ""
case_ "rowsh -" "--cache-pages= --help --read-only --sync= --version -V -bail -box -cmd -csv -h -json -line -list -o"
case_ "rowsh --sync=o" "off"
case_ "rowsh -cmd " ""
case_ "rowsh -cmd .tables b" "b.db"
case_ "rowsh -csv d" "d1 d2"
case_ "rowsh a.db " ""
case_ "fsck.rowfs -" "--help --output --salvage --verbose --version -C -V -a -f -h -n -o -p -s -v -y"
case_ "fsck.rowfs -n a" "a.db"
case_ "fsck.rowfs --salvage -o " "a.db b.db comp.bash d1 d2"
case_ "fsck.rowfs --salvage -o out a" "a.db"
case_ "fsck.rowfs -y a.db " ""

done_testing
