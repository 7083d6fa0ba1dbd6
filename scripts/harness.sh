#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness for the ppc-kvm-series: base tree, apply, export, builds, bisect,
# checks.  Called by the Makefile; every stage prints its start, its end and
# the time it took.  Errors are one line that says what to do.
set -o pipefail

TOP=${HARNESS_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
# KERNEL_DIR (a git tree of the user's) gets a build directory of its own.
if [ -n "$KERNEL_DIR" ]; then
	BUILD=${BUILD:-$TOP/build/user}
else
	BUILD=${BUILD:-$TOP/build}
fi
STATE=$BUILD/state
LOGS=$BUILD/logs
RESULTS=$BUILD/results
JOBS=${JOBS:-3}
# Kernels built from the same tree, config and compiler come out byte for
# byte the same, however often they are linked again (the bisect touches
# files and checks out other commits in between): no build time, user,
# host or build count in the version string.  The VM and real-guest stages
# replay their results by the kernel's contents.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-"Thu Jan  1 00:00:00 UTC 1970"}
export KBUILD_BUILD_USER=${KBUILD_BUILD_USER:-ppc-kvm-series}
export KBUILD_BUILD_HOST=${KBUILD_BUILD_HOST:-harness}
export KBUILD_BUILD_VERSION=${KBUILD_BUILD_VERSION:-1}
# The base: Debian's linux-source-$KVER.  7.3 is the series' base; 6.12
# (the LTS the stable fixes go to) is what 'stable-check' applies them to.
KVER=${KVER:-7.3}
PKG=linux-source-$KVER
TARBALL=/usr/src/$PKG.tar.xz
STABLE_KVER=6.12
# Debian suites that are not the machine's own: fetched through a private
# apt configuration (its own sources, lists and an empty status), so that
# nothing else on the machine comes from, or is upgraded by, that suite.
backport_suite() {
	case "$1" in
	linux-source-7.3) echo trixie-backports ;;
	linux-source-7.2) echo sid ;;
	esac
}

# The project identity: the one place it is set.  Patches are authored and
# signed off under it; the mail target refuses to send under it.
# shellcheck source=identity
. "$TOP/scripts/identity"

die() { echo "error: $*" >&2; exit 1; }
info() { echo "  $*"; }

KTREE=$BUILD/linux
KGIT() { git -C "$KTREE" -c user.name="$PROJECT_NAME" \
	-c user.email="$PROJECT_EMAIL" -c core.abbrev=12 "$@"; }

# stage NAME CMD...: run CMD with start/end/elapsed lines.
stage() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	echo "=== $name: start ($(date -u +%H:%M:%S))"
	"$@"
	rc=$?
	echo "=== $name: $([ $rc = 0 ] && echo done || echo FAILED) in $(($(date +%s) - t0))s"
	stage_time "$name" "$(($(date +%s) - t0))"
	return $rc
}

# stage_time NAME SECONDS: kept for the summary of this make run (RUN_ID,
# set once by the Makefile), printed by 'summary'.
stage_time() {
	[ -n "$RUN_ID" ] || return 0
	mkdir -p "$BUILD"
	echo "$RUN_ID $1|$2" >>"$BUILD/stage-times"
}

series_list() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$TOP/series" 2>/dev/null
}

series_hash() {
	(cd "$TOP" && cat series $(series_list | sed 's|^|patches/|') 2>/dev/null) |
		sha256sum | cut -c1-16
}

base_rev() {
	cat "$STATE/base" 2>/dev/null || die "no kernel tree yet: run 'make base'"
}

tree_dirty() {
	[ -n "$(git -C "$KTREE" status --porcelain --untracked-files=no)" ]
}

# ---------------------------------------------------------------- deps
DEB_PKGS="$PKG linux-source-$STABLE_KVER gcc-powerpc64le-linux-gnu gcc-powerpc64-linux-gnu
gcc-powerpc-linux-gnu qemu-system-ppc b4 ccache flex bison libelf-dev dwarves
libc6-dev-ppc64el-cross bc cpio xz-utils libssl-dev sparse git git-email libmailtools-perl python3-ply python3-git make gcc libc6-dev perl python3 gawk rsync"

do_deps() {
	local missing="" p
	for p in $DEB_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		info "all packages present"
		return 0
	fi
	info "missing:$missing"
	if [ "$(id -u)" != 0 ]; then
		die "missing packages:$missing; run: sudo apt-get install$missing (then re-run make)"
	fi
	mkdir -p "$LOGS"
	if ! apt-get update >"$LOGS/apt-update.log" 2>&1; then
		die "apt-get update failed (no network or broken sources? see $LOGS/apt-update.log); fix it and re-run make"
	fi
	local plain=""
	for p in $missing; do
		if [ -n "$(backport_suite "$p")" ]; then
			install_backport "$p" || exit 1
		else
			plain="$plain $p"
		fi
	done
	[ -n "$plain" ] || return 0
	# One apt-get for all of them (one resolution, one download); if that
	# fails, one at a time, to name the package that cannot be had.
	# shellcheck disable=SC2086
	if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		$plain >>"$LOGS/apt-install.log" 2>&1; then
		info "installed$plain"
		return 0
	fi
	for p in $plain; do
		if ! DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends "$p" >>"$LOGS/apt-install.log" 2>&1; then
			die "apt-get install $p failed (see $LOGS/apt-install.log); install it by hand and re-run make"
		fi
		info "installed $p"
	done
}

# install_backport PKG: download PKG alone from its suite with a private
# apt configuration and install it with dpkg.  Its dependencies must be on
# the machine already (linux-source-7.3: binutils, xz-utils).
APT_PRIVATE=${APT_PRIVATE:-/var/cache/ppc-kvm-series/apt}
install_backport() {
	local p=$1 suite dir o deb
	suite=$(backport_suite "$p")
	dir=$APT_PRIVATE/$suite
	mkdir -p "$dir/lists/partial" "$dir/archives/partial" || {
		echo "error: cannot create $dir; make it writable and re-run make" >&2; return 1; }
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$dir/sources.list"
	: >"$dir/status"
	o=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$dir/lists" -o Dir::State::status="$dir/status"
		-o Dir::Cache="$dir" -o Dir::Cache::archives="$dir/archives"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	if ! apt-get "${o[@]}" update >"$LOGS/apt-$suite.log" 2>&1; then
		echo "error: apt-get update of Debian $suite failed (see $LOGS/apt-$suite.log): $p comes from there; check the network and debian-archive-keyring, then re-run make" >&2
		return 1
	fi
	rm -f "$dir"/archives/"$p"_*.deb
	if ! (cd "$dir/archives" && apt-get "${o[@]}" download "$p") >>"$LOGS/apt-$suite.log" 2>&1; then
		echo "error: Debian $suite has no $p to download (see $LOGS/apt-$suite.log); install $p by hand (dpkg -i) and re-run make" >&2
		return 1
	fi
	deb=$(ls "$dir"/archives/"$p"_*.deb | head -1)
	if ! dpkg -i "$deb" >>"$LOGS/apt-install.log" 2>&1; then
		echo "error: dpkg -i $deb failed (see $LOGS/apt-install.log); fix what it names and re-run make" >&2
		return 1
	fi
	info "installed $p $(dpkg-query -W -f='${Version}' "$p") from Debian $suite (only this package)"
}

# ---------------------------------------------------------------- base
do_base() {
	mkdir -p "$STATE" "$LOGS"
	if [ -n "$KERNEL_DIR" ]; then
		base_user
		return
	fi
	local pkgver kver tmp
	[ -f "$TARBALL" ] || die "$TARBALL missing: run 'make deps' (apt-get install $PKG)"
	pkgver=$(dpkg-query -W -f='${Version}' $PKG 2>/dev/null)
	if [ -d "$KTREE/.git" ] && git -C "$KTREE" rev-parse -q --verify base >/dev/null; then
		if ! git -C "$KTREE" log -1 --format=%s base | grep -qF " $PKG "; then
			die "$KTREE holds another base ($(git -C "$KTREE" log -1 --format=%s base)), not $PKG: 'make distclean' to move to Linux $KVER, or run with KVER= that tree's version"
		fi
		git -C "$KTREE" rev-parse base >"$STATE/base"
		info "base: $(git -C "$KTREE" log -1 --format=%s base)"
		if ! git -C "$KTREE" log -1 --format=%B base | grep -qF "$pkgver"; then
			info "note: installed $PKG is $pkgver, the tree was made from another version; 'make distclean' then 'make' to move"
		fi
		return 0
	fi
	tmp=$BUILD/linux.unpack
	rm -rf "$tmp"
	mkdir -p "$tmp"
	info "unpacking $TARBALL ($PKG $pkgver)"
	tar -xJf "$TARBALL" -C "$tmp" --strip-components=1 ||
		die "could not unpack $TARBALL (disk full?); free space and re-run make"
	kver=$(make -s -C "$tmp" kernelversion 2>/dev/null)
	(
		cd "$tmp" || exit 1
		git init -q -b series . &&
		git add -A -f . &&
		git -c user.name="$PROJECT_NAME" -c user.email="$PROJECT_EMAIL" \
			commit -q -m "base: Linux $kver from Debian $PKG $pkgver" \
			-m "Unpacked from $TARBALL, Debian package $PKG version $pkgver." &&
		git tag base
	) || die "could not create the base git tree in $tmp; re-run make"
	mv "$tmp" "$KTREE"
	unhide_debian_ignore
	git -C "$KTREE" rev-parse base >"$STATE/base"
	rm -f "$STATE/applied"
	info "base: Linux $kver from Debian $PKG $pkgver"
}

# Debian's linux-source .gitignore ends with "/*" (its packaging repository
# ignores the whole top level), which hides every new file of a patch from
# git status and git add.  The base commit keeps the file as shipped; the work
# tree drops those lines and git is told not to look at the file.
unhide_debian_ignore() {
	if grep -qx '/\*' "$KTREE/.gitignore" 2>/dev/null; then
		sed -i -e '/^# Debian packaging: ignore everything/,/^!\/debian\/$/d' "$KTREE/.gitignore"
		git -C "$KTREE" update-index --skip-worktree .gitignore
	fi
}

# KERNEL_DIR: a git tree of the user's.  A worktree on a new branch keeps
# the user's current branch and work tree untouched.
base_user() {
	local ref=${KERNEL_BASE:-HEAD} sha
	git -C "$KERNEL_DIR" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KERNEL_DIR=$KERNEL_DIR is not a git tree"
	sha=$(git -C "$KERNEL_DIR" rev-parse --verify "$ref^{commit}") ||
		die "KERNEL_BASE=$ref is not a commit in $KERNEL_DIR"
	if [ ! -d "$KTREE" ]; then
		git -C "$KERNEL_DIR" worktree add -q -b "ppc-kvm-series/$(date +%Y%m%d-%H%M%S)" \
			"$KTREE" "$sha" || die "git worktree add in $KERNEL_DIR failed"
	fi
	echo "$sha" >"$STATE/base"
	info "base: $sha ($(git -C "$KERNEL_DIR" log -1 --format=%s "$sha")) in a worktree of $KERNEL_DIR"
}

# ---------------------------------------------------------------- apply
# Leave the bisect's detached HEAD (an interrupted run) for the series branch.
restore_branch() {
	local b
	b=$(cat "$STATE/branch" 2>/dev/null)
	if ! git -C "$KTREE" symbolic-ref -q HEAD >/dev/null && [ -n "$b" ]; then
		tree_dirty && die "kernel tree $KTREE is detached and has uncommitted edits: commit or stash them, then 'git -C $KTREE checkout $b'"
		git -C "$KTREE" checkout -q "$b" || die "could not return $KTREE to branch $b"
	fi
}

do_apply() {
	local base head want applied_head applied_hash p n=0 out file
	base=$(base_rev)
	[ -d "$KTREE/.git" ] || [ -f "$KTREE/.git" ] || die "no kernel tree: run 'make base'"
	# $STATE/applying lists the HEADs this harness made while applying: it
	# exists only while an apply is under way, or after one failed or was
	# interrupted.  What it made is its own, not the user's: safe to redo.
	if [ -d "$KTREE/.git/rebase-apply" ]; then
		if [ -f "$STATE/applying" ] && ! tree_dirty; then
			git -C "$KTREE" am --abort || die "could not abort the stale 'git am' in $KTREE"
			info "aborted the harness's unfinished 'git am' from an earlier run"
		else
			die "a 'git am' is in progress in $KTREE: finish it or 'git -C $KTREE am --abort', then re-run"
		fi
	fi
	restore_branch
	head=$(git -C "$KTREE" rev-parse HEAD)
	want=$(series_hash)
	applied_head= applied_hash=
	[ -f "$STATE/applied" ] && read -r applied_head applied_hash <"$STATE/applied"
	if [ -f "$STATE/applying" ]; then
		grep -qx "$head" "$STATE/applying" && applied_head=$head applied_hash=partial
		rm -f "$STATE/applying"
	fi
	if [ "$head" = "$applied_head" ] && [ "$want" = "$applied_hash" ]; then
		info "series already applied ($(series_list | wc -l) patches, HEAD $(echo "$head" | cut -c1-12))"
		return 0
	fi
	tree_dirty && die "kernel tree $KTREE has uncommitted edits: commit them and 'make export', or stash them; then re-run"
	if [ "$head" != "$base" ] && [ "$head" != "$applied_head" ]; then
		if [ -z "$FORCE" ]; then
			die "kernel tree $KTREE has commits not exported to patches/: 'make export' to keep them, or 'make apply FORCE=1' to set them aside on a backup branch"
		fi
		p=backup/$(date +%Y%m%d-%H%M%S)
		git -C "$KTREE" branch "$p" HEAD
		info "old HEAD kept as branch $p"
	fi
	if [ -z "$KERNEL_DIR" ]; then
		echo series >"$STATE/branch"
		git -C "$KTREE" checkout -q -B series "$base"
	else
		git -C "$KTREE" symbolic-ref --short HEAD >"$STATE/branch"
		git -C "$KTREE" reset -q --hard "$base"
	fi
	echo "$base" >"$STATE/applying"
	while read -r p; do
		n=$((n + 1))
		[ -f "$TOP/patches/$p" ] || die "series names patches/$p, which does not exist: fix series"
		if ! out=$(KGIT am -q "$TOP/patches/$p" 2>&1); then
			file=$(echo "$out" | sed -n 's/^error: patch failed: \([^:]*\):.*/\1/p; s/^error: \([^:]*\): does not exist in index/\1/p' | head -1)
			echo "$out" >"$LOGS/apply-failure.log"
			die "patches/$p does not apply (first failing file: ${file:-see $LOGS/apply-failure.log}); the 'git am' is left in $KTREE for inspection; fix the patch and re-run make"
		fi
		git -C "$KTREE" rev-parse HEAD >>"$STATE/applying"
	done < <(series_list)
	rm -f "$STATE/applying"
	echo "$(git -C "$KTREE" rev-parse HEAD) $want" >"$STATE/applied"
	info "applied $n patches on base $(echo "$base" | cut -c1-12)"
}

# ---------------------------------------------------------------- export
FMT_OPTS="-N --zero-commit --no-signature --no-base --no-thread"
# Blank context lines as empty lines, not " ": a patch file with no
# trailing whitespace at all (git am and patch read both forms).
FMT_CFG="-c diff.suppressBlankEmpty=true"

do_export() {
	local base tmp
	base=$(base_rev)
	restore_branch
	[ -d "$KTREE/.git/rebase-apply" ] && die "a 'git am' or rebase is in progress in $KTREE: finish it first"
	[ -d "$KTREE/.git/rebase-merge" ] && die "a rebase is in progress in $KTREE: finish it first"
	tree_dirty && die "kernel tree $KTREE has uncommitted edits: commit them (git commit --fixup=<sha>; git rebase -i --autosquash base) before 'make export'"
	tmp=$(mktemp -d)
	# shellcheck disable=SC2086
	KGIT $FMT_CFG format-patch $FMT_OPTS -o "$tmp" "$base..HEAD" >/dev/null ||
		die "git format-patch failed in $KTREE"
	rm -f "$TOP"/patches/*.patch
	mkdir -p "$TOP/patches"
	cp "$tmp"/*.patch "$TOP/patches/" 2>/dev/null
	(cd "$tmp" && ls -1 ./*.patch 2>/dev/null | sed 's|^\./||') >"$TOP/series"
	rm -rf "$tmp"
	echo "$(git -C "$KTREE" rev-parse HEAD) $(series_hash)" >"$STATE/applied"
	info "exported $(series_list | wc -l) patches to patches/ and series"
}

# apply on a fresh base in a scratch worktree, export, compare byte for byte.
do_check_export() {
	local base wt tmp p rc=0
	base=$(base_rev)
	wt=$BUILD/check-tree
	tmp=$BUILD/check-export
	rm -rf "$tmp"
	mkdir -p "$tmp" "$RESULTS"
	if [ ! -e "$wt/.git" ]; then
		git -C "$KTREE" worktree prune
		git -C "$KTREE" worktree add -q --detach "$wt" "$base" || die "git worktree add $wt failed"
	fi
	git -C "$wt" am --abort >/dev/null 2>&1
	git -C "$wt" checkout -q -f --detach "$base" && git -C "$wt" clean -q -fdx ||
		die "could not reset $wt; remove it and re-run"
	while read -r p; do
		if ! git -C "$wt" -c user.name="$PROJECT_NAME" -c user.email="$PROJECT_EMAIL" \
			am -q "$TOP/patches/$p" >"$LOGS/check-apply.log" 2>&1; then
			result FAIL "check:applies-to-fresh-base" "patches/$p does not apply"
			git -C "$wt" am --abort >/dev/null 2>&1
			return 1
		fi
	done < <(series_list)
	result PASS "check:applies-to-fresh-base"
	# shellcheck disable=SC2086
	git -C "$wt" -c core.abbrev=12 $FMT_CFG format-patch $FMT_OPTS -o "$tmp" "$base..HEAD" >/dev/null
	if diff -r "$tmp" "$TOP/patches" >"$LOGS/check-export.diff" 2>&1; then
		result PASS "check:apply-export-byte-identical"
	else
		result FAIL "check:apply-export-byte-identical" "see $LOGS/check-export.diff"
		rc=1
	fi
	if diff <(cd "$TOP/patches" && ls -1 ./*.patch 2>/dev/null | sed 's|^\./||') \
		<(series_list) >"$LOGS/check-series.diff"; then
		result PASS "check:series-matches-patches"
	else
		result FAIL "check:series-matches-patches" "see $LOGS/check-series.diff"
		rc=1
	fi
	return $rc
}

# ---------------------------------------------------------------- stable
# The fixes of the series (a Fixes: tag or Cc: stable) go to the stable
# trees.  Check,
# without building, that each applies in series order to Debian's
# linux-source-$STABLE_KVER (the LTS users are on), as git am would take
# it there; report those that need a backport.
do_stable_check() {
	local pkg=linux-source-$STABLE_KVER tar dir pkgver p n=0 bad=0
	tar=/usr/src/$pkg.tar.xz
	dir=$BUILD/stable-$STABLE_KVER
	[ -f "$tar" ] || die "$tar missing: run 'make deps' (apt-get install $pkg)"
	pkgver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)
	# Only the files the fixes change are unpacked: git am needs no more.
	local files fh
	files=$(while read -r p; do
		grep -qiE '^(Fixes: |Cc: stable@)' "$TOP/patches/$p" && sed -n 's|^--- a/||p' "$TOP/patches/$p"
	done < <(series_list) | sort -u)
	fh=$(echo "$files" | sha256sum | cut -c1-12)
	if [ ! -d "$dir/.git" ] || [ "$(git -C "$dir" log -1 --format=%s base 2>/dev/null)" != "stable base: $pkg $pkgver ($fh)" ]; then
		info "unpacking from $tar the $(echo "$files" | grep -c .) files the fixes change"
		rm -rf "$dir" "$dir.unpack"
		mkdir -p "$dir.unpack"
		# A file missing from the tarball is for git am to report.
		# shellcheck disable=SC2046
		tar -xJf "$tar" -C "$dir.unpack" --strip-components=1 \
			$(echo "$files" | sed "s|^|$pkg/|") 2>"$LOGS/stable-unpack.log"
		[ -n "$(ls -A "$dir.unpack")" ] || [ -z "$files" ] ||
			die "could not unpack $tar (disk full? see $LOGS/stable-unpack.log); free space and re-run"
		(cd "$dir.unpack" && git init -q . && git add -A -f . &&
			git -c user.name="$PROJECT_NAME" -c user.email="$PROJECT_EMAIL" \
				commit -q --allow-empty -m "stable base: $pkg $pkgver ($fh)" && git tag base) ||
			die "could not make a git tree of $tar in $dir.unpack; re-run"
		mv "$dir.unpack" "$dir"
	fi
	git -C "$dir" am --abort >/dev/null 2>&1
	git -C "$dir" checkout -q -f --detach base && git -C "$dir" clean -q -fdx ||
		die "could not reset $dir; remove it and re-run"
	while read -r p; do
		grep -qiE '^(Fixes: |Cc: stable@)' "$TOP/patches/$p" || continue
		n=$((n + 1))
		if git -C "$dir" -c user.name="$PROJECT_NAME" -c user.email="$PROJECT_EMAIL" \
			am -q "$TOP/patches/$p" >"$LOGS/stable-$p.log" 2>&1; then
			result PASS "stable:$p" "applies to $pkg $pkgver"
		else
			git -C "$dir" am --abort >/dev/null 2>&1
			result SKIP "stable:$p" "does not apply to $pkg $pkgver: needs a backport for $STABLE_KVER.y (see $LOGS/stable-$p.log)"
			bad=$((bad + 1))
		fi
	done < <(series_list)
	git -C "$dir" checkout -q -f --detach base
	info "stable: $n patches with Fixes: or Cc: stable, $((n - bad)) apply to $pkg $pkgver, $bad need a backport"
}

# ---------------------------------------------------------------- results
# result PASS|FAIL|SKIP NAME [REASON]
result() {
	mkdir -p "$RESULTS"
	printf '%s %s %s\n' "$1" "$2" "${3:-}" >>"$RESULTS/all"
	printf '  %-4s %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

# checkpatch --strict as a reviewer runs it, from inside the tree so that the
# SPDX check runs (Debian's python3, which has ply; a pyenv one may not).
# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is answered by
# MAINTAINERS.snippet, which 'make mail' merges for get_maintainer.pl.
# UNKNOWN_COMMIT_ID: the base is a source package without history, so
# checkpatch cannot look up a Fixes: id; those are checked by hand.
# MISSING_FIXES_TAG ("perhaps it also needs a Fixes: tag?"): a fix for
# stable whose culprit could not be verified carries no Fixes: tag and
# says why in its changelog, as stable accepts.
# Besides, no line of a patch file may end in white space, context
# included: some reviewers' tools check the file as text.
do_checkpatch() {
	local p rc=0 out ws
	[ -x "$KTREE/scripts/checkpatch.pl" ] || die "no kernel tree: run 'make base'"
	local key cp_sum
	cp_sum=$(cat "$KTREE/scripts/checkpatch.pl" "$KTREE/scripts/spelling.txt" 2>/dev/null | sha256sum | cut -c1-32)
	mkdir -p "$STATE/checkpatch"
	while read -r p; do
		# A patch file checkpatch passed is not checked again.
		key=$( (cat "$TOP/patches/$p"; echo "$cp_sum") | sha256sum | cut -c1-32)
		if [ -z "$NO_CACHE" ] && [ -f "$STATE/checkpatch/$key" ]; then
			result PASS "checkpatch:$p" "unchanged since $(cat "$STATE/checkpatch/$key")"
		elif out=$(cd "$KTREE" && PATH=/usr/bin:$PATH scripts/checkpatch.pl \
			--strict -q --ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID,MISSING_FIXES_TAG "$TOP/patches/$p" 2>&1) &&
			[ -z "$out" ]; then
			result PASS "checkpatch:$p"
			date -u '+%Y-%m-%d %H:%M UTC' >"$STATE/checkpatch/$key"
		else
			echo "$out" | sed 's/^/    /' | head -40
			result FAIL "checkpatch:$p"
			rc=1
		fi
		ws=$(grep -nE '[[:space:]]$' "$TOP/patches/$p" | cut -d: -f1 | tr '\n' ' ')
		if [ -z "$ws" ]; then
			result PASS "whitespace:$p"
		else
			result FAIL "whitespace:$p" "trailing white space on lines $ws"
			rc=1
		fi
	done < <(series_list)
	return $rc
}

# ---------------------------------------------------------------- result cache
# A stage that passed is not run again while everything it depends on is
# byte-identical: the series, the config fragments, the harness and VM
# runner, the test-power map, the compilers and QEMU.  Its result lines are
# replayed, marked "(unchanged since <time>)".  Failures are never cached.
inputs_key() {
	{
		echo "$1"
		base_rev
		series_hash
		cat "$TOP"/config-fragments/* "$TOP"/scripts/harness.sh \
			"$TOP"/kselftests/run-vm.sh "$TOP"/kselftests/init.c "$TOP"/kselftests/known-splats \
			"$TOP"/kselftests/test-power "$TOP"/kselftests/vm-args "$TOP"/kselftests/vm-skips 2>/dev/null
		for c in powerpc64le-linux-gnu-gcc powerpc64-linux-gnu-gcc powerpc-linux-gnu-gcc qemu-system-ppc64; do
			"$c" --version 2>/dev/null | head -1
		done
	} | sha256sum | cut -c1-32
}

# first_reason REASON: REASON without the "unchanged since" of an earlier
# replay, so that a result replayed twice says it once.
first_reason() {
	local r=${1%%unchanged since*}
	r=${r%; }
	printf '%s' "$r"
}

# cached STAGE: replay STAGE's passed results if its inputs are unchanged.
cached() {
	local key
	key=$(inputs_key "$1")
	[ -z "$NO_CACHE" ] && [ -f "$STATE/cache-$1" ] &&
		[ "$(head -1 "$STATE/cache-$1")" = "$key" ] || return 1
	info "$1: nothing changed since $(sed -n 2p "$STATE/cache-$1"): replaying its result (NO_CACHE=1 re-runs it)"
	tail -n +4 "$STATE/cache-$1" | while read -r verdict name reason; do
		reason=$(first_reason "$reason")
		result "$verdict" "$name" "${reason:+$reason; }unchanged since $(sed -n 2p "$STATE/cache-$1")"
	done
	sed -n 3p "$STATE/cache-$1" | tr '|' '\n'
	return 0
}

# remember STAGE MARK TABLE: after STAGE passed, keep the result lines it
# added after line MARK of the results file, and its table.
remember() {
	local stage=$1 mark=$2 table=$3
	{
		inputs_key "$stage"
		date -u '+%Y-%m-%d %H:%M UTC'
		tr '\n' '|' <"$table"
		echo
		tail -n +"$((mark + 1))" "$RESULTS/all"
	} >"$STATE/cache-$stage"
}

# ---------------------------------------------------------------- builds
# name:cross-prefix:fragments
CONFIGS="ppc64le:powerpc64le-linux-gnu-:ppc64le-kvm.config,ppc64le-trim.config,debug.config
ppc64-be:powerpc64-linux-gnu-:ppc64-be-kvm.config
e500mc64:powerpc64-linux-gnu-:e500mc64-kvm.config
e500mc32:powerpc-linux-gnu-:e500mc32-kvm.config
pmac32:powerpc-linux-gnu-:pmac32-kvm.config"

# Not in the bisect matrix: the kernel 'make bench' times, without the
# lock debugging of debug.config, which would dominate what it measures.
EXTRA_CONFIGS="ppc64le-nodebug:powerpc64le-linux-gnu-:ppc64le-kvm.config"
config_line() { printf '%s\n%s\n' "$CONFIGS" "$EXTRA_CONFIGS" | grep "^$1:"; }

# build_kernel NAME: configure (only when the fragments changed) and build.
build_kernel() {
	local name=$1 line cross frags out fhash f make_args log rc
	line=$(config_line "$name") || die "unknown config $name"
	cross=$(echo "$line" | cut -d: -f2)
	frags=$(echo "$line" | cut -d: -f3 | tr ',' ' ')
	out=$BUILD/out/$name
	log=$LOGS/build-$name.log
	mkdir -p "$out" "$LOGS"
	command -v "${cross}gcc" >/dev/null || die "${cross}gcc missing: run 'make deps'"
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	# Paths relative to the checkout: a clone elsewhere hits the cache too.
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP} CCACHE_NOHASHDIR=true
	# Depend mode: a miss runs the compiler once, as without ccache,
	# instead of the preprocessor and then the compiler (a cold kernel
	# build of kernel/ and mm/ here: 138 s in the default mode, 94 s in
	# depend mode, 92 s without ccache).
	export CCACHE_DEPEND=${CCACHE_DEPEND:-true}
	make_args=(-C "$KTREE" O="$out" ARCH=powerpc CROSS_COMPILE="$cross"
		CC="ccache ${cross}gcc" -j"$JOBS")
	fhash=$(cd "$TOP/config-fragments" && cat $frags | sha256sum | cut -c1-16)
	if [ ! -f "$out/.config" ] || [ "$(cat "$out/.frag-hash" 2>/dev/null)" != "$fhash" ]; then
		info "[$name] configuring from $frags"
		(cd "$KTREE" && ARCH=powerpc CROSS_COMPILE="$cross" \
			scripts/kconfig/merge_config.sh -n -O "$out" \
			$(for f in $frags; do echo "$TOP/config-fragments/$f"; done)) \
			>"$LOGS/config-$name.log" 2>&1 || die "[$name] configuration failed: see $LOGS/config-$name.log"
		for f in $frags; do
			grep '^CONFIG_' "$TOP/config-fragments/$f" | while IFS= read -r l; do
				grep -qx "$l" "$out/.config" || echo "  warning: [$name] $l from $f did not take effect"
			done
		done
		echo "$fhash" >"$out/.frag-hash"
	fi
	info "[$name] building vmlinux (log: $log)"
	make "${make_args[@]}" vmlinux 2>&1 | tee "$log" |
		awk '/^  (CC|AS|LD|AR)/ { n++; if (n % 300 == 0) { printf "  [%s] ... %d objects\n", name, n; fflush() } }' name="$name"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		grep -E 'error:|Error ' "$log" | head -20 | sed 's/^/    /'
		return 1
	fi
	return 0
}

do_build() {
	local name=${1:-ppc64le}
	build_kernel "$name" || die "[$name] kernel build failed: see $LOGS/build-$name.log"
}

# Cross-build tools/testing/selftests/kvm, static, ppc64le.
SELFTESTS_OUT=$BUILD/selftests
build_selftests() {
	local out=${1:-$SELFTESTS_OUT} hdr=$BUILD/hdr log=$LOGS/selftests.log
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	# Paths relative to the checkout: a clone elsewhere hits the cache too.
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP} CCACHE_NOHASHDIR=true
	# Depend mode: a miss runs the compiler once, as without ccache,
	# instead of the preprocessor and then the compiler (a cold kernel
	# build of kernel/ and mm/ here: 138 s in the default mode, 94 s in
	# depend mode, 92 s without ccache).
	export CCACHE_DEPEND=${CCACHE_DEPEND:-true}
	mkdir -p "$out" "$hdr" "$LOGS"
	make -C "$KTREE" O="$BUILD/out/headers" ARCH=powerpc \
		CROSS_COMPILE=powerpc64le-linux-gnu- INSTALL_HDR_PATH="$hdr" \
		headers_install >"$LOGS/headers.log" 2>&1 ||
		{ echo "    headers_install failed: see $LOGS/headers.log"; return 1; }
	make -C "$KTREE/tools/testing/selftests/kvm" ARCH=powerpc \
		CROSS_COMPILE=powerpc64le-linux-gnu- \
		CC="ccache powerpc64le-linux-gnu-gcc" \
		OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr/include" \
		LINUX_HDR_PATH="$hdr/include/" \
		EXTRA_CFLAGS=-static -j"$JOBS" >"$log" 2>&1
	local rc=$?
	if [ $rc != 0 ]; then
		grep -E 'error|Error' "$log" | head -20 | sed 's/^/    /'
		return 1
	fi
	# The list of tests the VM runs.
	make -s -C "$KTREE/tools/testing/selftests/kvm" ARCH=powerpc \
		OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr/include" \
		-f Makefile -f "$TOP/kselftests/print-tests.mk" print-tests \
		>"$out/.tests" 2>/dev/null
	info "selftests: $(wc -w <"$out/.tests") programs in $out"
}

do_selftests() {
	build_selftests || die "selftests build failed: see $LOGS/selftests.log"
}

# ---------------------------------------------------------------- W=1, sparse
# extra_warnings NAME FILE...: rebuild the objects of FILE... (kernel C files)
# that config NAME builds with W=1 and sparse (C=2), print their warnings
# with line numbers removed, one per line.
extra_warnings() {
	local name=$1 line cross out f objs="" pat=""
	shift
	line=$(config_line "$name")
	cross=$(echo "$line" | cut -d: -f2)
	out=$BUILD/out/$name
	for f in "$@"; do
		[ -f "$out/${f%.c}.o" ] || continue
		objs="$objs ${f%.c}.o"
		pat="$pat|$f"
	done
	[ -n "$objs" ] || return 0
	# One make for all of them: each make walks the whole tree first.
	# shellcheck disable=SC2086
	make -C "$KTREE" O="$out" ARCH=powerpc CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" W=1 C=2 -j"$JOBS" $objs 2>&1 |
		grep -E "^($KTREE/)?(${pat#|}):[0-9]+:[0-9]+: (warning|error):" |
		sed -E "s|^$KTREE/||; s|:[0-9]+:[0-9]+:|:|" | sort -u
}

# w1_gate PREFIX CONFIG LABEL TOUCHED CFILES: at the base, record the W=1
# and sparse warnings of CFILES; at a patch, fail on new ones in the C files
# it touches.
w1_gate() {
	local i=$1 name=$2 label=$3 touched=$4 cfiles=$5 mine new
	[ -n "$cfiles" ] || return 0
	if [ "$i" = 0 ]; then
		# shellcheck disable=SC2086
		extra_warnings "$name" $cfiles >"$STATE/w1-base-$name"
		return 0
	fi
	# Only the touched C files this config builds: no verdict otherwise.
	mine=$(for f in $(echo "$touched" | grep '\.c$' | grep -v '^tools/'); do
		[ -f "$BUILD/out/$name/${f%.c}.o" ] && echo "$f"
	done)
	[ -n "$mine" ] || return 0
	# shellcheck disable=SC2086
	new=$(extra_warnings "$name" $mine | grep -vxF -f "$STATE/w1-base-$name")
	if [ -n "$new" ]; then
		echo "$new" | sed 's/^/    /' | head -10
		result FAIL "w1-sparse:$label:$name" "new W=1/sparse warnings"
		return 1
	fi
	result PASS "w1-sparse:$label:$name"
}

# ---------------------------------------------------------------- bisect
# deps_index NAME: every file of the tree that an object of config NAME
# was built from, as kbuild's .cmd files record it (the source and every
# header fixdep found), relative to the tree.
deps_index() {
	local out=$BUILD/out/$1
	# Paths are absolute or, through ccache's CCACHE_BASEDIR, relative to
	# the output directory.
	find "$out" -name '.*.cmd' -print0 | xargs -0 cat | OUT=$out KTREE=$KTREE python3 -c '
import os, re, sys
out, ktree = os.environ["OUT"], os.path.realpath(os.environ["KTREE"])
seen = set()
for tok in re.findall(r"[^\s:\\()$]+\.(?:[chS]|lds|dts|dtsi)\b", sys.stdin.read()):
    p = os.path.normpath(os.path.join(out, tok))
    if p.startswith(ktree + "/"):
        seen.add(p[len(ktree) + 1:])
print("\n".join(sorted(seen)))
' >"$STATE/deps-$1.tmp" && mv "$STATE/deps-$1.tmp" "$STATE/deps-$1"
}
# untouched_config NAME TOUCHED: true when no object of config NAME
# depends on any file in TOUCHED and none of them is build machinery, so
# that the build at this prefix is the build at the one before.
untouched_config() {
	local name=$1 f
	[ -s "$STATE/deps-$name" ] && [ "$(cat "$STATE/bisect-$name" 2>/dev/null)" = ok ] || return 1
	for f in $2; do
		case "$f" in
		tools/* | Documentation/* | MAINTAINERS) continue ;;
		scripts/* | */Makefile* | Makefile* | */Kbuild* | Kbuild* | */Kconfig* | Kconfig* | arch/powerpc/configs/*)
			return 1 ;;
		esac
		grep -qxF "$f" "$STATE/deps-$name" && return 1
	done
	return 0
}

# kernel_key NAME COMMIT: what a build of config NAME at COMMIT is made
# from: the tree, the fragments and the compiler.
kernel_key() {
	local line cross frags
	line=$(config_line "$1") || die "unknown config $1"
	cross=$(echo "$line" | cut -d: -f2)
	frags=$(echo "$line" | cut -d: -f3 | tr ',' ' ')
	{
		echo "$1"
		git -C "$KTREE" rev-parse "$2^{tree}"
		# shellcheck disable=SC2086
		(cd "$TOP/config-fragments" && cat $frags)
		"${cross}gcc" --version 2>/dev/null | head -1
	} | sha256sum | cut -c1-24
}

# The ppc64le kernels the bisect built, by kernel_key, for test-power:
# it boots them instead of building each prefix again.
VMCACHE=$BUILD/out/vmlinux-cache
save_vmlinux() {
	mkdir -p "$VMCACHE"
	cp "$BUILD/out/$1/vmlinux" "$VMCACHE/$2.tmp" && mv "$VMCACHE/$2.tmp" "$VMCACHE/$2"
}

# A bisect cell (one config at one prefix) that passed is not built again
# while what decides it is the same: the config's kernel_key at the prefix,
# the tree of the prefix before it (the touched files), and the code of the
# functions that build and judge it.  Its deps index is kept with it, so
# that the next prefix can still be judged by untouched_config.
CELLS=$STATE/cells
cell_key() {
	{
		kernel_key "$1" "$2"
		echo "${3:-base}"
		declare -f build_kernel build_selftests extra_warnings w1_gate untouched_config deps_index bisect_cell do_bisect
	} | sha256sum | cut -c1-32
}
# cell_save KEY NAME VERDICT FIRST-RESULT-LINE
cell_save() {
	local key=$1 name=$2 verdict=$3 mark=$4 dh
	mkdir -p "$CELLS" "$STATE/depsdb"
	dh=-
	if [ -s "$STATE/deps-$name" ]; then
		dh=$(sha256sum <"$STATE/deps-$name" | cut -c1-32)
		[ -f "$STATE/depsdb/$dh" ] || cp "$STATE/deps-$name" "$STATE/depsdb/$dh"
	fi
	{
		echo "$verdict $dh $(date -u '+%Y-%m-%d %H:%M UTC')"
		tail -n +"$((mark + 1))" "$RESULTS/all"
	} >"$CELLS/$key"
	[ -f "$STATE/w1-base-$name" ] && cp "$STATE/w1-base-$name" "$CELLS/$key.w1"
	return 0
}
# cell_replay KEY NAME PREFIX: replay a saved cell; false if there is none.
cell_replay() {
	local key=$1 name=$2 i=$3 verdict dh when
	[ -z "$NO_CACHE" ] && [ -f "$CELLS/$key" ] || return 1
	read -r verdict dh when <"$CELLS/$key"
	if [ "$dh" != - ]; then
		[ -f "$STATE/depsdb/$dh" ] || return 1
		cp "$STATE/depsdb/$dh" "$STATE/deps-$name"
	fi
	if [ "$i" = 0 ]; then
		[ -f "$CELLS/$key.w1" ] || return 1
		cp "$CELLS/$key.w1" "$STATE/w1-base-$name"
	fi
	echo ok >"$STATE/bisect-$name"
	tail -n +2 "$CELLS/$key" | while read -r v n r; do
		r=$(first_reason "$r")
		result "$v" "$n" "${r:+$r; }unchanged since $when"
	done >/dev/null
	CELL_VERDICT=$verdict
}

# bisect_cell NAME PREFIX LABEL TOUCHED CFILES VKEY: build config NAME at
# the checked-out prefix, judge it (warnings in the touched files, W=1 and
# sparse) and write its verdict to $STATE/par/NAME.verdict.  Runs in a
# subshell of its own, beside the other configs of the same prefix: its
# result lines go to $RESULTS (a directory of its own).
bisect_cell() {
	local name=$1 i=$2 label=$3 touched=$4 cfiles=$5 vkey=$6 t0 log warn f cells
	t0=$(date +%s)
	log=$LOGS/build-$name.log
	# Until it is judged, the cell has failed: a build that stops the
	# subshell (die) leaves that behind.
	echo fail >"$STATE/bisect-$name"
	echo FAIL >"$STATE/par/$name.verdict"
	if build_kernel "$name" >/dev/null 2>&1; then
		[ -n "$vkey" ] && save_vmlinux "$name" "$vkey"
		deps_index "$name"
		warn=""
		for f in $touched; do
			grep -F "$f" "$log" | grep -q 'warning:' && warn="$warn $f"
		done
		if [ -n "$warn" ]; then
			cells=WARN
			[ "$i" != 0 ] && result FAIL "bisect:$label:$name" "new warnings in$warn"
		else
			cells=ok
			[ "$i" != 0 ] && result PASS "bisect:$label:$name"
		fi
		echo ok >"$STATE/bisect-$name"
		w1_gate "$i" "$name" "$label" "$touched" "$cfiles" || cells=W1
	else
		echo fail >"$STATE/bisect-$name"
		cells=FAIL
		cp "$log" "$LOGS/bisect-fail-$i-$name.log"
		result FAIL "bisect:$label:$name" "see $LOGS/bisect-fail-$i-$name.log"
	fi
	info "[$name] $cells ($(($(date +%s) - t0))s)"
	echo "$cells" >"$STATE/par/$name.verdict"
}

# Build every prefix of the series in every config, and the selftests.
do_bisect() {
	local base names commits i c name t0 table log warn touched rc=0 cells
	local ptree ckey mark vkey prev_vkey="" replayed=0 built=0 keys="" f
	base=$(base_rev)
	restore_branch
	tree_dirty && die "kernel tree $KTREE has uncommitted edits: commit or stash them before 'make bisect'"
	names=${BISECT_CONFIGS:-$(echo "$CONFIGS" | cut -d: -f1 | tr '\n' ' ')}
	mapfile -t commits < <(git -C "$KTREE" rev-list --reverse "$base..HEAD")
	[ ${#commits[@]} = "$(series_list | wc -l)" ] ||
		die "kernel tree HEAD does not hold the series: run 'make apply'"
	local orig
	orig=$(git -C "$KTREE" symbolic-ref --short HEAD)
	trap 'git -C "$KTREE" checkout -q "$orig" 2>/dev/null' EXIT
	table=$RESULTS/bisect-table
	mkdir -p "$RESULTS"
	printf '%-60s' "patch" >"$table"
	for name in $names selftests; do printf ' %-9s' "$name" >>"$table"; done
	echo >>"$table"
	# Kernel C files the series touches: their W=1 and sparse warnings at
	# the base are the baseline that no patch may add to.
	local cfiles
	cfiles=$(git -C "$KTREE" diff --name-only "$base..HEAD" -- '*.c' | grep -v '^tools/')
	# Prefix 0 (the base) first: it sets the warning baseline.
	for i in $(seq 0 ${#commits[@]}); do
		if [ "$i" = 0 ]; then
			c=$base
			label="(base)"
			touched=""
			ptree=""
		else
			c=${commits[$((i - 1))]}
			label=$(series_list | sed -n "${i}p")
			touched=$(git -C "$KTREE" diff-tree --no-commit-id --name-only -r "$c")
			ptree=$(git -C "$KTREE" rev-parse "$c^^{tree}")
		fi
		git -C "$KTREE" checkout -q --detach "$c" || die "checkout of $c failed in $KTREE"
		# The files the patch touches are rebuilt (and their warnings seen)
		# even when the tree last built had them as they are here.
		for f in $touched; do
			[ -f "$KTREE/$f" ] && touch "$KTREE/$f"
		done
		printf '%-60s' "$(echo "$label" | cut -c1-60)" >>"$table"
		echo "--- bisect [$i/${#commits[@]}] $label"
		# A patch that touches nothing outside tools/ leaves every kernel
		# build as it was: record that instead of re-running make.
		kernel_touched=yes
		if [ "$i" != 0 ] && ! echo "$touched" | grep -qv '^tools/'; then
			kernel_touched=""
		fi
		# First the cells that need no make (replayed, only tools/ touched,
		# no object depends on the touched files), then the builds of
		# this prefix, all at once: each config has its own output
		# directory, and most of a small build is serial (the tree walk,
		# the link, sparse), so two cores are kept busy by running them
		# side by side.
		declare -A cellv=() ckeys=()
		local todo="" pdir=$STATE/par pj n_todo
		for name in $names; do
			ckey=$(cell_key "$name" "$c" "$ptree")
			ckeys[$name]=$ckey
			vkey=""
			if [ "$name" = ppc64le ]; then
				vkey=$(kernel_key "$name" "$c")
				keys="$keys $vkey"
			fi
			mark=$(wc -l <"$RESULTS/all")
			if cell_replay "$ckey" "$name" "$i"; then
				replayed=$((replayed + 1))
				info "[$name] $CELL_VERDICT (unchanged since an earlier run)"
				cellv[$name]=$CELL_VERDICT
				prev_vkey=${vkey:-$prev_vkey}
				continue
			fi
			if [ -z "$kernel_touched" ] && [ "$(cat "$STATE/bisect-$name" 2>/dev/null)" = ok ]; then
				result PASS "bisect:$label:$name" "touches only tools/: kernel build unchanged"
				info "[$name] ok (only tools/ touched)"
				cellv[$name]="ok="
			elif [ "$i" != 0 ] && untouched_config "$name" "$touched"; then
				result PASS "bisect:$label:$name" "no object of $name depends on the files it touches: build unchanged"
				info "[$name] ok (no object depends on the touched files)"
				cellv[$name]="ok-"
			else
				todo="$todo $name"
				continue
			fi
			cell_save "$ckey" "$name" "${cellv[$name]}" "$mark"
			if [ -n "$vkey" ] && [ -f "$VMCACHE/$prev_vkey" ]; then
				ln -f "$VMCACHE/$prev_vkey" "$VMCACHE/$vkey"
			fi
			prev_vkey=${vkey:-$prev_vkey}
		done
		# The selftests of this prefix build alongside.
		local st_key st_todo=""
		st_key=$({ echo selftests; git -C "$KTREE" rev-parse "$c^{tree}"; declare -f build_selftests
			powerpc64le-linux-gnu-gcc --version 2>/dev/null | head -1; } |
			sha256sum | cut -c1-32)
		if [ "$i" = 0 ]; then
			cellv[selftests]="-"
		elif cell_replay "$st_key" selftests "$i"; then
			replayed=$((replayed + 1))
			cellv[selftests]=ok
		else
			st_todo=yes
		fi
		n_todo=$(echo $todo ${st_todo:+selftests} | wc -w)
		pj=$JOBS
		[ "$n_todo" -gt 1 ] && pj=${PAR_JOBS:-2}
		rm -rf "$pdir"
		mkdir -p "$pdir"
		# Background jobs of a non-interactive shell ignore SIGINT: an
		# interrupt stops them here before the tree is checked out again.
		trap 'trap "" INT TERM; kill -TERM 0; wait; exit 130' INT TERM
		for name in $todo; do
			built=$((built + 1))
			vkey=""
			[ "$name" = ppc64le ] && vkey=$(kernel_key "$name" "$c")
			(trap - INT TERM
				JOBS=$pj RESULTS=$pdir/$name bisect_cell "$name" "$i" "$label" "$touched" "$cfiles" "$vkey" \
				>"$pdir/$name.out" 2>&1) &
		done
		if [ -n "$st_todo" ]; then
			(RESULTS=$pdir/selftests JOBS=$pj
				if build_selftests "$BUILD/selftests-bisect" >/dev/null 2>&1; then
					result PASS "bisect:$label:selftests"
					echo ok >"$pdir/selftests.verdict"
				else
					cp "$LOGS/selftests.log" "$LOGS/bisect-fail-$i-selftests.log"
					result FAIL "bisect:$label:selftests" "see $LOGS/bisect-fail-$i-selftests.log"
					echo FAIL >"$pdir/selftests.verdict"
				fi >/dev/null) &
		fi
		wait
		trap - INT TERM
		# Their results, in the order of the matrix.
		for name in $todo ${st_todo:+selftests}; do
			mark=$(wc -l <"$RESULTS/all")
			[ -f "$pdir/$name/all" ] && cat "$pdir/$name/all" >>"$RESULTS/all"
			[ -f "$pdir/$name.out" ] && cat "$pdir/$name.out"
			cells=$(cat "$pdir/$name.verdict" 2>/dev/null || echo FAIL)
			cellv[$name]=$cells
			# A build that stopped before judging itself said nothing.
			if [ "$cells" != ok ] && ! grep -q "^[A-Z]* bisect:$label:$name\( \|$\)" "$pdir/$name/all" 2>/dev/null; then
				result FAIL "bisect:$label:$name" "the build stopped: see $pdir/$name.out and $LOGS/build-$name.log"
			fi
			if [ "$name" = ppc64le ] && [ -f "$VMCACHE/$(kernel_key "$name" "$c")" ]; then
				prev_vkey=$(kernel_key "$name" "$c")
			fi
			if [ "$cells" = ok ]; then
				if [ "$name" = selftests ]; then
					cell_save "$st_key" selftests ok "$mark"
				else
					cell_save "${ckeys[$name]}" "$name" ok "$mark"
				fi
			else
				rc=1
			fi
		done
		for name in $names selftests; do
			printf ' %-9s' "${cellv[$name]}" >>"$table"
		done
		echo >>"$table"
	done
	git -C "$KTREE" checkout -q "$orig"
	trap - EXIT
	# Keep the kernels of this series only.
	for f in "$VMCACHE"/*; do
		[ -f "$f" ] || continue
		case " $keys " in *" ${f##*/} "*) ;; *) rm -f "$f" ;; esac
	done
	cat "$table"
	info "$built builds run, $replayed cells unchanged since an earlier run (NO_CACHE=1 re-runs them)"
	return $rc
}

# ---------------------------------------------------------------- test power
# start_series_walk TARGET: the kernel tree on the series branch, clean, the
# selftests built, and the branch restored on exit; sets $base and $orig.
start_series_walk() {
	base=$(base_rev)
	restore_branch
	tree_dirty && die "kernel tree $KTREE has uncommitted edits: commit or stash them before 'make $1'"
	build_selftests || die "selftests build failed: see $LOGS/selftests.log"
	orig=$(git -C "$KTREE" symbolic-ref --short HEAD)
	trap "git -C '$KTREE' checkout -q '$orig' 2>/dev/null" EXIT
}

# commit_of SUBJECT: the patch of the series with that subject, if any.
commit_of() {
	git -C "$KTREE" log --format='%H %s' "$base..$orig" |
		awk -v s="$1" 'substr($0, 42) == s { print $1; exit }'
}

# For each line of kselftests/test-power: build the ppc64le kernel just
# before the patch and at it, run the patch's test in the VM on both, and
# require fail-then-pass ("fix", the default) or pass-and-pass ("same", for
# a patch that must not change behaviour).
#
# A kernel is booted once per host and set of flavors for all the lines
# that need it (the kernel at one patch is often the kernel before the
# next), running their tests one after the other, those that must fail
# there first.  A pass from such a boot counts, and so does a failure of
# the boot's first test; any other failure, and a test the boot did not
# get to, is run again in a boot of its own, so that one test's effect on
# the host cannot make another fail.
POWER=$STATE/power-boots
do_test_power() {
	local base map=$TOP/kselftests/test-power orig subject test host fl
	local commit prev rc=0 before after n=0 table expect want lkey when g k
	local -a l_subject=() l_test=() l_host=() l_fl=() l_expect=() l_prev=() l_commit=() l_key=() l_cached=()
	start_series_walk test-power
	table=$RESULTS/test-power-table
	mkdir -p "$RESULTS"
	printf '%-64s %-28s %-8s %-8s\n' patch test before at >"$table"
	rm -rf "$POWER"
	mkdir -p "$POWER"
	rm -f "$LOGS"/vm-*-power-*.log
	# The lines, and the boots the ones not replayed need.
	while IFS='|' read -r subject test host fl expect; do
		case "$subject" in '#'* | '') continue ;; esac
		commit=$(commit_of "$subject")
		prev=""
		lkey=""
		when=""
		if [ -n "$commit" ]; then
			prev=$(git -C "$KTREE" rev-parse "$commit^")
			# A line that passed is not run again while its two kernels,
			# the test program and the VM runner are the same.
			lkey=$({
				kernel_key ppc64le "$prev"
				kernel_key ppc64le "$commit"
				echo "$test|$host|$fl|${expect:-fix}"
				cat "$SELFTESTS_OUT/$test" "$TOP/kselftests/run-vm.sh" "$TOP/kselftests/init.c" \
					"$TOP/kselftests/known-splats" "$TOP/kselftests/vm-args" \
					"$TOP/kselftests/vm-skips" 2>/dev/null
				qemu-system-ppc64 --version 2>/dev/null | head -1
				declare -f do_test_power power_run power_group power_boot power_verdict
			} | sha256sum | cut -c1-32)
			if [ -z "$NO_CACHE" ] && [ -f "$STATE/power/$lkey" ]; then
				when=$(cat "$STATE/power/$lkey")
			else
				# The run that must fail goes first in its boot.
				g=$(power_group "$prev" "$host" "$fl")
				if [ -n "$g" ]; then
					if [ "${expect:-fix}" = same ]; then
						echo "$test" >>"$POWER/$g.later"
					else
						echo "$test" >>"$POWER/$g.first"
					fi
				fi
				g=$(power_group "$commit" "$host" "$fl")
				[ -n "$g" ] && echo "$test" >>"$POWER/$g.later"
			fi
		fi
		l_subject[n]=$subject l_test[n]=$test l_host[n]=$host l_fl[n]=$fl
		l_expect[n]=${expect:-fix} l_prev[n]=$prev l_commit[n]=$commit
		l_key[n]=$lkey l_cached[n]=$when
		n=$((n + 1))
	done <"$map"
	# One boot per kernel, host and flavors.
	# Two boots at a time (VM_LANES): each QEMU is one TCG vCPU, and
	# every boot writes files of its own group.  Background jobs of a
	# non-interactive shell ignore SIGINT: an interrupt stops them here.
	local running=0
	trap 'trap "" INT TERM; kill -TERM 0; wait; exit 130' INT TERM
	for g in "$POWER"/*.vmlinux; do
		[ -f "$g" ] || continue
		if [ "$running" -ge "${VM_LANES:-2}" ]; then
			wait -n
			running=$((running - 1))
		fi
		(trap - INT TERM; power_boot "$(basename "$g" .vmlinux)") &
		running=$((running + 1))
	done
	wait
	trap - INT TERM
	# The verdicts, in the order of the map.
	for ((k = 0; k < n; k++)); do
		subject=${l_subject[k]} test=${l_test[k]}
		if [ -z "${l_commit[k]}" ]; then
			result FAIL "test-power:$subject" "no patch with that subject in the series"
			rc=1
			continue
		fi
		if [ -n "${l_cached[k]}" ]; then
			read -r before after when <<<"${l_cached[k]}"
			printf '%-64s %-28s %-8s %-8s\n' "$(echo "$subject" | cut -c1-64)" "$test" "$before" "$after" >>"$table"
			result PASS "test-power:$subject" "$test: $before before, $after at the patch; unchanged since $when"
			continue
		fi
		before=$(power_verdict "${l_prev[k]}" "$test" "${l_host[k]}" "${l_fl[k]}" before)
		after=$(power_verdict "${l_commit[k]}" "$test" "${l_host[k]}" "${l_fl[k]}" at)
		printf '%-64s %-28s %-8s %-8s\n' "$(echo "$subject" | cut -c1-64)" "$test" "$before" "$after" >>"$table"
		case "${l_expect[k]}" in
		same) want=pass ;;
		*) want=fail ;;
		esac
		if [ "$before" = "$want" ] && [ "$after" = pass ]; then
			mkdir -p "$STATE/power"
			echo "$before $after $(date -u '+%Y-%m-%d %H:%M UTC')" >"$STATE/power/${l_key[k]}"
			if [ "$want" = pass ]; then
				result PASS "test-power:$subject" "$test passes before and at the patch (no change intended)"
			else
				result PASS "test-power:$subject" "$test fails before, passes at the patch"
			fi
		else
			result FAIL "test-power:$subject" "$test: $before before, $after at the patch (want $want, pass)"
			rc=1
		fi
	done
	git -C "$KTREE" checkout -q "$orig"
	trap - EXIT
	[ "$n" = 0 ] && info "no behaviour-changing patches listed in kselftests/test-power"
	info "$(ls "$POWER"/*.vmlinux 2>/dev/null | wc -l) shared boots, $(cat "$POWER/reruns" 2>/dev/null | wc -l) tests run again alone (logs: $LOGS/vm-*-power-*.log)"
	cat "$table"
	return $rc
}

# power_group COMMIT HOST FLAVORS: the boot that runs tests on COMMIT's
# ppc64le kernel on HOST for FLAVORS, named by the kernel's contents (the
# kernels of prefixes that differ in tools/ only are one kernel).  Builds
# the kernel if the bisect did not.
power_group() {
	local c=$1 host=$2 fl=$3 key vm g
	key=$(kernel_key ppc64le "$c")
	vm=$VMCACHE/$key
	if [ ! -f "$vm" ]; then
		git -C "$KTREE" checkout -q --detach "$c" || return 0
		build_kernel ppc64le >"$LOGS/test-power-build.log" 2>&1 || return 0
		save_vmlinux ppc64le "$key"
	fi
	g=$(sha256sum <"$vm" | cut -c1-16).$host.$(echo "$fl" | tr ',' '+')
	[ -f "$POWER/$g.vmlinux" ] || echo "$vm" >"$POWER/$g.vmlinux"
	echo "$g"
}

# power_boot GROUP: boot the group's kernel once and run all its tests,
# those that must fail first.
power_boot() {
	local g=$1 tests sum host fl log
	IFS=. read -r sum host fl <<<"$g"
	fl=$(echo "$fl" | tr '+' ',')
	tests=$(cat "$POWER/$g.first" "$POWER/$g.later" 2>/dev/null | awk '!seen[$0]++' | paste -sd,)
	info "[test-power] $host, kernel $sum, $fl: $tests"
	# An initramfs of its own: two boots run at a time, and run-vm.sh
	# writes the initramfs (and the test list) before it boots.
	RESULTS=$POWER/$g.res VMLINUX=$(cat "$POWER/$g.vmlinux") ARGS= \
		HOSTS=$host FLAVORS=$fl ONLY=$tests TAG="power-$sum-${fl//,/+}" \
		INITRAMFS=$POWER/$g.initramfs \
		"$TOP/kselftests/run-vm.sh" all >"$POWER/$g.out" 2>&1
	rm -rf "$POWER/$g.initramfs"
	touch "$POWER/$g.res/all"
	# The first test the boot ran, as the console says.
	log=$LOGS/vm-$host-power-$sum-${fl//,/+}.log
	grep -a -m1 '^# kvmtest: start ' "$log" 2>/dev/null | sed 's/^# kvmtest: start //; s/\r$//' >"$POWER/$g.firstrun"
}

# power_verdict COMMIT TEST HOST FLAVORS TAG: pass, fail or skip of TEST
# on COMMIT: from the shared boot where it can be trusted (see above),
# from a boot of its own otherwise.
power_verdict() {
	local c=$1 test=$2 host=$3 fl=$4 g res f line v=skip
	g=$(power_group "$c" "$host" "$fl")
	res=$POWER/$g.res/all
	[ -n "$g" ] && [ -f "$res" ] || { power_run "$@"; return; }
	for f in $(echo "$fl" | tr ',' ' '); do
		line=$(grep -E "^(PASS|FAIL|SKIP) kvm:$test:$f@$host#" "$res" | head -1)
		case "$line" in
		PASS*) [ "$v" = fail ] || v=pass ;;
		SKIP*) ;;
		FAIL*)
			if [ "$(cat "$POWER/$g.firstrun")" != "$test:$f@$host" ]; then
				echo "$test $c" >>"$POWER/reruns"
				power_run "$@"
				return
			fi
			v=fail ;;
		*)
			echo "$test $c" >>"$POWER/reruns"
			power_run "$@"
			return ;;
		esac
	done
	# At the patch the host must stay clean too: a splat in a shared
	# boot is not this test's until a boot of its own shows it.
	if [ "$5" = at ] && [ "$v" = pass ] &&
		grep -q "^FAIL kvm:host-kernel-clean@$host#" "$res"; then
		echo "$test $c" >>"$POWER/reruns"
		power_run "$@"
		return
	fi
	echo "$v"
}

# power_run COMMIT TEST HOST FLAVORS TAG: pass or fail of TEST on COMMIT.
power_run() {
	local c=$1 test=$2 host=$3 fl=$4 tag=$5 res key vm
	key=$(kernel_key ppc64le "$c")
	vm=$VMCACHE/$key
	if [ ! -f "$vm" ]; then
		# Not built by a bisect of this series: build it here.
		git -C "$KTREE" checkout -q --detach "$c" || { echo error; return; }
		build_kernel ppc64le >"$LOGS/test-power-build.log" 2>&1 || { echo build-fail; return; }
		save_vmlinux ppc64le "$key"
	fi
	res=$(RESULTS=$BUILD/power-results VMLINUX=$vm ARGS= \
		HOSTS=$host FLAVORS=$fl ONLY=$test TAG="power-$tag" \
		"$TOP/kselftests/run-vm.sh" all 2>&1 | grep -E '^  (PASS|FAIL|SKIP) kvm:')
	# At the patch, a splat on the host console fails the test.
	if [ "$tag" = at ] && echo "$res" | grep -q '^  FAIL kvm:host-kernel-clean'; then
		echo fail
		return
	fi
	res=$(echo "$res" | grep -v 'kvm:host-kernel-clean\|kvm:host-boot-clean')
	if echo "$res" | grep -q '^  FAIL'; then
		echo fail
	elif echo "$res" | grep -q '^  PASS'; then
		echo pass
	else
		echo skip
	fi
}

# ---------------------------------------------------------------- bench
# Cost of fetching the guest instruction on an emulation exit: the KVM-PR
# guest of powerpc/last_inst_test makes BENCH_STORES emulated stores to an
# ioeventfd (one exit each, no exit to userspace), on the kernel before the
# C fetch (the exit-path load with its fixup), at it (a walk of the guest
# page table) and at the shadow-MMU cache lookup, built in BENCH_CONFIG
# (default ppc64le-nodebug).  TCG timing drifts over minutes, so the
# kernels take turns: BENCH_ROUNDS boots of each, in rotation, each
# running the test BENCH_RUNS times.
BENCH_POINTS="fixup|KVM: PPC: Book3S: Fetch the guest instruction in C, drop KVM_GUEST_MODE_SKIP|^
walk|KVM: PPC: Book3S: Fetch the guest instruction in C, drop KVM_GUEST_MODE_SKIP|
cache|KVM: PPC: Book3S PR: Look the guest instruction up in the shadow-MMU cache|"

# ---------------------------------------------------------------- real guests
# do_l2: QEMU inside the VM boots Linux guests on KVM-PR and KVM-HV
# (scripts/l2.sh), on the series' ppc64le kernel, and for the numbers on the
# base's too when the bisect has built it.
do_l2() {
	local series=$BUILD/out/ppc64le/vmlinux base
	[ -f "$series" ] || die "no ppc64le kernel: run 'make build'"
	base=$VMCACHE/$(kernel_key ppc64le base)
	[ -f "$base" ] || base=
	# A stage that stops (no packages, no network) is a failure, not a
	# silent absence of its checks.
	SERIES_VMLINUX=$series BASE_VMLINUX=$base BUILD=$BUILD RESULTS=$RESULTS \
		"$TOP/scripts/l2.sh" ||
		{ result FAIL l2 "the real-guest stage stopped: see the error above"; return 1; }
}

do_bench() {
	local base orig label subject rel commit out=$RESULTS/bench round log
	local stores=${BENCH_STORES:-20000} runs=${BENCH_RUNS:-3}
	local rounds=${BENCH_ROUNDS:-3} cfg=${BENCH_CONFIG:-ppc64le-nodebug}
	start_series_walk bench
	mkdir -p "$out"
	: >"$out/raw"
	while IFS='|' read -r label subject rel; do
		commit=$(commit_of "$subject")
		[ -n "$commit" ] || die "bench: no patch '$subject' in the series"
		git -C "$KTREE" checkout -q --detach "$commit$rel" || die "checkout of $commit$rel failed"
		info "[$label] $(git -C "$KTREE" log -1 --format='%h %s')"
		build_kernel "$cfg" >"$LOGS/bench-build.log" 2>&1 ||
			die "[$label] kernel build failed: see $LOGS/bench-build.log"
		cp "$BUILD/out/$cfg/vmlinux" "$out/vmlinux.$label"
	done <<<"$BENCH_POINTS"
	git -C "$KTREE" checkout -q "$orig"
	trap - EXIT
	for round in $(seq "$rounds"); do
		for label in $(echo "$BENCH_POINTS" | cut -d'|' -f1); do
			info "round $round: $label"
			log=$LOGS/vm-hash-bench-$label.log
			RESULTS=$out VMLINUX=$out/vmlinux.$label HOSTS=hash FLAVORS=pr \
				ONLY=powerpc/last_inst_test ARGS="-b,$stores,-r,$runs" \
				TEST_TIMEOUT=$((60 + runs * stores / 50)) TAG="bench-$label" \
				"$TOP/kselftests/run-vm.sh" all >"$LOGS/bench-$label.log" 2>&1
			grep -q "^  PASS kvm:powerpc/last_inst_test" "$LOGS/bench-$label.log" ||
				die "[$label] last_inst_test did not pass: see $log"
			tr -d '\r' <"$log" | grep '^# # bench ' |
				sed "s/^# # bench /$label /" >>"$out/raw"
		done
	done
	# "label KVM-pr <mode>: N <what>, T ns/<op>, E exits/<op>", op store,
	# hcall or syscall: one row per mode, op and kernel.
	awk '
	{ label = $1; mode = ($3 == "real") ? "real" : "translated"
	  for (i = 1; i <= NF; i++) {
		if ($i ~ /^ns\//) { ns = $(i - 1); op = substr($i, 4); sub(/,$/, "", op) }
		if ($i ~ /^exits\//) ex = $(i - 1)
	  }
	  g = mode " " op; k = label " " g; n[k]++; v[k, n[k]] = ns; x[k, n[k]] = ex
	  if (!(g in seeng)) { seeng[g] = 1; groups[++ng] = g }
	  if (!(label in seenl)) { seenl[label] = 1; labels[++nl] = label } }
	function sorted(a, k,   i, j, t) {
		for (i = 1; i <= n[k]; i++) s[i] = a[k, i]
		for (i = 1; i <= n[k]; i++) for (j = i + 1; j <= n[k]; j++)
			if (s[j] + 0 < s[i] + 0) { t = s[i]; s[i] = s[j]; s[j] = t }
	}
	END {
		printf "%-19s %-6s %4s %9s %9s %9s %8s %6s %6s %6s\n", "mode, op", "kernel",
		       "runs", "median", "min", "max", "exits", "x med", "x min", "x max"
		for (m = 1; m <= ng; m++) for (l = 1; l <= nl; l++) {
			k = labels[l] " " groups[m]
			if (!n[k]) continue
			sorted(x, k); mx = s[int((n[k] + 1) / 2)]
			sorted(v, k)
			med[k] = s[int((n[k] + 1) / 2)]; lo[k] = s[1]; hi[k] = s[n[k]]
			r = labels[1] " " groups[m]
			printf "%-19s %-6s %4d %7dns %7dns %7dns %8s %6.3f %6.3f %6.3f\n", groups[m],
			       labels[l], n[k], med[k], lo[k], hi[k], mx, med[k] / med[r],
			       lo[k] / lo[r], hi[k] / hi[r]
		}
	}' "$out/raw" | tee "$RESULTS/bench-table"
	info "kernel config $cfg; ns and exits per operation (medians): an emulated store, a KVM hypercall, a problem-state system call; ratios against '$(echo "$BENCH_POINTS" | head -1 | cut -d'|' -f1)'; raw: $out/raw"
}

# cached_run STAGE FUNC TABLE: FUNC, unless cached() can replay it.
cached_run() {
	local stage=$1 fn=$2 table=$RESULTS/$3 mark
	mkdir -p "$RESULTS" "$STATE"
	touch "$RESULTS/all"
	cached "$stage" && return 0
	mark=$(wc -l <"$RESULTS/all")
	"$fn" || return 1
	remember "$stage" "$mark" "$table"
}

# ---------------------------------------------------------------- summary
print_stage_times() {
	[ -n "$RUN_ID" ] && [ -f "$BUILD/stage-times" ] || return 0
	grep -q "^$RUN_ID " "$BUILD/stage-times" || return 0
	echo "stage times (this run, wall clock $(($(date +%s) - RUN_ID))s):"
	sed -n "s/^$RUN_ID //p" "$BUILD/stage-times" |
		awk -F'|' '{ printf "  %-24s %6ds  %5.1f min\n", $1, $2, $2 / 60 }'
}

do_summary() {
	local f=$RESULTS/all p fl s
	print_stage_times
	[ -f "$f" ] || { echo "0 passed, 0 failed"; return 1; }
	p=$(grep -c '^PASS ' "$f")
	fl=$(grep -c '^FAIL ' "$f")
	s=$(grep -c '^SKIP ' "$f")
	if [ "$s" != 0 ]; then
		echo "skipped ($s):"
		grep '^SKIP ' "$f" | sed 's/^SKIP /  /'
	fi
	if [ "$fl" != 0 ]; then
		echo "failed ($fl):"
		grep '^FAIL ' "$f" | sed 's/^FAIL /  /'
	fi
	echo "$p passed, $fl failed, $s skipped"
	[ "$fl" = 0 ] && [ "$p" != 0 ]
}

cmd=$1
shift
case "$cmd" in
deps) stage deps do_deps ;;
base) stage base do_base ;;
apply) stage apply do_apply ;;
export) stage export do_export ;;
check-export) stage check-export do_check_export ;;
checkpatch) stage checkpatch do_checkpatch ;;
build) stage "build ${1:-ppc64le}" do_build "$@" ;;
selftests) stage selftests do_selftests ;;
bisect) stage bisect cached_run bisect do_bisect bisect-table ;;
bench) stage bench do_bench ;;
l2) stage l2 do_l2 ;;
stable-check) stage stable-check do_stable_check ;;
test-power) stage test-power cached_run test-power do_test_power test-power-table ;;
cover)
	if out=$("$TOP/scripts/cover.sh" check 2>&1); then
		echo "$out"
		result PASS cover-letter "patch list and diffstat match the series"
	else
		echo "$out"
		result FAIL cover-letter "cover-letter.txt does not match the series: fix the text, then 'make cover-sync'"
	fi ;;
extra-warnings) extra_warnings "$@" ;;
summary) do_summary ;;
reset-results) rm -rf "$RESULTS"; mkdir -p "$RESULTS" ;;
ktree) echo "$KTREE" ;;
builddir) echo "$BUILD" ;;
*) die "usage: harness.sh deps|base|apply|export|check-export|checkpatch|build [cfg]|selftests|bisect|l2|summary" ;;
esac
