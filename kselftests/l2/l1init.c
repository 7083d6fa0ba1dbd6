// SPDX-License-Identifier: GPL-2.0-only
/*
 * /init of the L1 host for the real-guest runs: boots each L2 case under
 * QEMU on /dev/kvm, reads the L2 console, and between the "@@ begin" and
 * "@@ end" lines of the L2 init reads the vCPU statistics of KVM through
 * QMP (query-stats, over a pipe chardev: the L1 kernel has no network).
 * For KVM-PR it also traces the exits and emulated instructions of a short
 * glibc loop.  Prints one "l2:" line per fact for the harness, then powers
 * the L1 off.
 *
 * Cases come from the kernel command line: l2cases=<flavor>:<vmm>:<kernel>
 * [,...], flavor pr|hv, vmm stock|ail3 (ail3: /l2/ail3.so enables
 * KVM_CAP_PPC_AIL_MODE_3, as a VMM that grants AIL=3 would), kernel the
 * name of /l2/vmlinux-<kernel>.  l2limit=<s> bounds each case.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define QEMU		"/usr/bin/qemu-system-ppc64"
#define TRACING		"/sys/kernel/tracing"
#define NSTATS		5

static const char * const stat_names[NSTATS] = {
	"sum_exits", "syscall_exits", "emulated_inst_exits", "dec_exits",
	"ext_intr_exits",
};

static int qmp_in = -1, qmp_out = -1;
static char qbuf[1 << 20];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		printf("l2: note cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Read QMP until a line with "return" or "error"; 0 on a reply. */
static int qmp_reply(char *buf, size_t size, double limit)
{
	size_t len = 0;
	char *nl, *line;
	struct pollfd p = { .fd = qmp_out, .events = POLLIN };

	for (;;) {
		buf[len] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			if (strstr(line, "\"return\"") || strstr(line, "\"error\"")) {
				memmove(buf, line, nl - line + 1);
				return strstr(buf, "\"error\"") ? -1 : 0;
			}
			line = nl + 1;
		}
		memmove(buf, line, strlen(line) + 1);
		len = strlen(buf);
		if (len >= size - 1 || now() > limit)
			return -1;
		if (poll(&p, 1, 1000) <= 0)
			continue;
		ssize_t n = read(qmp_out, buf + len, size - 1 - len);

		if (n <= 0)
			return -1;
		len += n;
	}
}

static int qmp(const char *cmd, double limit)
{
	if (write(qmp_in, cmd, strlen(cmd)) < 0)
		return -1;
	return qmp_reply(qbuf, sizeof(qbuf), limit);
}

/*
 * QMP wants its capabilities negotiated before any command; QEMU sends
 * its greeting once its main loop runs, which in a TCG L1 can be long
 * after it started: negotiate at the first query.
 */
static int qmp_ready;

static int qmp_negotiate(void)
{
	double limit = now() + 60;
	size_t len = 0;
	struct pollfd p = { .fd = qmp_out, .events = POLLIN };

	while (!strstr(qbuf, "\"QMP\"")) {
		ssize_t n;

		if (now() > limit || len >= sizeof(qbuf) - 1)
			return -1;
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(qmp_out, qbuf + len, sizeof(qbuf) - 1 - len);
		if (n <= 0)
			return -1;
		len += n;
		qbuf[len] = 0;
	}
	if (qmp("{\"execute\": \"qmp_capabilities\"}\n", now() + 60))
		return -1;
	qmp_ready = 1;
	return 0;
}

static int query_stats(unsigned long long *v)
{
	int i;

	if (!qmp_ready && qmp_negotiate())
		return -1;
	if (qmp("{\"execute\": \"query-stats\", \"arguments\": {\"target\": \"vcpu\"}}\n",
		now() + 30))
		return -1;
	for (i = 0; i < NSTATS; i++) {
		char key[64], *p;

		snprintf(key, sizeof(key), "\"%s\"", stat_names[i]);
		p = strstr(qbuf, key);
		if (!p || !(p = strstr(p, "\"value\"")))
			return -1;
		v[i] = strtoull(p + 8, NULL, 10);
	}
	return 0;
}

struct insn_count {
	unsigned int inst;
	long n;
};

static const char *spr_name(unsigned int spr)
{
	switch (spr) {
	case 1: return "XER";
	case 3: return "DSCR(u)";
	case 8: return "LR";
	case 9: return "CTR";
	case 13: return "AMR";
	case 17: return "DSCR";
	case 18: return "DSISR";
	case 19: return "DAR";
	case 22: return "DEC";
	case 26: return "SRR0";
	case 27: return "SRR1";
	case 28: return "CFAR";
	case 29: return "AMR";
	case 61: return "IAMR";
	case 128: return "TFHAR";
	case 153: return "FSCR";
	case 157: return "UAMOR";
	case 256: return "VRSAVE";
	case 268: return "TB";
	case 272: return "SPRG0";
	case 273: return "SPRG1";
	case 274: return "SPRG2";
	case 275: return "SPRG3";
	case 259: return "SPRG3(u)";
	case 768 ... 783: return "PMU(u)";
	case 784 ... 799: return "PMU";
	case 804: return "EBBHR";
	case 805: return "EBBRR";
	case 806: return "BESCR";
	case 815: return "TAR";
	case 896: return "PPR";
	case 898: return "PPR32";
	case 1012: return "DAWR";
	}
	return NULL;
}

static void decode(unsigned int inst, char *out, size_t size)
{
	unsigned int op = inst >> 26, xo = (inst >> 1) & 0x3ff;
	unsigned int spr = ((inst >> 16) & 0x1f) | (((inst >> 11) & 0x1f) << 5);
	const char *n;

	if (op == 31 && (xo == 339 || xo == 467)) {
		n = spr_name(spr);
		if (n)
			snprintf(out, size, "%s %s", xo == 339 ? "mfspr" : "mtspr", n);
		else
			snprintf(out, size, "%s %u", xo == 339 ? "mfspr" : "mtspr", spr);
		return;
	}
	if (op == 31) {
		switch (xo) {
		case 83: n = "mfmsr"; break;
		case 146: n = "mtmsr"; break;
		case 178: n = "mtmsrd"; break;
		case 371: n = "mftb"; break;
		case 402: n = "slbmte"; break;
		case 434: n = "slbie"; break;
		case 306: n = "tlbie"; break;
		case 274: n = "tlbiel"; break;
		case 595: n = "mfsr"; break;
		case 659: n = "mfsrin"; break;
		case 915: n = "slbmfee"; break;
		case 851: n = "slbmfev"; break;
		case 498: n = "slbia"; break;
		case 566: n = "tlbsync"; break;
		case 854: n = "eieio"; break;
		case 598: n = "sync"; break;
		case 86: n = "dcbf"; break;
		case 1014: n = "dcbz"; break;
		default: n = NULL;
		}
		if (n) {
			snprintf(out, size, "%s", n);
			return;
		}
	}
	if (op == 19) {
		switch (xo) {
		case 18: snprintf(out, size, "rfid"); return;
		case 82: snprintf(out, size, "rfscv"); return;
		case 274: snprintf(out, size, "hrfid"); return;
		}
	}
	if (op == 17)
		snprintf(out, size, "%s", inst & 1 ? "scv" : "sc");
	else
		snprintf(out, size, "op %u xo %u", op, xo);
}

static int by_count(const void *a, const void *b)
{
	const struct insn_count *x = a, *y = b;

	return y->n > x->n ? 1 : y->n < x->n ? -1 : 0;
}

/*
 * The exits and emulated instructions of a traced window; those of the
 * window without calls ("trace-idle") are kept and subtracted from the
 * next one's.
 */
static struct insn_count idle_ic[256];
static int idle_nic;
static long idle_sc, idle_fac;

static int by_value(const void *a, const void *b)
{
	const long *x = a, *y = b;

	return *x > *y ? 1 : *x < *y ? -1 : 0;
}

/*
 * Exits per call, call by call: a call starts with the exit of its sc or
 * scv from problem state (guest MSR[PR]) and takes every exit up to the
 * next call's.  A call that a guest timer interrupt lands in takes that
 * interrupt's exits too; the most frequent count is a call without one.
 * The last call of the window runs into its end and is not counted.
 */
#define MAX_CALLS	1024
static long percall[MAX_CALLS];
static int npercall;

static void report_percall(const char *tag, const char *window)
{
	long mode = 0, best = 0, run = 0;
	int i;

	if (npercall < 1) {
		printf("l2: %s percall %s calls 0\n", tag, window);
		return;
	}
	qsort(percall, npercall, sizeof(percall[0]), by_value);
	for (i = 0; i < npercall; i++) {
		run = (i && percall[i] == percall[i - 1]) ? run + 1 : 1;
		if (run > best) {
			best = run;
			mode = percall[i];
		}
	}
	printf("l2: %s percall %s calls %d mode %ld of %ld min %ld median %ld max %ld\n",
	       tag, window, npercall, mode, best, percall[0],
	       percall[npercall / 2], percall[npercall - 1]);
}

static void report_trace(const char *tag, const char *window, long calls,
			 int idle)
{
	static struct insn_count ic[256];
	long sc = 0, fac = 0, other = 0, rfscv = 0, raw_sc, raw_rfscv = 0;
	long cur = -1;
	int nic = 0, i, j;
	char line[512], name[64];
	FILE *f;

	put(TRACING "/tracing_on", "0");
	f = fopen(TRACING "/trace", "r");
	if (!f) {
		printf("l2: %s trace unavailable\n", tag);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (line[0] == '#')
			continue;
		if ((p = strstr(line, "kvm_exit: exit="))) {
			char *m = strstr(p, "msr=0x");
			int user = m && (strtoul(m + 6, NULL, 16) & 0x4000);
			int start = 0;

			p += strlen("kvm_exit: exit=");
			if (!strncmp(p, "SYSCALL", 7)) {
				sc++;
				start = user;
			} else if (!strncmp(p, "0xf60", 5)) {
				fac++;
				start = user;
			} else {
				other++;
			}
			if (start) {
				if (cur >= 0 && npercall < MAX_CALLS)
					percall[npercall++] = cur;
				cur = 0;
			}
			if (cur >= 0)
				cur++;
		} else if ((p = strstr(line, "kvm_ppc_instr: inst "))) {
			unsigned int inst = strtoul(p + 20, NULL, 10);

			for (i = 0; i < nic && ic[i].inst != inst; i++)
				;
			if (i == nic && nic < 256)
				ic[nic++].inst = inst;
			if (i < 256)
				ic[i].n++;
		}
	}
	fclose(f);
	if (!idle)
		report_percall(tag, window);
	npercall = 0;
	if (strcmp(window, "trace") && !idle) {
		/* The instruction counts are the glibc window's only */
		memset(ic, 0, sizeof(ic));
		return;
	}
	if (idle) {
		memcpy(idle_ic, ic, sizeof(ic));
		idle_nic = nic;
		idle_sc = sc;
		idle_fac = fac;
		memset(ic, 0, sizeof(ic));
		return;
	}
	/* The raw counts decide the checks; the net ones are the numbers */
	for (i = 0; i < nic; i++)
		if ((ic[i].inst & 0xfc0007fe) == 0x4c0000a4)
			raw_rfscv += ic[i].n;
	raw_sc = sc;
	for (i = 0; i < nic; i++)
		for (j = 0; j < idle_nic; j++)
			if (idle_ic[j].inst == ic[i].inst)
				ic[i].n -= idle_ic[j].n;
	sc -= idle_sc;
	fac -= idle_fac;
	idle_nic = 0;
	idle_sc = idle_fac = 0;
	for (i = 0; i < nic; i++)
		if ((ic[i].inst & 0xfc0007fe) == 0x4c0000a4)
			rfscv += ic[i].n;
	printf("l2: %s trace calls %ld syscall-exits %ld fac-exits %ld rfscv %ld raw-syscall-exits %ld raw-rfscv %ld\n",
	       tag, calls, sc, fac, rfscv, raw_sc, raw_rfscv);
	qsort(ic, nic, sizeof(ic[0]), by_count);
	/* The 16 most frequent */
	for (i = 0; i < nic && i < 16; i++) {
		decode(ic[i].inst, name, sizeof(name));
		printf("l2: %s trap 0x%08x %s %.2f per call\n", tag, ic[i].inst,
		       name, (double)ic[i].n / calls);
	}
	memset(ic, 0, sizeof(ic));
	(void)other;
}

static void start_trace(void)
{
	put(TRACING "/tracing_on", "0");
	put(TRACING "/buffer_size_kb", "4096");
	put(TRACING "/trace", "");
	/* Every exit: the per-call counts need them all */
	put(TRACING "/events/kvm_pr/kvm_exit/filter", "0");
	put(TRACING "/events/kvm_pr/kvm_exit/enable", "1");
	put(TRACING "/events/kvm/kvm_ppc_instr/enable", "1");
	put(TRACING "/tracing_on", "1");
}

static void run_case(const char *spec, int limit_s)
{
	char flavor[8] = "", vmm[8] = "", kernel[32] = "", tag[64];
	char kpath[64], mopt[512], line[4096];
	unsigned long long before[NSTATS], after[NSTATS], idle[NSTATS] = {};
	int out[2], status, len = 0, booted = 0, done = 0, i;
	double t0 = now(), limit = t0 + limit_s;
	pid_t pid;
	static char rbuf[8192];
	size_t rlen = 0;

	if (sscanf(spec, "%7[^:]:%7[^:]:%31s", flavor, vmm, kernel) != 3) {
		printf("l2: bad case %s\n", spec);
		return;
	}
	snprintf(tag, sizeof(tag), "%s:%s:%s", flavor, vmm, kernel);
	snprintf(kpath, sizeof(kpath), "/l2/vmlinux-%s", kernel);
	snprintf(mopt, sizeof(mopt),
		 "pseries,accel=kvm,kvm-type=%s,x-vof=on,ic-mode=xics,"
		 "cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,"
		 "cap-ccf-assist=off,cap-large-decr=off,cap-fwnmi=off,"
		 "cap-htm=off", strcmp(flavor, "pr") ? "HV" : "PR");
	unlink("/tmp/qmp.in");
	unlink("/tmp/qmp.out");
	if (mkfifo("/tmp/qmp.in", 0600) || mkfifo("/tmp/qmp.out", 0600) ||
	    pipe(out)) {
		printf("l2: %s fail setup: %s\n", tag, strerror(errno));
		return;
	}
	printf("l2: %s start\n", tag);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		char *args[] = {
			QEMU, "-L", "/usr/share/qemu", "-M", mopt, "-cpu", "host",
			"-m", "512M", "-smp", "1", "-nodefaults", "-display",
			"none", "-chardev", "stdio,id=con,signal=off",
			"-device", "spapr-vty,chardev=con",
			"-device", "pci-testdev",
			"-chardev", "pipe,id=qmp,path=/tmp/qmp",
			"-mon", "chardev=qmp,mode=control",
			"-no-reboot", "-kernel", kpath, "-initrd",
			"/l2/initrd.cpio", "-append",
			"console=hvc0 l2loops=500", NULL,
		};
		int fd = open("/dev/null", O_RDONLY);

		dup2(fd, 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		if (!strcmp(vmm, "ail3"))
			setenv("LD_PRELOAD", "/l2/ail3.so", 1);
		execv(QEMU, args);
		_exit(127);
	}
	close(out[1]);
	qmp_in = open("/tmp/qmp.in", O_RDWR);
	qmp_out = open("/tmp/qmp.out", O_RDWR);
	/* The QMP greeting, unless QEMU fails first: then show why. */
	for (i = 0; i < 60; i++) {
		struct pollfd q = { .fd = qmp_out, .events = POLLIN };

		if (waitpid(pid, &status, WNOHANG) == pid) {
			ssize_t n = read(out[0], rbuf, sizeof(rbuf) - 1);

			rbuf[n > 0 ? n : 0] = 0;
			printf("l2: %s fail QEMU exited with status %d: %s\n",
			       tag, WEXITSTATUS(status), strtok(rbuf, "\n") ?: "");
			printf("%s\n", rbuf);
			close(out[0]);
			close(qmp_in);
			close(qmp_out);
			printf("l2: %s end booted 0 done 0 %.1f s\n", tag, now() - t0);
			return;
		}
		if (poll(&q, 1, 1000) > 0)
			break;
	}
	qmp_ready = 0;
	qbuf[0] = 0;
	for (;;) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		char *nl;
		ssize_t n;

		if (now() > limit) {
			printf("l2: %s fail hung: no end after %d s\n", tag, limit_s);
			break;
		}
		nl = memchr(rbuf, '\n', rlen);
		if (!nl) {
			if (rlen == sizeof(rbuf))
				rlen = 0;	/* an endless line: drop it */
			if (poll(&p, 1, 1000) <= 0)
				continue;
			n = read(out[0], rbuf + rlen, sizeof(rbuf) - rlen);
			if (n <= 0)
				break;	/* QEMU is gone */
			rlen += n;
			continue;
		}
		len = nl - rbuf;
		if (len > (int)sizeof(line) - 1)
			len = sizeof(line) - 1;
		memcpy(line, rbuf, len);
		line[len] = 0;
		if (len && line[len - 1] == '\r')
			line[len - 1] = 0;
		rlen -= nl + 1 - rbuf;
		memmove(rbuf, nl + 1, rlen);
		/* The L2 console, for the log */
		printf("  | %6.1f %s\n", now() - t0, line);
		if (strstr(line, "elocation on exceptions")) {
			/* The L2 asked for AIL=3 and was refused */
			printf("l2: %s ail-refused %s\n", tag,
			       strstr(line, "elocation on exceptions") - 1);
		} else if (strstr(line, "KVM: Live patching for a fast VM")) {
			/* The guest's paravirt magic page (CONFIG_KVM_GUEST) */
			printf("l2: %s magic %s\n", tag,
			       strstr(line, "fast VM worked") ? "worked" : "failed");
		} else if (!strncmp(line, "@@ mmio ", 8)) {
			printf("l2: %s mmio %s\n", tag, line + 8);
		} else if (!strncmp(line, "@@ init ", 8)) {
			booted = 1;
			printf("l2: %s init %.1f s %s\n", tag, now() - t0, line + 8);
		} else if (!strncmp(line, "@@ begin ", 9)) {
			if (!strncmp(line + 9, "trace", 5) && !strcmp(flavor, "pr"))
				start_trace();
			if (query_stats(before))
				printf("l2: %s note query-stats failed\n", tag);
		} else if (!strncmp(line, "@@ end ", 7)) {
			char name[32];
			long n = 0, bad = 0;
			unsigned long long ns = 0;

			sscanf(line + 7, "%31s %ld %llu %ld", name, &n, &ns, &bad);
			if (!strncmp(name, "trace", 5)) {
				if (!strcmp(flavor, "pr"))
					report_trace(tag, name, n, !strcmp(name, "trace-idle"));
				continue;
			}
			if (query_stats(after)) {
				printf("l2: %s note query-stats failed\n", tag);
				continue;
			}
			if (!strcmp(name, "idle")) {
				/* The cost of the window without calls */
				for (i = 0; i < NSTATS; i++)
					idle[i] = after[i] - before[i];
				printf("l2: %s idle sum_exits %llu\n", tag, idle[0]);
				continue;
			}
			printf("l2: %s loop %s calls %ld ns/call %.0f", tag, name,
			       n, n ? (double)ns / n : 0);
			for (i = 0; i < NSTATS; i++)
				printf(" %s %.3f", stat_names[i],
				       n ? ((double)(after[i] - before[i]) -
					    (double)idle[i]) / n : 0);
			printf(" wrong %ld\n", bad);
		} else if (!strncmp(line, "@@ done ", 8)) {
			done = 1;
			printf("l2: %s done %s\n", tag, line + 8);
		}
		fflush(stdout);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(out[0]);
	close(qmp_in);
	close(qmp_out);
	printf("l2: %s end booted %d done %d %.1f s\n", tag, booted, done,
	       now() - t0);
	fflush(stdout);
}

int main(void)
{
	char *cases = getenv("l2cases"), *limit = getenv("l2limit"), *c;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tracefs", TRACING, "tracefs", 0, NULL);
	mkdir("/tmp", 0777);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("l2: l1 up\n");
	if (access("/dev/kvm", R_OK | W_OK))
		printf("l2: note no /dev/kvm: %s\n", strerror(errno));
	for (c = cases ? strtok(cases, ",") : NULL; c; c = strtok(NULL, ","))
		run_case(c, limit ? atoi(limit) : 300);
	printf("l2: l1 done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
