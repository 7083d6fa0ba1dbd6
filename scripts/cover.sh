#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The end of cover-letter.txt lists the series: a "Patches:" section, one
# line per patch in series order, and a "Diffstat:" section, the diffstat
# of the whole series against the base.  Both must match the series.
#
#   cover.sh check   fail (exit 1) when they do not, saying what differs
#   cover.sh sync    rewrite both sections from the series
#
# The mail targets drop both sections: git format-patch --cover-letter
# writes its own shortlog and diffstat of the same series.
set -o pipefail

TOP=${HARNESS_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
COVER=$TOP/cover-letter.txt

die() { echo "error: $*" >&2; exit 1; }

# The two sections as they should be.
expected() {
	local ktree state base branch n i=0 f subj
	n=$(grep -c . "$TOP/series")
	echo "Patches:"
	while read -r f; do
		[ -n "$f" ] || continue
		i=$((i + 1))
		[ -f "$TOP/patches/$f" ] || die "series lists $f, which is not in patches/"
		subj=$(sed -n '/^Subject: /{s/^Subject: *//;s/^\[PATCH[^]]*\] *//;p;q}' "$TOP/patches/$f")
		printf '  %02d/%02d %s\n' "$i" "$n" "$subj"
	done <"$TOP/series"
	ktree=$("$TOP/scripts/harness.sh" ktree)
	state=$("$TOP/scripts/harness.sh" builddir)/state
	base=$(cat "$state/base" 2>/dev/null) && branch=$(cat "$state/branch" 2>/dev/null) ||
		die "no kernel tree to take the diffstat from: run 'make apply'"
	echo
	echo "Diffstat:"
	git -C "$ktree" diff --stat=72 "$base" "$branch" ||
		die "no diffstat: is the series applied in $ktree? run 'make apply'"
}

# The two sections as cover-letter.txt has them.
current() {
	sed -n '/^Patches:$/,$p' "$COVER"
}

case "$1" in
check)
	[ -f "$COVER" ] || die "no cover-letter.txt"
	exp=$(expected) || exit 1
	if [ "$exp" != "$(current)" ]; then
		echo "cover-letter.txt does not match the series (patch list or diffstat):"
		diff <(current) <(echo "$exp") | head -20 | sed 's/^/    /'
		echo "  fix the text if patches changed meaning, then: scripts/cover.sh sync"
		exit 1
	fi
	echo "  cover letter matches the series ($(grep -c . "$TOP/series") patches, diffstat)"
	;;
sync)
	exp=$(expected) || exit 1
	tmp=$(mktemp "$COVER.XXXXXX")
	{ sed '/^Patches:$/,$d' "$COVER"; echo "$exp"; } >"$tmp" && mv "$tmp" "$COVER"
	echo "  cover-letter.txt: patch list and diffstat rewritten from the series"
	;;
*)
	echo "usage: $0 check|sync" >&2
	exit 2
	;;
esac
