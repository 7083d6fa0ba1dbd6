#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KVM selftests in QEMU powernv9 (TCG), booted twice: a hash-MMU
# host (PR VMs, HV hash guests) and a radix host (HV radix guests).
#
#   run-vm.sh all            build the initramfs, boot both hosts, record results
#   run-vm.sh initramfs      only build the initramfs
#
# Environment: HOSTS="hash radix", ONLY=<test>, TEST_TIMEOUT=<s per test>,
# ARGS=<a,b,...> (arguments of the ONLY test), VMLINUX=, SELFTESTS=,
# TAG= (result name suffix), BUILD=.
set -o pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
RESULTS=${RESULTS:-$BUILD/results}
LOGS=$BUILD/logs
VMLINUX=${VMLINUX:-$BUILD/out/ppc64le/vmlinux}
SELFTESTS=${SELFTESTS:-$BUILD/selftests}
INITRAMFS=${INITRAMFS:-$BUILD/initramfs}
HOSTS=${HOSTS:-hash radix}
TEST_TIMEOUT=${TEST_TIMEOUT:-90}
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
	local hname=$1 append log limit t0 pid ntests nfl flavors status
	log=$LOGS/vm-$hname${TAG:+-$TAG}.log
	mkdir -p "$LOGS"
	case "$hname" in
	hash) append="disable_radix" ;;
	radix) append="" ;;
	*) die "unknown host $hname (hash or radix)" ;;
	esac
	flavors=${FLAVORS:-pr,hv}
	nfl=$(echo "$flavors" | tr ',' '\n' | wc -l)
	ntests=$(grep -c . "$INITRAMFS/list")
	[ -n "$ONLY" ] && ntests=1
	limit=$((60 + ntests * nfl * (TEST_TIMEOUT + 5)))
	append="console=hvc0 $append kvmtest.host=$hname kvmtest.timeout=$TEST_TIMEOUT kvmtest.flavors=$flavors${ONLY:+ kvmtest.only=$ONLY}${ARGS:+ kvmtest.args=$ARGS}"
	echo "  [$hname] booting powernv9: $append (limit ${limit}s, console: $log)"
	t0=$(date +%s)
	"$QEMU" -M powernv9 -m 2G -smp 1 -display none -monitor none \
		-serial stdio -no-reboot -kernel "$VMLINUX" \
		-initrd "$INITRAMFS/initramfs.cpio" -append "$append" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	status=timeout
	first=""
	while kill -0 "$pid" 2>/dev/null; do
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
	grep -E '^(not )?ok [0-9]+ kvm:' "$log" | while IFS= read -r l; do
		name=$(echo "$l" | sed -E 's/^(not )?ok [0-9]+ (kvm:[^ ]*).*/\2/')
		name="$name${TAG:+#$TAG}"
		case "$l" in
		"not ok"*) result FAIL "$name" "$(echo "$l" | sed -n 's/.*# //p')" ;;
		*"# SKIP"*) result SKIP "$name" "$(echo "$l" | sed 's/.*# SKIP *//')" ;;
		*) result PASS "$name" ;;
		esac
	done
	if [ "$status" != done ] || [ "$seen" -lt $((ntests * nfl)) ]; then
		local missing=$((ntests * nfl - seen))
		[ "$missing" -lt 1 ] && missing=1
		for i in $(seq 1 "$missing"); do
			result FAIL "kvm:vm-$hname${TAG:+#$TAG}:not-run-$i" "VM $status before all tests ran; see $log"
		done
	fi
	# Host-kernel splats anywhere on the console (test output is "# "-indented).
	splat=$(grep -v '^# ' "$log" | grep -nE 'WARNING:|BUG:|Oops|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called|INFO: task .* blocked|Unable to handle kernel' | head -5)
	if [ -n "$splat" ]; then
		echo "$splat" | sed 's/^/    /'
		result FAIL "kvm:host-kernel-clean@$hname${TAG:+#$TAG}" "splat on the console; see $log"
	else
		result PASS "kvm:host-kernel-clean@$hname${TAG:+#$TAG}"
	fi
}

main() {
	local t0 h
	command -v "$QEMU" >/dev/null || die "$QEMU missing: run 'make deps' (apt-get install qemu-system-ppc)"
	[ -f "$VMLINUX" ] || die "no kernel at $VMLINUX: run 'make build'"
	t0=$(date +%s)
	echo "=== vm: start ($(date -u +%H:%M:%S))"
	build_initramfs
	for h in $HOSTS; do
		boot "$h"
	done
	echo "=== vm: done in $(($(date +%s) - t0))s"
}

case "$1" in
all | "") main ;;
initramfs) build_initramfs ;;
*) die "usage: run-vm.sh [all|initramfs]" ;;
esac
