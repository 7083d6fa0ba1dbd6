// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the kselftest VM: mounts what the KVM selftests need, runs every
 * program listed in /tests/list once per KVM flavor (KVM_PPC_FLAVOR=pr|hv),
 * each under a time limit, and prints KTAP on the console.  Test output is
 * indented as "# " lines.  A test during which the kernel logs one message
 * (its text with the numbers left out) more than LOG_SAME_MAX times within
 * LOG_WINDOW_US fails, and so does every test if /dev/kmsg cannot be read:
 * a guest must not be able to flood the host's log.
 * A test /tests/skips names is not run: it is a skip with the reason given
 * there.  Ends with a sentinel line and powers off.
 *
 * Kernel command line: kvmtest.host=<name> (label), kvmtest.timeout=<s>,
 * kvmtest.flavors=<pr,hv>, kvmtest.only=<test>[,<test>...] (run only these),
 * kvmtest.args=<arg,arg,...> (its arguments, comma-separated),
 * kvmtest.extra=<test>:<s>:<arg,arg,...> (that test's own time limit and
 * arguments, whatever kvmtest.only= says).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS	256
#define SENTINEL	"kvmtest: done"

/*
 * A rate-limited message (pr_*_ratelimited(), DEFAULT_RATELIMIT_BURST 10 per
 * DEFAULT_RATELIMIT_INTERVAL 5 s) appears at most 20 times in any 5 s; the
 * same text more often than LOG_SAME_MAX times in that long is a flood.
 */
#define LOG_WINDOW_US	5000000ULL
#define LOG_SAME_MAX	30
#define LOG_TEXTS	256
#define LOG_TEXT_LEN	96
/* Records read after a test at most (a log still being flooded) */
#define LOG_READ_MAX	100000

static char cmdline[4096];
static char host[64] = "unknown";
static char flavors[64] = "pr,hv";
static char only[1024];
static char args[256];
static int timeout_s = 120;
/* kvmtest.extra=: one test's own limit and arguments */
static char extra[256];
static char *extra_test, *extra_args;
static int extra_timeout;

static void param(const char *key, char *dst, size_t len)
{
	char *p = strstr(cmdline, key);
	size_t n;

	if (!p)
		return;
	p += strlen(key);
	n = strcspn(p, " \n");
	if (n >= len)
		n = len - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void setup(void)
{
	char buf[32] = "";
	int fd;

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, cmdline, sizeof(cmdline) - 1);

		cmdline[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	param("kvmtest.host=", host, sizeof(host));
	param("kvmtest.flavors=", flavors, sizeof(flavors));
	param("kvmtest.only=", only, sizeof(only));
	param("kvmtest.args=", args, sizeof(args));
	param("kvmtest.timeout=", buf, sizeof(buf));
	if (buf[0])
		timeout_s = atoi(buf);
	param("kvmtest.extra=", extra, sizeof(extra));
	if (extra[0]) {
		char *t = strchr(extra, ':'), *a = t ? strchr(t + 1, ':') : NULL;

		if (a) {
			*t = *a = '\0';
			extra_test = extra;
			extra_timeout = atoi(t + 1);
			extra_args = a + 1;
		}
	}
}

/* The time limit of @prog. */
static int test_timeout(const char *prog)
{
	if (extra_test && !strcmp(prog, extra_test) && extra_timeout > 0)
		return extra_timeout;
	return timeout_s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The kernel log (/dev/kmsg), read from where the current test started. */
static int kmsg_fd = -1;

/* Each message text seen, with the times of its last LOG_SAME_MAX + 1. */
struct log_text {
	char text[LOG_TEXT_LEN];
	unsigned long long t[LOG_SAME_MAX + 1];
	unsigned long n;
};

static struct log_text log_texts[LOG_TEXTS];
static int nr_log_texts;

static void kmsg_mark(void)
{
	static int warned;

	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	else if (!warned++)
		printf("# kvmtest: no /dev/kmsg (%s): every test fails\n",
		       strerror(errno));
	nr_log_texts = 0;
}

/*
 * A message's text without its numbers (0x and hex digits, words of hex
 * digits with a decimal digit or of 8 and more hex digits), so that one
 * message with other values is the same text.
 */
static void log_text_of(const char *m, char *text)
{
	int k = 0, len, i, number;

	while (*m && *m != '\n' && k < LOG_TEXT_LEN - 1) {
		if (!isalnum((unsigned char)*m)) {
			text[k++] = *m++;
			continue;
		}
		for (len = 0; isalnum((unsigned char)m[len]); len++)
			;
		/*
		 * 0x and hex digits, hex digits with a decimal one, or 8 and
		 * more hex digits (a value like ffffffff)
		 */
		number = len > 2 && m[0] == '0' && (m[1] == 'x' || m[1] == 'X');
		for (i = number ? 2 : 0; i < len && isxdigit((unsigned char)m[i]); i++)
			number |= isdigit((unsigned char)m[i]);
		number |= i == len && len >= 8;
		if (i < len || !number) {
			for (i = 0; i < len && k < LOG_TEXT_LEN - 1; i++)
				text[k++] = m[i];
		}
		m += len;
	}
	text[k] = '\0';
}

/*
 * Read the records since kmsg_mark(); each is "<prio>,<seq>,<usec>,...;"
 * and the text.  Returns the text that came LOG_SAME_MAX + 1 times within
 * LOG_WINDOW_US (and how often it came in all), or NULL.
 */
static const struct log_text *kmsg_flood(void)
{
	const struct log_text *flood = NULL;
	unsigned long long usec;
	char rec[8192], text[LOG_TEXT_LEN];
	struct log_text *lt;
	int i, k, nr = 0;
	const char *m;
	ssize_t len;

	if (kmsg_fd < 0)
		return NULL;
	while (nr++ < LOG_READ_MAX) {
		len = read(kmsg_fd, rec, sizeof(rec) - 1);
		/* EPIPE: records were overwritten; EINVAL: one too long */
		if (len < 0 && (errno == EPIPE || errno == EINVAL))
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		m = strchr(rec, ';');
		if (!m || sscanf(rec, "%*u,%*u,%llu", &usec) != 1)
			continue;
		log_text_of(m + 1, text);
		k = strlen(text);
		for (i = 0; i < nr_log_texts; i++)
			if (!strcmp(log_texts[i].text, text))
				break;
		if (i == nr_log_texts) {
			/* A full table: the new text takes a slot in turn */
			i = nr_log_texts < LOG_TEXTS ? nr_log_texts++ :
			    nr % LOG_TEXTS;
			lt = &log_texts[i];
			memcpy(lt->text, text, k + 1);
			lt->n = 0;
		}
		lt = &log_texts[i];
		lt->t[lt->n++ % (LOG_SAME_MAX + 1)] = usec;
		/* the oldest of the last LOG_SAME_MAX + 1, within the window? */
		if (lt->n > LOG_SAME_MAX &&
		    lt->t[lt->n % (LOG_SAME_MAX + 1)] + LOG_WINDOW_US >= usec &&
		    !flood)
			flood = lt;
	}
	return flood;
}

/* Print one line of test output, indented, and remember SKIP reasons. */
static void out_line(const char *line, char *skip, size_t skiplen)
{
	const char *s = strstr(line, "SKIP");

	printf("# %s\n", line);
	if (s) {
		s += 4;
		while (*s == ' ' || *s == '-' || *s == ':')
			s++;
		snprintf(skip, skiplen, "%s", s);
	}
}

/*
 * Where TEST is among the comma-separated names of kvmtest.only=: its
 * index, or -1.
 */
static int only_pos(const char *test)
{
	size_t len = strlen(test);
	const char *p = only;
	int n = 0;

	while (*p) {
		if (!strncmp(p, test, len) && (p[len] == ',' || !p[len]))
			return n;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
		n++;
	}
	return -1;
}

static int in_only(const char *test)
{
	return only_pos(test) >= 0;
}

/*
 * /tests/args (kselftests/vm-args): "<test> <host or *> <arg>..." lines,
 * the arguments the VM runs @prog with on this host.  Appends them to
 * @argv[@argc...] (at most up to @max) and returns the new count.
 */
static int host_args(const char *prog, char **argv, int argc, int max)
{
	static char line[512];
	size_t n = strlen(prog);
	FILE *f = fopen("/tests/args", "r");
	char *h, *a, *save;

	if (!f)
		return argc;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || strncmp(line, prog, n) || line[n] != ' ')
			continue;
		line[strcspn(line, "\n")] = '\0';
		h = strtok_r(line + n + 1, " ", &save);
		if (!h || (strcmp(h, "*") && strcmp(h, host)))
			continue;
		while (argc < max && (a = strtok_r(NULL, " ", &save)))
			argv[argc++] = a;
		break;
	}
	fclose(f);
	return argc;
}

/*
 * Whether /tests/skips (kselftests/vm-skips: "<test> <reason>",
 * "<test>:<flavor> <reason>" and "<test>:<flavor>@<host> <reason>" lines)
 * says the VM does not run @prog for @flavor on this host; its reason,
 * marked as the harness's, in @why.
 */
static int harness_skip(const char *prog, const char *flavor, char *why,
			size_t len)
{
	char line[512], *r;
	size_t n = strlen(prog), fl = strlen(flavor), hl = strlen(host);
	FILE *f = fopen("/tests/skips", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || strncmp(line, prog, n))
			continue;
		/* "<test>[:<flavor>[@<host>]] <reason>" */
		r = line + n;
		if (*r == ':' && !strncmp(r + 1, flavor, fl) &&
		    (r[1 + fl] == ' ' || r[1 + fl] == '@'))
			r += 1 + fl;
		if (*r == '@' && !strncmp(r + 1, host, hl) && r[1 + hl] == ' ')
			r += 1 + hl;
		if (*r != ' ')
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(why, len, "harness: %s", r + 1);
		found = 1;
	}
	fclose(f);
	return found;
}

/*
 * Run one test; returns 0 pass, 4 skip, 1 fail, 2 timeout.  The test's
 * output goes through a pipe so that it can be indented.
 */
static int run_one(const char *prog, const char *flavor, char *skip,
		   size_t skiplen, double *secs)
{
	char path[300], env[64], line[1024];
	double t0 = now(), deadline = t0 + test_timeout(prog);
	size_t used = 0;
	int pfd[2], status = 0, timed_out = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "/tests/%.250s", prog);
	snprintf(env, sizeof(env), "KVM_PPC_FLAVOR=%s", flavor);
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		char *argv[32] = { path }, *a = args, *sep;
		int argc = 1;

		/* kvmtest.extra= arguments first, then kvmtest.args= */
		if (extra_test && !strcmp(prog, extra_test)) {
			char *e = extra_args;

			while (*e && argc < 15) {
				argv[argc++] = e;
				sep = strchr(e, ',');
				if (!sep)
					break;
				*sep = '\0';
				e = sep + 1;
			}
		}
		/* /tests/args: this host's arguments for the test */
		argc = host_args(prog, argv, argc, 15);
		/* kvmtest.args= goes to the one test kvmtest.only= names */
		while (only[0] && !strchr(only, ',') && *a && argc < 30) {
			argv[argc++] = a;
			sep = strchr(a, ',');
			if (!sep)
				break;
			*sep = '\0';
			a = sep + 1;
		}
		char *envp[] = { env, "PATH=/tests", NULL };

		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		chdir("/tests");
		execve(path, argv, envp);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(1);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int left = (int)((deadline - now()) * 1000);
		ssize_t n;

		if (left <= 0) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(pfd[0], line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			break;
		used += n;
		line[used] = '\0';
		for (;;) {
			char *nl = strchr(line, '\n');

			if (!nl)
				break;
			*nl = '\0';
			out_line(line, skip, skiplen);
			used -= nl + 1 - line;
			memmove(line, nl + 1, used + 1);
		}
		if (used == sizeof(line) - 1) {
			out_line(line, skip, skiplen);
			used = 0;
		}
		fflush(stdout);
	}
	if (used) {
		line[used] = '\0';
		out_line(line, skip, skiplen);
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	*secs = now() - t0;
	if (timed_out)
		return 2;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		return 4;
	if (WIFSIGNALED(status))
		printf("# killed by signal %d\n", WTERMSIG(status));
	else
		printf("# exit status %d\n", WEXITSTATUS(status));
	return 1;
}

int main(void)
{
	static char tests[MAX_TESTS][256];
	char line[256], *fl, *save = NULL, *flv[8];
	int ntests = 0, nfl = 0, i, j, n = 0;
	FILE *f;

	setup();
	setvbuf(stdout, NULL, _IOLBF, 0);
	f = fopen("/tests/list", "r");
	while (f && ntests < MAX_TESTS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (only[0] && !in_only(line))
			continue;
		snprintf(tests[ntests++], sizeof(tests[0]), "%s", line);
	}
	/* kvmtest.only= also gives the order: sort the tests by it */
	for (i = 1; only[0] && i < ntests; i++) {
		for (j = i; j > 0 && only_pos(tests[j]) < only_pos(tests[j - 1]); j--) {
			char t[256];

			memcpy(t, tests[j], sizeof(t));
			memcpy(tests[j], tests[j - 1], sizeof(t));
			memcpy(tests[j - 1], t, sizeof(t));
		}
	}
	for (fl = strtok_r(flavors, ",", &save); fl && nfl < 8;
	     fl = strtok_r(NULL, ",", &save))
		flv[nfl++] = fl;

	printf("kvmtest: host=%s flavors=%d tests=%d timeout=%ds\n", host,
	       nfl, ntests, timeout_s);
	printf("TAP version 13\n1..%d\n", ntests * nfl);
	for (i = 0; i < ntests; i++) {
		for (j = 0; j < nfl; j++) {
			char skip[256] = "";
			double secs = 0;
			int r;

			const struct log_text *flood;

			printf("# kvmtest: start %s:%s@%s\n", tests[i], flv[j], host);
			if (harness_skip(tests[i], flv[j], skip, sizeof(skip))) {
				printf("ok %d kvm:%s:%s@%s # SKIP %s\n", ++n,
				       tests[i], flv[j], host, skip);
				continue;
			}
			kmsg_mark();
			r = run_one(tests[i], flv[j], skip, sizeof(skip), &secs);
			flood = kmsg_flood();
			n++;
			if (flood)
				printf("# kvmtest: host log flooded: more than %d times within %llu s, %lu in all: \"%s\"\n",
				       LOG_SAME_MAX, LOG_WINDOW_US / 1000000,
				       flood->n, flood->text);
			if (flood || kmsg_fd < 0)
				printf("not ok %d kvm:%s:%s@%s # %s%s\n", n,
				       tests[i], flv[j], host,
				       kmsg_fd < 0 ? "host log not readable" :
				       "host log flooded",
				       r == 2 ? ", TIMEOUT" : r == 1 ? ", failed" : "");
			else if (r == 0)
				printf("ok %d kvm:%s:%s@%s # time=%.2fs\n", n,
				       tests[i], flv[j], host, secs);
			else if (r == 4)
				printf("ok %d kvm:%s:%s@%s # SKIP %s\n", n, tests[i],
				       flv[j], host, skip[0] ? skip : "no reason given");
			else if (r == 2)
				printf("not ok %d kvm:%s:%s@%s # TIMEOUT %ds\n", n,
				       tests[i], flv[j], host,
				       test_timeout(tests[i]));
			else
				printf("not ok %d kvm:%s:%s@%s\n", n, tests[i],
				       flv[j], host);
		}
	}
	printf("%s host=%s\n", SENTINEL, host);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
