// SPDX-License-Identifier: GPL-2.0-only
/*
 * LD_PRELOAD for QEMU 7.2: enables KVM_CAP_PPC_AIL_MODE_3 on the VM
 * before its first vCPU is created, which is all a VMM has to add to grant
 * a KVM-PR guest AIL=3 (QEMU then answers the guest's H_SET_MODE and sets
 * LPCR[AIL] through the LPCR ONE_REG, as it does for KVM-HV).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#ifndef KVM_CAP_PPC_AIL_MODE_3
#define KVM_CAP_PPC_AIL_MODE_3 210
#endif

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	static int done;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (req == KVM_CREATE_VCPU && !done) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_AIL_MODE_3 };
		int r = real(fd, KVM_ENABLE_CAP, &cap);

		fprintf(stderr, "ail3.so: KVM_ENABLE_CAP(KVM_CAP_PPC_AIL_MODE_3) = %d\n", r);
		done = 1;
	}
	return real(fd, req, arg);
}
