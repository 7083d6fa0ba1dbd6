#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mail-out: write the series as mail (git format-patch --cover-letter, with
#           the cover letter from cover-letter.txt) to build/mail.
# mail:     the same, signed off by SENDER, To/Cc from get_maintainer.pl, and
#           handed to git send-email --dry-run (SEND=1 sends for real).
#
# The patches carry the project identity (scripts/identity).  Nobody mails
# under it: SENDER="Full Name <address>" is required and must differ.
set -o pipefail

TOP=${HARNESS_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=$("$TOP/scripts/harness.sh" builddir)
OUT=$BUILD/mail
# shellcheck source=identity
. "$TOP/scripts/identity"

die() { echo "error: $*" >&2; exit 1; }

KTREE=$("$TOP/scripts/harness.sh" ktree)
BASE=$(cat "$BUILD/state/base" 2>/dev/null) || die "no kernel tree: run 'make apply'"

check_sender() {
	[ -n "$SENDER" ] ||
		die "SENDER is not set: mail the series under your own name, e.g. make mail SENDER='Full Name <you@example.org>'"
	case "$SENDER" in
	*"<"*@*">"*) ;;
	*) die "SENDER='$SENDER' is not of the form 'Full Name <address>'" ;;
	esac
	case "$SENDER" in
	*"$PROJECT_EMAIL"* | *"$PROJECT_NAME <"* | *example.invalid*)
		die "SENDER is the project's placeholder identity: sign the series with your own name and address" ;;
	esac
}

# format [signoff]: format-patch into $OUT with the cover letter filled in.
format() {
	local signoff=$1 cover subject n
	rm -rf "$OUT"
	mkdir -p "$OUT"
	n=$(git -C "$KTREE" rev-list --count "$BASE..HEAD")
	[ "$n" -gt 0 ] || die "the kernel tree holds no patches above the base: run 'make apply'"
	git -C "$KTREE" -c core.abbrev=12 -c diff.suppressBlankEmpty=true \
		-c user.name="$FROM_NAME" \
		-c user.email="$FROM_EMAIL" format-patch -q --cover-letter \
		--thread=shallow --no-signature --base="$BASE" $signoff \
		-o "$OUT" "$BASE..HEAD" || die "git format-patch failed in $KTREE"
	cover=$(ls "$OUT"/0000-cover-letter.patch)
	subject=$(sed -n 's/^Subject: *//p' "$TOP/cover-letter.txt" | head -1)
	[ -n "$subject" ] || die "cover-letter.txt has no 'Subject:' line"
	python3 - "$cover" "$TOP/cover-letter.txt" "$subject" <<'EOF' || die "could not fill in the cover letter"
import sys
cover, text, subject = sys.argv[1], sys.argv[2], sys.argv[3]
c = open(cover).read()
body = open(text).read().split('\n', 1)[1].lstrip('\n')
# The patch list and diffstat at the end of cover-letter.txt (checked by
# scripts/cover.sh) are what format-patch appends anyway: drop ours.
body = body.split('\nPatches:\n', 1)[0]
c = c.replace('*** SUBJECT HERE ***', subject, 1)
c = c.replace('*** BLURB HERE ***', body.rstrip('\n'), 1)
open(cover, 'w').write(c)
EOF
	# One mbox for b4.  Debian 12's b4 (0.12, Python 3.11) fails on folded
	# header lines, which format-patch writes for long subjects: unfold.
	python3 - "$OUT" <<'PY' || die "could not write $OUT/series.mbx"
import glob, re, sys
out = []
for f in sorted(glob.glob(sys.argv[1] + '/0*.patch')):
    head, sep, body = open(f).read().partition('\n\n')
    out.append(re.sub(r'\n[ \t]+', ' ', head) + sep + body)
open(sys.argv[1] + '/series.mbx', 'w').write(''.join(out))
PY
	check_b4
	echo "  $((n + 1)) messages in $OUT (and $OUT/series.mbx)"
}

# b4 must be able to take the series from the mbox as a maintainer would.
check_b4() {
	local tmp msgid got
	command -v b4 >/dev/null || { echo "  (b4 not installed: mbox not checked)"; return 0; }
	tmp=$(mktemp -d)
	msgid=$(sed -n 's/^Message-I[dD]: *<\(.*\)>.*/\1/p' "$OUT/0000-cover-letter.patch" | head -1)
	if [ -n "$msgid" ] && (cd "$tmp" && b4 -q am -m "$OUT/series.mbx" -o "$tmp" "$msgid") >"$tmp/log" 2>&1; then
		got=$(grep -c '^From: ' "$tmp"/*.mbx 2>/dev/null)
		echo "  b4 am: $got patches from series.mbx"
	else
		echo "  warning: b4 am could not read $OUT/series.mbx (see $tmp/log)"
		return 0
	fi
	rm -rf "$tmp"
}

recipients() {
	# Maintainers and lists of every file the series touches, as
	# get_maintainer.pl finds them in the tree's MAINTAINERS with
	# MAINTAINERS.snippet merged into its entries.
	python3 - "$KTREE/MAINTAINERS" "$TOP/MAINTAINERS.snippet" "$OUT/MAINTAINERS" <<'PY' ||
import sys
tree, snippet, out = sys.argv[1:4]
lines = open(tree).read().split('\n')
entry, adds = None, {}
for l in open(snippet).read().split('\n'):
    if l and not l[1:2] == ':':
        entry = l
    elif l and entry:
        adds.setdefault(entry, []).append(l)
for name, new in adds.items():
    i = lines.index(name)
    j = i + 1
    while j < len(lines) and lines[j]:
        j += 1
    lines[j:j] = [l for l in new if l not in lines[i:j]]
open(out, 'w').write('\n'.join(lines))
PY
		die "MAINTAINERS.snippet names an entry that is not in $KTREE/MAINTAINERS"
	(cd "$KTREE" && scripts/get_maintainer.pl --mpath "$OUT/MAINTAINERS" \
		--no-git --no-git-fallback --no-rolestats --no-tree \
		"$OUT"/0*.patch 2>/dev/null) | sort -u
}

FROM_NAME=$PROJECT_NAME
FROM_EMAIL=$PROJECT_EMAIL

case "$1" in
mail-out)
	format ""
	echo "  From: $PROJECT_NAME <$PROJECT_EMAIL> (placeholder); 'make mail SENDER=...' signs and sends"
	;;
mail)
	check_sender
	[ -x "$(git --exec-path)/git-send-email" ] ||
		die "git send-email missing: run 'make deps' (apt-get install git-email)"
	FROM_NAME=${SENDER%% <*}
	FROM_EMAIL=${SENDER##*<}
	FROM_EMAIL=${FROM_EMAIL%>}
	GIT_COMMITTER_NAME="$FROM_NAME" GIT_COMMITTER_EMAIL="$FROM_EMAIL" format "--signoff"
	to=()
	cc=()
	while IFS= read -r r; do
		case "$r" in
		*@lists.* | *@vger.kernel.org*) to+=(--to "$r") ;;
		*) cc+=(--cc "$r") ;;
		esac
	done < <(recipients)
	[ ${#to[@]} -gt 0 ] || die "get_maintainer.pl found no list to send to"
	echo "  recipients: ${to[*]} ${cc[*]}" | sed 's/--to //g; s/--cc //g'
	dry=--dry-run
	[ "$SEND" = 1 ] && dry=""
	git -C "$KTREE" send-email $dry --confirm=never --from "$SENDER" \
		--suppress-cc=self "${to[@]}" "${cc[@]}" "$OUT"/*.patch ||
		die "git send-email failed"
	[ -n "$dry" ] && echo "  dry run: nothing was sent (SEND=1 to send)"
	;;
*)
	die "usage: mail.sh mail-out|mail"
	;;
esac
