#!/bin/bash
# Real guests: Debian's ppc64el build of QEMU runs inside the powernv VM
# (L1, the project's kernel) and boots Linux guests (L2) on /dev/kvm, under
# KVM-PR and KVM-HV.  The L1 root file system is built from Debian's
# ppc64el packages, fetched with a private apt configuration (nothing is
# installed on this machine) and cached until their versions change.
#
# Environment: SERIES_VMLINUX= (L1 kernel, the whole series), BASE_VMLINUX=
# (L1 kernel at the base, for the numbers; optional), L2_HOSTS="hash radix",
# L2_LIMIT=<s per L2 case>, L2_BENCH=1 (the numbers' cases too),
# L2_CASES=<flavor:vmm:kernel,...> (instead of a host's list), BUILD=,
# RESULTS=.
# Results go to $RESULTS/all as PASS/FAIL/SKIP lines, the numbers to
# $RESULTS/l2-table.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
RESULTS=${RESULTS:-$BUILD/results}
LOGS=$BUILD/logs
L2=$BUILD/l2
SRC=$TOP/kselftests/l2
QEMU=${QEMU:-qemu-system-ppc64}
L2_HOSTS=${L2_HOSTS:-hash radix}
L2_LIMIT=${L2_LIMIT:-600}
CROSS=powerpc64le-linux-gnu-
# The packages the L1 needs: QEMU, and Debian's own kernel as an L2.
PKGS="qemu-system-ppc linux-image-powerpc64le"

die() { echo "error: $*" >&2; exit 1; }
info() { echo "  $*"; }
result() {
	mkdir -p "$RESULTS"
	printf '%s %s %s\n' "$1" "$2" "${3:-}" >>"$RESULTS/all"
	printf '  %-4s %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

mkdir -p "$L2" "$LOGS" "$RESULTS"
[ -n "${SERIES_VMLINUX:-}" ] && [ -f "$SERIES_VMLINUX" ] ||
	die "no L1 kernel (SERIES_VMLINUX=${SERIES_VMLINUX:-}): run 'make build'"
command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc missing: run 'make deps'"
command -v "$QEMU" >/dev/null || die "$QEMU missing: run 'make deps'"

# ------------------------------------------------------------ packages
# A private apt: ppc64el only, an empty dpkg status, its own lists and
# cache under $L2/apt.  Debian's archive keyring checks what it fetches.
APTDIR=$L2/apt
aptc() { APT_CONFIG=$APTDIR/apt.conf "$@"; }
setup_apt() {
	local suite
	suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial"
	[ -f "$APTDIR/status" ] || : >"$APTDIR/status"
	cat >"$APTDIR/sources.list" <<EOS
deb [arch=ppc64el signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
deb [arch=ppc64el signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite-updates main
deb [arch=ppc64el signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $suite-security main
EOS
	cat >"$APTDIR/apt.conf" <<EOS
APT::Architecture "ppc64el";
APT::Architectures "ppc64el";
APT::Install-Recommends "false";
Dir::State "$APTDIR";
Dir::State::Lists "$APTDIR/lists";
Dir::State::status "$APTDIR/status";
Dir::Cache "$APTDIR";
Dir::Cache::Archives "$APTDIR/archives";
Dir::Etc::SourceList "$APTDIR/sources.list";
Dir::Etc::SourceParts "$APTDIR/none";
Dir::Etc::Preferences "$APTDIR/none";
Dir::Etc::PreferencesParts "$APTDIR/none";
Dir::Etc::Trusted "$APTDIR/none";
Dir::Etc::TrustedParts "$APTDIR/none";
EOS
	mkdir -p "$APTDIR/none"
}

# fetch: the packages and their dependency closure, as .deb files.
fetch() {
	local log=$LOGS/l2-apt.log
	setup_apt
	if ! aptc apt-get -q update >"$log" 2>&1; then
		[ -n "$(ls "$APTDIR/archives/"*.deb 2>/dev/null)" ] ||
			die "cannot fetch Debian's ppc64el package lists (see $log): check the network, then 'make l2'"
		info "note: package lists not updated (see $log); using the cached packages"
		return 0
	fi
	# shellcheck disable=SC2086
	aptc apt-get -q -y --download-only install $PKGS >>"$log" 2>&1 ||
		die "cannot download $PKGS for ppc64el (see $log): check the network, then 'make l2'"
}

# The .deb of an installed-by-closure package, newest version.
deb_of() { ls "$APTDIR/archives/${1}_"*.deb 2>/dev/null | sort -V | tail -1; }

# ------------------------------------------------------------ L1 root
# lib_closure ROOT FILE...: FILE and the shared libraries it needs, as paths
# inside ROOT (the ppc64el multiarch directories), from readelf's NEEDED.
lib_closure() {
	local root=$1 f n p found
	shift
	local todo=("$@") seen=" "
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		case "$seen" in *" $f "*) continue ;; esac
		seen="$seen$f "
		echo "$f"
		for n in $("${CROSS}readelf" -d "$root/$f" 2>/dev/null |
			sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			found=
			for p in lib/powerpc64le-linux-gnu usr/lib/powerpc64le-linux-gnu lib64 usr/lib; do
				if [ -e "$root/$p/$n" ]; then found=$p/$n; break; fi
			done
			[ -n "$found" ] || { echo "MISSING $n (needed by $f)"; continue; }
			todo+=("$found")
		done
	done
}

# build_l1_initramfs: $L2/l1.cpio from the packages and kselftests/l2.
build_l1_initramfs() {
	local pkgroot=$L2/pkgroot root=$L2/root key deb f kver missing
	key=$( {
		for deb in "$APTDIR/archives/"*.deb; do basename "$deb"; done | sort
		cat "$SRC"/*.c "$0"
		sha256sum <"$SERIES_VMLINUX"
		"${CROSS}gcc" --version | head -1
	} | sha256sum | cut -c1-24)
	if [ -f "$L2/l1.cpio" ] && [ "$(cat "$L2/l1.key" 2>/dev/null)" = "$key" ]; then
		info "L1 initramfs unchanged ($(du -m "$L2/l1.cpio" | cut -f1) MB)"
		return 0
	fi
	rm -rf "$pkgroot" "$root" "$L2/l1.cpio" "$L2/l1.key"
	mkdir -p "$pkgroot" "$root"
	for deb in "$APTDIR/archives/"*.deb; do
		dpkg-deb -x "$deb" "$pkgroot" || die "cannot unpack $deb: delete $APTDIR/archives and run 'make l2' again"
	done
	[ -x "$pkgroot/usr/bin/qemu-system-ppc64" ] || die "no qemu-system-ppc64 in the ppc64el packages: delete $L2 and run 'make l2' again"
	missing=$(lib_closure "$pkgroot" usr/bin/qemu-system-ppc64 | tee "$L2/closure" | grep '^MISSING' || true)
	[ -z "$missing" ] || die "QEMU for ppc64el needs a library no package gave: $missing"
	while read -r f; do
		mkdir -p "$root/$(dirname "$f")"
		cp -L "$pkgroot/$f" "$root/$f"
	done <"$L2/closure"
	# The dynamic loader, where the ELF interpreter path wants it.
	mkdir -p "$root/lib64"
	cp -L "$pkgroot/lib/powerpc64le-linux-gnu/ld64.so.2" "$root/lib64/ld64.so.2"
	mkdir -p "$root/usr/share/qemu" "$root/l2" "$root/proc" "$root/sys" \
		"$root/dev" "$root/tmp" "$root/sys/kernel/tracing"
	cp "$pkgroot/usr/share/qemu/vof.bin" "$root/usr/share/qemu/"
	# L2 kernels: Debian's own, and the project's test kernel (the L1's).
	kver=$(ls "$pkgroot/boot/" | sed -n 's/^vmlinux-//p' | sort -V | tail -1)
	[ -n "$kver" ] || die "no vmlinux in Debian's linux-image package: delete $L2 and run 'make l2' again"
	"${CROSS}strip" -o "$root/l2/vmlinux-debian" "$pkgroot/boot/vmlinux-$kver"
	echo "$kver" >"$L2/debian-kernel"
	"${CROSS}strip" -o "$root/l2/vmlinux-test" "$SERIES_VMLINUX"
	# The programs: L1 /init, L2 /init (in the L2 initrd), the AIL=3 VMM shim.
	"${CROSS}gcc" -O2 -Wall -static -o "$root/init" "$SRC/l1init.c" ||
		die "cannot build kselftests/l2/l1init.c"
	"${CROSS}gcc" -O2 -Wall -shared -fPIC -o "$root/l2/ail3.so" "$SRC/ail3.c" -ldl ||
		die "cannot build kselftests/l2/ail3.c"
	mkdir -p "$L2/l2root"
	"${CROSS}gcc" -O2 -Wall -static -o "$L2/l2root/init" "$SRC/l2init.c" ||
		die "cannot build kselftests/l2/l2init.c"
	(cd "$L2/l2root" && echo init | cpio -o -H newc --owner 0:0 --quiet) >"$root/l2/initrd.cpio"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) >"$L2/l1.cpio.tmp" ||
		die "cannot write $L2/l1.cpio"
	mv "$L2/l1.cpio.tmp" "$L2/l1.cpio"
	echo "$key" >"$L2/l1.key"
	info "L1 initramfs: $(du -m "$L2/l1.cpio" | cut -f1) MB (QEMU $(dpkg-deb -f "$(deb_of qemu-system-ppc)" Version), L2 kernels Debian $kver and the test kernel)"
}

# ------------------------------------------------------------ L1 boots
# boot_l1 LABEL HOST VMLINUX CASES: boot the L1 and run CASES in it; the
# console goes to $LOGS/l2-LABEL-HOST.log.  False if the L1 did not finish.
boot_l1() {
	local label=$1 host=$2 vmlinux=$3 cases=$4 machine append log limit
	local pid t0 n size=0 nsize quiet_since quiet_max status
	case $host in
	hash) machine=powernv9 append=disable_radix ;;
	radix) machine=powernv9 append= ;;
	*) die "unknown L2 host $host" ;;
	esac
	n=$(echo "$cases" | tr ',' '\n' | grep -c .)
	limit=$((150 + n * (L2_LIMIT + 15)))
	quiet_max=$((L2_LIMIT + 60))
	log=$LOGS/l2-$label-$host.log
	info "[$label@$host] booting $machine: $cases (limit ${limit}s, console: $log)"
	t0=$(date +%s)
	quiet_since=$t0
	"$QEMU" -M "$machine" -m 4G -smp 1 -display none -monitor none \
		-serial stdio -no-reboot -kernel "$vmlinux" -initrd "$L2/l1.cpio" \
		-append "console=hvc0 $append l2cases=$cases l2limit=$L2_LIMIT" \
		</dev/null >"$log" 2>"$log.qemu" &
	pid=$!
	# Stop the VM if this script is stopped: no QEMU is left behind.
	trap 'kill $pid 2>/dev/null; exit 130' INT TERM
	status=timeout
	while kill -0 "$pid" 2>/dev/null; do
		if grep -qs "^l2: l1 done" "$log"; then status=done; break; fi
		if grep -qs "Kernel panic - not syncing" "$log"; then status=panic; sleep 2; break; fi
		nsize=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$nsize" != "$size" ]; then
			size=$nsize
			quiet_since=$(date +%s)
		elif [ $(($(date +%s) - quiet_since)) -ge "$quiet_max" ]; then
			status="hung (console silent for ${quiet_max}s)"
			break
		fi
		[ $(($(date +%s) - t0)) -lt "$limit" ] || break
		sleep 1
	done
	grep -q "^l2: l1 done" "$log" && status=done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	trap - INT TERM
	info "[$label@$host] L1 ended: $status after $(($(date +%s) - t0))s"
	# QEMU's own messages (e.g. TCG's "Facility SPR ... is unavailable"
	# notes) went to $log.qemu, apart from the console.
	grep -v "^Facility SPR" "$log.qemu" | head -3 | sed 's/^/  qemu: /'
	tr -d '\r' <"$log" | grep '^l2: ' | sed "s/^l2: /$label $host /" >>"$L2/facts"
	L1_STATUS=$status
	[ "$status" = done ]
}

# fact LABEL HOST TAG WORD: the rest of the first "l2: TAG WORD ..." line.
fact() { awk -v l="$1" -v h="$2" -v t="$3" -v w="$4" \
	'$1 == l && $2 == h && $3 == t && $4 == w { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; exit }' "$L2/facts"; }
# loopval LABEL HOST TAG LOOP FIELD: a field of that case's loop line.
loopval() { awk -v l="$1" -v h="$2" -v t="$3" -v p="$4" -v f="$5" \
	'$1 == l && $2 == h && $3 == t && $4 == "loop" && $5 == p {
		for (i = 6; i < NF; i++) if ($i == f) { print $(i + 1); exit } }' "$L2/facts"; }

# judge LABEL HOST TAG: the checks of one L2 case.
judge() {
	local label=$1 host=$2 tag=$3 end init scv trace calls sce face rfscv name refused mmio magic
	name="$tag@$host${label:+-$label}"
	end=$(fact "$label" "$host" "$tag" end)
	init=$(fact "$label" "$host" "$tag" init)
	if [ -z "$end" ]; then
		result FAIL "l2-boot:$name" "the L1 never ran this case (L1: $L1_STATUS)"
		return
	fi
	if [ -n "$(fact "$label" "$host" "$tag" fail)" ]; then
		result FAIL "l2-boot:$name" "$(fact "$label" "$host" "$tag" fail)"
		return
	fi
	case "$end" in
	"booted 1 done 1"*) ;;
	"booted 1"*)
		result FAIL "l2-boot:$name" "L2 reached init but did not finish ($end)"
		return ;;
	*)
		result FAIL "l2-boot:$name" "L2 never reached init ($end)"
		return ;;
	esac
	if [ "$(fact "$label" "$host" "$tag" done)" != ok ]; then
		result FAIL "l2-boot:$name" "getppid() returned wrong values in the L2"
		return
	fi
	result PASS "l2-boot:$name" "init after ${init%% s*} s"
	scv=$(echo "$init" | sed -n 's/.* scv \([01]\).*/\1/p')
	trace=$(fact "$label" "$host" "$tag" trace)
	calls=$(echo "$trace" | awk '{ print $2 }')
	sce=$(echo "$trace" | awk '{ print $4 }')
	face=$(echo "$trace" | awk '{ print $6 }')
	# The raw counts of the traced window (calls and the quiet second):
	# each sc call is one SYSCALL exit, each scv call one rfscv, and a
	# glibc that uses sc makes no rfscv at all.
	sce=$(echo "$trace" | awk '{ print $10 }')
	rfscv=$(echo "$trace" | awk '{ print $12 }')
	[ "$label" = series ] || return 0
	# MMIO: every byte read of the pci-testdev returned what the device
	# holds, and the device counted every byte write.
	mmio=$(fact "$label" "$host" "$tag" mmio)
	if echo "$mmio" | awk '{ exit !($1 == "reads" && $2 > 0 && $4 == 0 && $6 == $2 && $8 == $2) }'; then
		result PASS "l2-mmio:$name" "$(echo "$mmio" | awk '{ print $2 " emulated byte reads right, " $8 " of " $6 " byte writes counted by the device" }')"
	else
		result FAIL "l2-mmio:$name" "pci-testdev: ${mmio:-no MMIO result}"
	fi
	magic=$(fact "$label" "$host" "$tag" magic)
	case "$tag" in
	pr:*:test)
		# The test kernel is built with CONFIG_KVM_GUEST: under KVM-PR
		# it maps the paravirt magic page and patches its privileged
		# instructions (broken since 5.17; fixed in the series).
		if [ "${magic%% *}" = worked ]; then
			result PASS "l2-magic:$name" "the guest's paravirt magic page is mapped and its kernel patched"
		else
			result FAIL "l2-magic:$name" "no live patching in the guest (${magic:-no message})"
		fi ;;
	pr:*:debian)
		info "note: Debian's kernel under KVM-PR: magic page ${magic:-not used (no message: its 6.1 has the self-test bug the series fixes)}" ;;
	esac
	refused=$(fact "$label" "$host" "$tag" ail-refused)
	case "$tag" in
	pr:stock:*)
		# QEMU 7.2 does not enable KVM_CAP_PPC_AIL_MODE_3: the guest's
		# H_SET_MODE(AIL=3) is refused, Linux does not offer scv, and
		# glibc's calls are sc.
		if [ -n "$refused" ] && [ "$scv" = 0 ] && [ -n "$calls" ] &&
		   [ "$sce" -ge "$calls" ] && [ "${rfscv:-1}" = 0 ]; then
			result PASS "l2-ail0:$name" "a VMM that does not grant AIL=3: '$refused', no SCV; $calls glibc getppid(): $sce sc exits"
		else
			result FAIL "l2-ail0:$name" "AIL=3: ${refused:-not refused}; SCV in AT_HWCAP2: ${scv:-?}; $calls glibc getppid(): ${sce:-?} sc exits, ${rfscv:-?} rfscv"
		fi ;;
	pr:ail3:*)
		# The VMM enabled the capability: QEMU grants H_SET_MODE(AIL=3).
		if [ -z "$refused" ]; then
			result PASS "l2-ail3:$name" "a VMM that enables KVM_CAP_PPC_AIL_MODE_3: the guest's AIL=3 is granted"
		else
			result FAIL "l2-ail3:$name" "AIL=3 refused with the capability enabled: $refused"
		fi ;;
	esac
	case "$tag" in
	pr:ail3:debian)
		# Debian's kernel has no KVM-PR, so it offers scv with AIL=3,
		# and glibc uses it: each call is an scv (a facility unavailable
		# exit that returns through an emulated rfscv).
		if [ "$scv" = 1 ] && [ -n "$calls" ] && [ "${rfscv:-0}" -ge "$calls" ]; then
			result PASS "l2-scv:$name" "AT_HWCAP2 has SCV; $calls glibc getppid(): $rfscv rfscv, $sce sc exits"
		else
			result FAIL "l2-scv:$name" "SCV in AT_HWCAP2: ${scv:-?}; $calls glibc getppid(): ${rfscv:-?} rfscv, ${sce:-?} sc exits"
		fi ;;
	pr:ail3:test)
		# A kernel built with KVM-PR support never offers scv.
		if [ "$scv" = 0 ]; then
			result PASS "l2-noscv:$name" "a guest kernel with KVM-PR built in does not offer scv, AIL=3 or not"
		else
			result FAIL "l2-noscv:$name" "SCV in AT_HWCAP2 of a kernel with KVM-PR built in"
		fi ;;
	esac
}

# l1_clean LABEL HOST: no kernel warning on the L1 console once it is up.
l1_clean() {
	local log=$LOGS/l2-$1-$2.log bad
	bad=$(tr -d '\r' <"$log" | sed -n '/^l2: l1 up/,$p' | grep -v '^  |' |
		grep -E 'WARNING:|BUG:|Oops|lockdep|circular locking|sleeping function called|Unable to handle|rcu.*stall' | head -3)
	if [ -n "$bad" ] && [ "$1" != series ]; then
		# The base is measured, not judged (7.3.4 warns in
		# kvmppc_fix_ee_before_entry(): what patch 1 fixes).
		info "note: the $1 L1 console has: $(echo "$bad" | head -1)"
	elif [ -n "$bad" ]; then
		result FAIL "l2-host-clean@$2-$1" "$(echo "$bad" | head -1)"
	else
		result PASS "l2-host-clean@$2-$1" "no kernel warning on the L1 console while L2 guests ran"
	fi
}

table() {
	local label host tag init scv
	{
		echo "Host exits and L2 ns per getppid(), less a window without calls:"
		printf '%-7s %-5s %-16s %6s %4s  %-21s %-21s %-21s %-21s %-21s\n' L1 host "L2 (flavor:vmm:kernel)" init SCV \
			"glibc exits  ns/call" "sc exits     ns/call" "scv exits    ns/call" \
			"mmio-rd exits ns/op" "mmio-wr exits ns/op"
			awk '$4 == "end" { print $1, $2, $3 }' "$L2/facts" | while read -r label host tag; do
			init=$(fact "$label" "$host" "$tag" init)
			scv=$(echo "$init" | sed -n 's/.* scv \([01]\).*/\1/p')
			printf '%-7s %-5s %-16s %5ss %4s ' "$label" "$host" "$tag" "${init%% s*}" "${scv:--}"
			for l in glibc sc scv mmio-rd mmio-wr; do
				printf ' %8s %10s ' "$(loopval "$label" "$host" "$tag" "$l" sum_exits || true)" \
					"$(loopval "$label" "$host" "$tag" "$l" ns/call || true)"
			done
			echo
		done
		echo
		echo "KVM-PR exits call by call (from the exit of the call's sc or scv to the next one's;"
		echo "the mode is a call no guest timer interrupt landed in):"
		printf '  %-7s %-5s %-16s %-6s %6s %11s %5s %7s %5s\n' L1 host "L2" window calls "mode (n)" min median max
		awk '$4 == "percall" && $6 == "calls" && $7 > 0 {
			printf "  %-7s %-5s %-16s %-6s %6s %6s (%3s) %5s %7s %5s\n", $1, $2, $3, \
				($5 == "trace" ? "glibc" : substr($5, 7)), $7, $9, $11, $13, $15, $17 }' "$L2/facts"
		echo
		echo "Instructions KVM-PR emulated, per glibc getppid(), traced over $(awk '$4 == "trace" { print $6; exit }' "$L2/facts") calls after the timed loops:"
		awk '$4 == "trap" { $4 = ""; print "  " $0 }' "$L2/facts"
	} >"$RESULTS/l2-table"
	cat "$RESULTS/l2-table"
}

# ------------------------------------------------------------ main
# The checks (make test): the test kernel under a VMM that does not grant
# AIL=3 and under one that does, Debian's kernel with AIL=3 (scv), and
# Debian's kernel under KVM-HV on both hosts.  L2_BENCH=1 (make l2) adds
# the numbers' cases: Debian's kernel at AIL=0 (sc), and the base L1.
L1_STATUS=
fetch
build_l1_initramfs
# Checks that all passed are replayed while the L1 initramfs (packages,
# kselftests/l2, this script, the L1 kernel), the hosts, cases and limit
# and QEMU are the same; not for 'make l2' (L2_BENCH), NO_CACHE=1 boots
# again.
run_key=$( {
	cat "$L2/l1.key"
	echo "$L2_HOSTS|${L2_CASES:-}|$L2_LIMIT"
	"$QEMU" --version | head -1
} | sha256sum | cut -c1-32)
cache=$L2/run-cache
if [ -z "${L2_BENCH:-}" ] && [ -z "${NO_CACHE:-}" ] && [ -f "$cache" ] &&
	[ "$(head -1 "$cache")" = "$run_key" ]; then
	when=$(sed -n 2p "$cache")
	info "L1 kernel, initramfs, cases and QEMU unchanged since $when: replaying those results (NO_CACHE=1 boots again)"
	tail -n +3 "$cache" | while read -r v n r; do
		result "$v" "$n" "${r:+$r; }unchanged since $when"
	done | grep -c . | sed 's/^/  replayed /; s/$/ results/'
	[ -f "$cache.table" ] && cp "$cache.table" "$RESULTS/l2-table"
	exit 0
fi
touch "$RESULTS/all"
mark=$(wc -l <"$RESULTS/all")
: >"$L2/facts"
for host in $L2_HOSTS; do
	case $host in
	hash)
		cases=pr:stock:test,pr:ail3:test,pr:ail3:debian,hv:stock:debian
		[ -n "${L2_BENCH:-}" ] && cases=$cases,pr:stock:debian ;;
	radix) cases=hv:stock:debian ;;
	esac
	cases=${L2_CASES:-$cases}
	boot_l1 series "$host" "$SERIES_VMLINUX" "$cases" || true
	for tag in $(echo "$cases" | tr ',' ' '); do judge series "$host" "$tag"; done
	l1_clean series "$host"
done
if [ -z "${L2_BENCH:-}" ]; then
	info "the base L1 and Debian's kernel at AIL=0 are in 'make l2' only"
elif [ -n "${BASE_VMLINUX:-}" ] && [ -f "$BASE_VMLINUX" ]; then
	boot_l1 base hash "$BASE_VMLINUX" pr:stock:test,pr:stock:debian || true
	for tag in pr:stock:test pr:stock:debian; do judge base hash "$tag"; done
	l1_clean base hash
else
	info "no base L1 kernel (the bisect builds it): the table has no base rows"
fi
table
if [ -z "${L2_BENCH:-}" ]; then
	if ! tail -n +"$((mark + 1))" "$RESULTS/all" | grep -q '^FAIL '; then
		{
			echo "$run_key"
			date -u '+%Y-%m-%d %H:%M UTC'
			tail -n +"$((mark + 1))" "$RESULTS/all"
		} >"$cache"
		cp "$RESULTS/l2-table" "$cache.table"
	else
		rm -f "$cache" "$cache.table"
	fi
fi
