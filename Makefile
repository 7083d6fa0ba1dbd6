# SPDX-License-Identifier: GPL-2.0
#
# ppc-kvm-series harness.  'make' builds and runs everything and leaves
# mail-ready patches in build/mail; 'make test' is what CI runs.
# Variables: KERNEL_DIR=<your git tree> [KERNEL_BASE=<ref>], JOBS=3,
# FORCE=1 (apply over unexported commits, keeping a backup branch).

H := ./scripts/harness.sh
# One id for every stage of this make run: the summary prints their times.
export RUN_ID := $(shell date +%s)
VM := ./kselftests/run-vm.sh

.PHONY: all test deps base apply export check check-export checkpatch cover-sync \
	build selftests initramfs vm bisect test-power bench l2 stable-check summary mail clean distclean help

all: deps base apply
	@$(H) reset-results
	@$(H) build ppc64le
	@$(H) selftests
	@$(VM) all || true
	@./scripts/mail.sh mail-out
	@$(H) summary

# check + bisect + the VM kselftests; the last line is "N passed, N failed".
test: deps base apply
	@$(H) reset-results
	@$(H) checkpatch || true
	@$(H) check-export || true
	@$(H) cover || true
	@$(H) stable-check || true
	@$(H) bisect || true
	@$(H) test-power || true
	@$(H) build ppc64le
	@$(H) selftests
	@$(VM) all || true
	@$(H) l2 || true
	@$(H) summary

deps:
	@$(H) deps
base: deps
	@$(H) base
apply: base
	@$(H) apply
export:
	@$(H) export
check: apply
	@$(H) reset-results
	@$(H) checkpatch || true
	@$(H) check-export || true
	@$(H) cover || true
	@$(H) summary
# Rewrite the patch list and diffstat at the end of cover-letter.txt.
cover-sync: apply
	@./scripts/cover.sh sync
check-export: apply
	@$(H) check-export
checkpatch: apply
	@$(H) checkpatch
build: apply
	@$(H) build ppc64le
selftests: build
	@$(H) selftests
vm: selftests
	@$(H) reset-results
	@$(VM) all || true
	@$(H) summary
bisect: apply
	@$(H) reset-results
	@$(H) bisect || true
	@$(H) summary
test-power: apply
	@$(H) reset-results
	@$(H) test-power || true
	@$(H) summary
bench: apply
	@$(H) bench
# QEMU inside the VM boots Linux guests on KVM-PR and KVM-HV (real guests);
# 'make test' runs the checks, 'make l2' adds the base and AIL=0 numbers.
l2: build
	@$(H) reset-results
	@L2_BENCH=1 $(H) l2 || true
	@$(H) summary
# Do the Fixes: patches apply to linux-source-6.12 (the LTS, for stable)?
stable-check: apply
	@$(H) reset-results
	@$(H) stable-check || true
	@$(H) summary
summary:
	@$(H) summary
mail-out mail: apply
	@./scripts/mail.sh $@
clean:
	rm -rf build/out build/selftests build/selftests-bisect build/initramfs \
		build/logs build/results build/mail build/check-export \
		build/l2/root build/l2/pkgroot build/l2/l2root build/l2/l1.cpio
distclean:
	@if [ -d build/linux ] && [ -n "$$(git -C build/linux status --porcelain --untracked-files=no)" ]; then \
		echo "error: build/linux has uncommitted edits: commit and 'make export' them, or remove build/linux by hand"; exit 1; fi
	rm -rf build
help:
	@sed -n '/^# /p' Makefile | head -8
