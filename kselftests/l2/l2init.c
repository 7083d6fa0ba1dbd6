// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the L2 guest: reports what its kernel offers (AT_HWCAP2, so
 * whether glibc's system calls use scv), then times loops of getppid()
 * through glibc, through a raw sc and, when offered, a raw scv.  Each loop
 * is framed by "@@ begin" / "@@ end" lines, each followed by a quiet
 * second in which the L1 side reads the host's vCPU statistics; a window
 * without calls gives the cost of the quiet second inside the frame, which
 * the L1 side subtracts.  Then MMIO: byte reads and writes of QEMU's
 * pci-testdev, each one emulated by the host and completed by QEMU, and
 * checked against what the device holds.  Powers the guest off at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
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

/*
 * QEMU's pci-testdev (vendor 0x1b36, device 0x0005), BAR 0: a byte written
 * at offset 0 selects a test; test 0 ("mmio-no-eventfd") then reads back
 * its header (its name at offset 16) and counts the byte writes at its
 * offset 2048 in the header's count (offset 12, little-endian).
 */
#define TESTDEV_NAME	16
#define TESTDEV_COUNT	12
#define TESTDEV_DOOR	2048

static volatile unsigned char *testdev;

static int file_is(const char *dir, const char *name, const char *want)
{
	char path[512], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return !strncmp(buf, want, strlen(want));
}

/* Map BAR 0 of the pci-testdev, or say why not. */
static const char *map_testdev(void)
{
	static char why[600];
	char dir[300], path[400];
	unsigned long long start = 0;
	long psz = sysconf(_SC_PAGESIZE);
	struct dirent *d;
	unsigned char *p;
	DIR *dp;
	FILE *f;
	int fd;

	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) && errno != EBUSY)
		return "cannot mount sysfs";
	dp = opendir("/sys/bus/pci/devices");
	if (!dp)
		return "no PCI bus in the guest kernel";
	dir[0] = 0;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", d->d_name);
		if (file_is(dir, "vendor", "0x1b36") &&
		    file_is(dir, "device", "0x0005"))
			break;
		dir[0] = 0;
	}
	closedir(dp);
	if (!dir[0])
		return "no pci-testdev on the guest's PCI bus";
	/* sysfs maps BAR 0 from the page that holds its start */
	snprintf(path, sizeof(path), "%s/resource", dir);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llx", &start) != 1) {
		if (f)
			fclose(f);
		return "cannot read the BAR addresses";
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/enable", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		snprintf(why, sizeof(why), "cannot enable %s: %s", dir, strerror(errno));
		return why;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/resource0", dir);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open %s: %s", path, strerror(errno));
		return why;
	}
	p = mmap(NULL, psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(why, sizeof(why), "cannot map %s: %s", path, strerror(errno));
		return why;
	}
	testdev = p + (start & (psz - 1));
	return NULL;
}

static inline unsigned char mmio_rd(unsigned long off)
{
	unsigned char v = testdev[off];

	asm volatile("eieio" ::: "memory");
	return v;
}

static inline void mmio_wr(unsigned long off, unsigned char v)
{
	testdev[off] = v;
	asm volatile("eieio" ::: "memory");
}

/* One byte read of the device register that holds 'm' */
static long mmio_read_one(void)
{
	return mmio_rd(TESTDEV_NAME) == 'm' ? 0 : 1;
}

/* One byte write to the door the device counts */
static long mmio_write_one(void)
{
	mmio_wr(TESTDEV_DOOR, 0xfa);
	return 0;
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

/*
 * The MMIO loops, framed like the others: n reads, each checked, then n
 * counted writes, checked through the device's count.
 */
static int mmio_loops(long n)
{
	unsigned long long t0, t1;
	const char *why = map_testdev();
	unsigned long count = 0;
	long i, bad = 0;
	int b;

	if (why) {
		printf("@@ mmio unavailable %s\n", why);
		fflush(stdout);
		return 1;
	}
	mmio_wr(0, 0);		/* test 0, its count reset */
	printf("@@ begin mmio-rd %ld\n", n);
	fflush(stdout);
	quiet();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		bad += mmio_read_one();
	t1 = now_ns();
	printf("@@ end mmio-rd %ld %llu %ld\n", n, t1 - t0, bad);
	fflush(stdout);
	quiet();
	printf("@@ begin mmio-wr %ld\n", n);
	fflush(stdout);
	quiet();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		mmio_write_one();
	t1 = now_ns();
	for (b = 0; b < 4; b++)
		count |= (unsigned long)mmio_rd(TESTDEV_COUNT + b) << (8 * b);
	printf("@@ end mmio-wr %ld %llu %ld\n", n, t1 - t0, (long)count != n ? 1L : 0L);
	printf("@@ mmio reads %ld wrong %ld writes %ld counted %lu\n", n, bad, n, count);
	fflush(stdout);
	quiet();
	return bad || (long)count != n;
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
	/* And each kind of call alone, for its exits call by call */
	bad |= loop("trace-sc", raw_sc_getppid, 200);
	if (hwcap2 & PPC_FEATURE2_SCV)
		bad |= loop("trace-scv", raw_scv_getppid, 200);
	bad |= mmio_loops(n / 2);
	printf("@@ done %s\n", bad ? "wrong-results" : "ok");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
