#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KVM selftests in QEMU powernv (TCG), one boot per host:
#   hash       powernv9, hash MMU (disable_radix): KVM-PR, KVM-HV hash guests
#   radix      powernv9, radix MMU: KVM-HV radix guests
#   p8         powernv8 (POWER8, hash only): KVM-PR and KVM-HV through the
#              POWER7/8 entry path (book3s_hv_rmhandlers.S)
#   p10-hash   powernv10 (ISA 3.1), hash MMU: KVM-PR, KVM-HV hash guests
#   p10-radix  powernv10, radix MMU: KVM-HV radix guests
#   hash2      powernv9, hash MMU, two CPUs: for a test that needs a vCPU
#              and a VMM thread running at once (dirty logging), by name
#              (HOSTS=hash2, test-power lines).  Not booted by default: with
#              every test, KVM-PR's memslot_modification_stress_test hung
#              it once (console silent 150 s; it passed in two other runs).
#              Single-threaded TCG: QEMU 7.2's multi-threaded TCG lets a
#              CPU go on using a translation after another CPU's broadcast
#              tlbie and ptesync (fixed in QEMU in 2024, "target/ppc: Fix
#              broadcast tlbie synchronisation"), so a guest store can land
#              after KVM-PR has write-protected the page and be missed.
#
#   run-vm.sh all            build the initramfs, boot both hosts, record results
#   run-vm.sh initramfs      only build the initramfs
#
# Environment: HOSTS="hash radix p8 p10-hash p10-radix" (or hash2), ONLY=<test>[,<test>...], TEST_TIMEOUT=<s per test>,
# ARGS=<a,b,...> (arguments of the ONLY test), VMLINUX=, SELFTESTS=,
# TAG= (result name suffix), BUILD=, FUZZ_ITEMS= (items per cell of
# powerpc/fuzz_test on hash and radix, 100000), FUZZ_ITEMS_OTHER= (on the
# other hosts, 100000).
set -o pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
RESULTS=${RESULTS:-$BUILD/results}
LOGS=$BUILD/logs
VMLINUX=${VMLINUX:-$BUILD/out/ppc64le/vmlinux}
SELFTESTS=${SELFTESTS:-$BUILD/selftests}
INITRAMFS=${INITRAMFS:-$BUILD/initramfs}
HOSTS=${HOSTS:-hash radix p8 p10-hash p10-radix}
TEST_TIMEOUT=${TEST_TIMEOUT:-90}
FUZZ_ITEMS=${FUZZ_ITEMS:-100000}
FUZZ_ITEMS_OTHER=${FUZZ_ITEMS_OTHER:-100000}
QEMU=${QEMU:-qemu-system-ppc64}

die() { echo "error: $*" >&2; exit 1; }

result() {
	mkdir -p "$RESULTS"
	printf '%s %s %s\n' "$1" "$2" "${3:-}" >>"$RESULTS/all"
	printf '  %-4s %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

ktree() { "$TOP/scripts/harness.sh" ktree; }

build_initramfs() {
	local d=$INITRAMFS spec t kt
	kt=$(ktree)
	[ -f "$SELFTESTS/.tests" ] || die "no selftests built in $SELFTESTS: run 'make selftests'"
	command -v powerpc64le-linux-gnu-gcc >/dev/null || die "powerpc64le-linux-gnu-gcc missing: run 'make deps'"
	mkdir -p "$d"
	powerpc64le-linux-gnu-gcc -static -O2 -Wall -o "$d/init" "$TOP/kselftests/init.c" ||
		die "could not build kselftests/init.c"
	gcc -O2 -o "$d/gen_init_cpio" "$kt/usr/gen_init_cpio.c" ||
		die "could not build gen_init_cpio from $kt/usr"
	spec=$d/spec
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "dir /proc 0755 0 0"
		echo "dir /sys 0755 0 0"
		echo "dir /tmp 1777 0 0"
		echo "dir /tests 0755 0 0"
		echo "file /init $d/init 0755 0 0"
		echo "file /tests/list $d/list 0644 0 0"
		echo "file /tests/skips $TOP/kselftests/vm-skips 0644 0 0"
		echo "file /tests/args $TOP/kselftests/vm-args 0644 0 0"
	} >"$spec"
	: >"$d/list"
	for t in $(cat "$SELFTESTS/.tests"); do
		case "$t" in */*) echo "dir /tests/${t%/*} 0755 0 0" ;; esac
		echo "file /tests/$t $SELFTESTS/$t 0755 0 0"
		echo "$t" >>"$d/list"
	done | sort -u >>"$spec"
	# Directories before files.
	sort -t' ' -k1,1 -s "$spec" | awk '$1=="dir"' >"$spec.sorted"
	grep -v '^dir' "$spec" >>"$spec.sorted"
	"$d/gen_init_cpio" "$spec.sorted" >"$d/initramfs.cpio" ||
		die "gen_init_cpio failed"
	echo "  initramfs: $(wc -l <"$d/list") tests, $(($(stat -c %s "$d/initramfs.cpio") / 1024)) KiB"
}

# boot HOSTNAME: boot one host kernel, run the tests, parse the console.
boot() {
	local hname=$1 machine append log limit t0 pid ntests nfl flavors status smp=1 tcg=multi
	log=$LOGS/vm-$hname${TAG:+-$TAG}.log
	mkdir -p "$LOGS"
	case "$hname" in
	hash) machine=powernv9 append="disable_radix" ;;
	hash2) machine=powernv9 append="disable_radix" smp=2 tcg=single ;;
	radix) machine=powernv9 append="" ;;
	p8) machine=powernv8 append="" ;;
	p10-hash) machine=powernv10 append="disable_radix" ;;
	p10-radix) machine=powernv10 append="" ;;
	*) die "unknown host $hname (hash, hash2, radix, p8, p10-hash or p10-radix)" ;;
	esac
	flavors=${FLAVORS:-pr,hv}
	nfl=$(echo "$flavors" | tr ',' '\n' | wc -l)
	ntests=$(grep -c . "$INITRAMFS/list")
	[ -n "$ONLY" ] && ntests=$(echo "$ONLY" | tr ',' '\n' | grep -c .)
	case "$ONLY" in *,*) [ -z "$ARGS" ] || die "ARGS= is for one test, but ONLY= names several" ;; esac
	limit=$((60 + ntests * nfl * (TEST_TIMEOUT + 5)))
	# The instruction fuzzer: FUZZ_ITEMS per cell on the powernv9 hosts,
	# which cover every cell (KVM-PR real, translated and problem state,
	# KVM-HV hash and radix), FUZZ_ITEMS_OTHER on the others; its own
	# time limit (KVM-PR does about 1500 items a second per cell here).
	local fuzz="" items=$FUZZ_ITEMS_OTHER ftime
	case "$hname" in hash | radix) items=$FUZZ_ITEMS ;; esac
	if grep -qx powerpc/fuzz_test "$INITRAMFS/list" &&
		{ [ -z "$ONLY" ] || echo ",$ONLY," | grep -q ',powerpc/fuzz_test,'; }; then
		ftime=$((60 + items / 200))
		fuzz="kvmtest.extra=powerpc/fuzz_test:$ftime:-n,$items"
		limit=$((limit + nfl * ftime))
	fi
	append="console=hvc0 $append kvmtest.host=$hname kvmtest.timeout=$TEST_TIMEOUT kvmtest.flavors=$flavors${ONLY:+ kvmtest.only=$ONLY}${ARGS:+ kvmtest.args=$ARGS}${fuzz:+ $fuzz}"
	echo "  [$hname] booting $machine: $append (limit ${limit}s, console: $log)"
	t0=$(date +%s)
	"$QEMU" -M "$machine" -accel tcg,thread="$tcg" -m 2G -smp "$smp" \
		-display none -monitor none \
		-serial stdio -no-reboot -kernel "$VMLINUX" \
		-initrd "$INITRAMFS/initramfs.cpio" -append "$append" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	status=timeout
	first=""
	# /init ends a test after TEST_TIMEOUT and says so: a console silent
	# for longer than that means the host kernel itself is stuck.
	local size=0 nsize quiet_since=$t0 quiet_max=$((TEST_TIMEOUT + 60))
	while kill -0 "$pid" 2>/dev/null; do
		nsize=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$nsize" != "$size" ]; then
			size=$nsize
			quiet_since=$(date +%s)
		elif [ $(($(date +%s) - quiet_since)) -ge "$quiet_max" ]; then
			status="hung (console silent for ${quiet_max}s)"
			break
		fi
		if [ -z "$first" ] && grep -q "kvmtest: start" "$log"; then
			first=$(($(date +%s) - t0))
		fi
		if grep -q "^kvmtest: done" "$log"; then
			status=done
			break
		fi
		if grep -q "Kernel panic - not syncing" "$log"; then
			sleep 2
			status=panic
			break
		fi
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			status=timeout
			break
		fi
		sleep 1
	done
	kill "$pid" 2>/dev/null
	sleep 0.5
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$status" = timeout ] && grep -q "^kvmtest: done" "$log" && status=done
	echo "  [$hname] VM ended: $status after $(($(date +%s) - t0))s;" \
		"boot to first test: ${first:-never}${first:+s}"
	parse "$hname" "$log" "$status" "$ntests" "$nfl"
}

parse() {
	local hname=$1 log=$2 status=$3 ntests=$4 nfl=$5 seen splat
	seen=$(grep -cE '^(not )?ok [0-9]+ kvm:' "$log")
	grep -E '^(not )?ok [0-9]+ kvm:' "$log" | tr -d '\r' | while IFS= read -r l; do
		name=$(echo "$l" | sed -E 's/^(not )?ok [0-9]+ (kvm:[^ ]*).*/\2/')
		name="$name${TAG:+#$TAG}"
		case "$l" in
		"not ok"*) result FAIL "$name" "$(echo "$l" | sed -n 's/.*# //p')" ;;
		*"# SKIP"*) result SKIP "$name" "$(echo "$l" | sed 's/.*# SKIP *//')" ;;
		*) result PASS "$name" ;;
		esac
	done
	if [ "$status" != done ]; then
		# The test that was running when the VM stopped answering.
		local cur
		cur=$(grep -a '^# kvmtest: start ' "$log" | tail -1 | sed 's/^# kvmtest: start //; s/\r$//')
		if [ -n "$cur" ] && ! grep -aqE "^(not )?ok [0-9]+ kvm:$cur( |$)" "$log"; then
			result FAIL "kvm:$cur${TAG:+#$TAG}" "VM $status during this test; see $log"
			seen=$((seen + 1))
		fi
	fi
	if [ "$status" != done ] || [ "$seen" -lt $((ntests * nfl)) ]; then
		local missing=$((ntests * nfl - seen))
		[ "$missing" -lt 1 ] && missing=1
		for i in $(seq 1 "$missing"); do
			result FAIL "kvm:vm-$hname${TAG:+#$TAG}:not-run-$i" "VM $status before all tests ran; see $log"
		done
	fi
	# Host-kernel splats anywhere on the console (test output is "# "-indented).
	# Known base-kernel warnings before the first test: see known-splats.
	local pat='WARNING:|BUG:|Oops|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called|INFO: task .* blocked|Unable to handle kernel'
	local start_line known sig why boot_known=""
	start_line=$(grep -an '^# kvmtest: start ' "$log" | head -1 | cut -d: -f1)
	start_line=${start_line:-999999999}
	known=$TOP/kselftests/known-splats
	splat=$(grep -anE "$pat" "$log" | grep -av '^[0-9]*:# ' | while IFS= read -r l; do
		n=${l%%:*}
		if [ "$n" -lt "$start_line" ]; then
			m=$(grep -v '^#' "$known" | while IFS='|' read -r sig why; do
				[ -n "$sig" ] && echo "$l" | grep -qE "$sig" && { echo "$why"; break; }
			done)
			[ -n "$m" ] && { echo "KNOWN $m" >>"$log.known"; continue; }
		fi
		echo "$l"
	done | head -5)
	if [ -f "$log.known" ]; then
		boot_known=$(sort -u "$log.known" | sed 's/^KNOWN //' | head -1)
		rm -f "$log.known"
		result SKIP "kvm:host-boot-clean@$hname${TAG:+#$TAG}" "$boot_known"
	fi
	if [ -n "$splat" ]; then
		echo "$splat" | sed 's/^/    /'
		result FAIL "kvm:host-kernel-clean@$hname${TAG:+#$TAG}" "splat on the console; see $log"
	else
		result PASS "kvm:host-kernel-clean@$hname${TAG:+#$TAG}"
	fi
}

# boot_hosts HOST...: boot them, two at a time (VM_LANES, default 2: each
# QEMU is one TCG vCPU, one core of the two): the first host (powernv9
# hash, with the fuzzer's KVM-PR cells the longest boot) and the third
# (powernv8) in one lane, the others one after another in the second.
# Output and results are kept per lane and printed lane by lane when both
# are done.
boot_hosts() {
	local first=$1 lane
	shift
	if [ "${VM_LANES:-2}" -lt 2 ] || [ $# = 0 ]; then
		for lane in "$first" "$@"; do
			boot "$lane"
		done
		return
	fi
	local dir
	dir=$(mktemp -d "$BUILD/state/vm-lanes.XXXXXX")
	# Background jobs of a non-interactive shell ignore SIGINT: an
	# interrupt stops both lanes (and their QEMUs) here.
	trap 'trap "" INT TERM; kill -TERM 0; wait; rm -rf "$dir"; exit 130' INT TERM
	# Lane 1: the first host and the third (powernv9 hash with the
	# fuzzer's three KVM-PR cells, then powernv8); lane 2: the others.
	local third=${2:-}
	(trap - INT TERM
		for lane in "$first" $third; do
			RESULTS=$dir/1 boot "$lane"
		done >"$dir/1.out" 2>&1) &
	(trap - INT TERM
		for lane in "$@"; do
			[ "$lane" = "$third" ] && continue
			RESULTS=$dir/2 boot "$lane"
		done >"$dir/2.out" 2>&1) &
	wait
	trap - INT TERM
	for lane in 1 2; do
		cat "$dir/$lane.out"
		[ -f "$dir/$lane/all" ] && cat "$dir/$lane/all" >>"$RESULTS/all"
	done
	rm -rf "$dir"
}

main() {
	local t0 h
	command -v "$QEMU" >/dev/null || die "$QEMU missing: run 'make deps' (apt-get install qemu-system-ppc)"
	[ -f "$VMLINUX" ] || die "no kernel at $VMLINUX: run 'make build'"
	t0=$(date +%s)
	echo "=== vm: start ($(date -u +%H:%M:%S))"
	build_initramfs
	# A run whose results all passed or skipped is replayed while the
	# kernel, the initramfs, this runner and QEMU are the same (the main
	# run only; NO_CACHE=1 runs it again).  Below that, each test whose
	# results on every host passed or skipped is replayed while it and
	# all of that but the other tests are the same: only the tests that
	# changed (or failed before) boot again, with the host checks.
	local key bkey cache=$BUILD/state/vm-cache tdir=$BUILD/state/vm-tests
	local mark t tk missing="" replay="" when
	bkey=$({
		cat "$VMLINUX" "$TOP/kselftests/init.c" "$0" "$TOP/kselftests/known-splats" \
			"$TOP/kselftests/vm-skips" "$TOP/kselftests/vm-args"
		echo "$HOSTS|$FLAVORS|$ONLY|$ARGS|$TEST_TIMEOUT|$FUZZ_ITEMS|$FUZZ_ITEMS_OTHER"
		"$QEMU" --version | head -1
	} | sha256sum | cut -c1-32)
	# The initramfs's contents, not the cpio: it holds file times.
	key=$({
		echo "$bkey"
		for t in $(cat "$INITRAMFS/list"); do cat "$SELFTESTS/$t"; done
	} | sha256sum | cut -c1-32)
	test_key() { { echo "$bkey $1"; cat "$SELFTESTS/$1"; } | sha256sum | cut -c1-32; }
	mkdir -p "$RESULTS" "$BUILD/state" "$tdir"
	touch "$RESULTS/all"
	if [ -z "$TAG" ] && [ -z "$NO_CACHE" ] && [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
		when=$(sed -n 2p "$cache")
		echo "  kernel, initramfs and runner unchanged since $when: replaying those results (NO_CACHE=1 boots again)"
		tail -n +3 "$cache" | while read -r v n r; do
			result "$v" "$n" "${r:+$r; }unchanged since $when"
		done | grep -c . | sed 's/^/  replayed /; s/$/ results/'
	else
		if [ -z "$TAG" ] && [ -z "$NO_CACHE" ] && [ -z "$ONLY" ]; then
			for t in $(cat "$INITRAMFS/list"); do
				if [ -f "$tdir/$(test_key "$t")" ]; then
					replay="$replay $t"
				else
					missing="$missing${missing:+,}$t"
				fi
			done
			# Nothing to boot for means the host checks are missing:
			# boot every test then.
			[ -n "$missing" ] || replay=""
		fi
		mark=$(wc -l <"$RESULTS/all")
		if [ -n "$replay" ]; then
			echo "  unchanged since an earlier run, replayed:$replay"
			echo "  booting for: $missing"
			ONLY=$missing boot_hosts $HOSTS
		else
			boot_hosts $HOSTS
		fi
		# A boot whose host checks failed keeps none of its tests: which
		# test hurt the host is not known.
		if [ -z "$TAG" ] && ! tail -n +"$((mark + 1))" "$RESULTS/all" |
			grep -qE '^FAIL kvm:(host-|vm-)'; then
			for t in $(cat "$INITRAMFS/list"); do
				case " $replay " in *" $t "*) continue ;; esac
				tk=$tdir/$(test_key "$t")
				tail -n +"$((mark + 1))" "$RESULTS/all" | grep " kvm:$t:" >"$tk.tmp"
				if [ -s "$tk.tmp" ] && ! grep -q '^FAIL ' "$tk.tmp"; then
					{ date -u '+%Y-%m-%d %H:%M UTC'; cat "$tk.tmp"; } >"$tk"
				fi
				rm -f "$tk.tmp"
			done
		fi
		if [ -z "$TAG" ]; then
			for t in $replay; do
				tk=$tdir/$(test_key "$t")
				when=$(head -1 "$tk")
				tail -n +2 "$tk" | while read -r v n r; do
					result "$v" "$n" "${r:+$r; }unchanged since $when"
				done
			done >/dev/null
		fi
		if [ -z "$TAG" ] && ! tail -n +"$((mark + 1))" "$RESULTS/all" | grep -q '^FAIL '; then
			{
				echo "$key"
				date -u '+%Y-%m-%d %H:%M UTC'
				tail -n +"$((mark + 1))" "$RESULTS/all"
			} >"$cache"
		elif [ -z "$TAG" ]; then
			rm -f "$cache"
		fi
	fi
	echo "=== vm: done in $(($(date +%s) - t0))s"
	# The boots of test-power and bench (TAG set) count as theirs.
	[ -n "$RUN_ID" ] && [ -z "$TAG" ] && echo "$RUN_ID vm|$(($(date +%s) - t0))" >>"$BUILD/stage-times"
}

case "$1" in
all | "") main ;;
initramfs) build_initramfs ;;
*) die "usage: run-vm.sh [all|initramfs]" ;;
esac
