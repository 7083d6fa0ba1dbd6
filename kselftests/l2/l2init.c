// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the L2 guest: reports what its kernel offers (AT_HWCAP2, so
 * whether glibc's system calls use scv), then times loops of getppid()
 * through glibc, through a raw sc and, when offered, a raw scv.  Each loop
 * is framed by "@@ begin" / "@@ end" lines, each followed by a quiet
 * second in which the L1 side reads the host's vCPU statistics; a window
 * without calls gives the cost of the quiet second inside the frame, which
 * the L1 side subtracts.  Powers the guest off at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/reboot.h>
#include <sys/syscall.h>

#define PPC_FEATURE2_SCV	0x00100000

static long raw_sc_getppid(void)
{
	register long r0 asm("r0") = __NR_getppid;
	register long r3 asm("r3");

	asm volatile("sc"
		     : "=r"(r3), "+r"(r0)
		     : : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11",
		       "r12", "ctr", "xer", "cr0", "memory");
	return r3;
}

static long raw_scv_getppid(void)
{
	register long r0 asm("r0") = __NR_getppid;
	register long r3 asm("r3");

	asm volatile(".long 0x44000001"	/* scv 0 */
		     : "=r"(r3), "+r"(r0)
		     : : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11",
		       "r12", "lr", "ctr", "xer", "cr0", "cr1", "cr5", "cr6",
		       "cr7", "memory");
	return r3;
}

static long glibc_getppid(void)
{
	return getppid();
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void quiet(void)
{
	struct timespec ts = { .tv_sec = 1 };

	nanosleep(&ts, NULL);
}

static int loop(const char *name, long (*fn)(void), long n)
{
	unsigned long long t0, t1;
	long i, want = getppid(), bad = 0;

	printf("@@ begin %s %ld\n", name, n);
	fflush(stdout);
	quiet();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		bad += fn() != want;	/* n = 0: the idle window alone */
	t1 = now_ns();
	printf("@@ end %s %ld %llu %ld\n", name, n, t1 - t0, bad);
	fflush(stdout);
	quiet();
	return bad != 0;
}

int main(int argc, char **argv)
{
	unsigned long hwcap2 = getauxval(AT_HWCAP2);
	long n = 500;
	const char *s;
	int bad = 0;

	printf("@@ init hwcap 0x%lx hwcap2 0x%lx scv %d\n",
	       getauxval(AT_HWCAP), hwcap2, !!(hwcap2 & PPC_FEATURE2_SCV));
	fflush(stdout);
	s = getenv("l2loops");
	if (s)
		n = strtol(s, NULL, 0);
	/*
	 * Each window holds the quiet second as well as the loop: the L1
	 * side subtracts what a window without calls costs.
	 */
	bad |= loop("idle", glibc_getppid, 0);
	bad |= loop("glibc", glibc_getppid, n);
	bad |= loop("sc", raw_sc_getppid, n);
	if (hwcap2 & PPC_FEATURE2_SCV)
		bad |= loop("scv", raw_scv_getppid, n);
	/*
	 * A short glibc loop last, for the L1 side to trace: by then the
	 * guest kernel has finished what it does after starting init.
	 */
	bad |= loop("trace-idle", glibc_getppid, 0);
	bad |= loop("trace", glibc_getppid, 200);
	printf("@@ done %s\n", bad ? "wrong-results" : "ok");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
