/* The results: a table to read, or tab-separated lines to parse. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct memrow {
	char id[40];
	char label[64];
	double v[2];		/* < 0: unknown */
	int lower_better;	/* the ratio is theirs / ours */
	double target;		/* 0: none */
	const char *unit;
};

static struct row rows[32];
static size_t nrows;
static struct memrow memrows[16];
static size_t nmemrows;

struct row *
new_row(const char *id, const char *label, enum ratio_kind rk, double target)
{
	struct row *rw;

	if (nrows >= sizeof(rows) / sizeof(rows[0])) {
		fprintf(stderr, "bench: too many rows\n");
		exit(1);
	}
	rw = &rows[nrows++];
	memset(rw, 0, sizeof(*rw));
	snprintf(rw->id, sizeof(rw->id), "%s", id);
	snprintf(rw->label, sizeof(rw->label), "%s", label);
	rw->rk = rk;
	rw->target = target;
	return rw;
}

void
new_memrow(const char *id, const char *label, double ours, double theirs,
    int lower_better, double target, const char *unit)
{
	struct memrow *m;

	if (nmemrows >= sizeof(memrows) / sizeof(memrows[0]))
		return;
	m = &memrows[nmemrows++];
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->label, sizeof(m->label), "%s", label);
	m->v[OURS] = ours;
	m->v[THEIRS] = theirs;
	m->lower_better = lower_better;
	m->target = target;
	m->unit = unit;
}

static double
row_ratio(const struct row *rw)
{
	switch (rw->rk) {
	case RATIO_OPS:
		if (rw->ops[OURS] <= 0 || rw->ops[THEIRS] <= 0)
			return 0;
		return rw->ops[OURS] / rw->ops[THEIRS];
	case RATIO_P50:
		if (rw->p50[OURS] <= 0 || rw->p50[THEIRS] <= 0)
			return 0;
		return rw->p50[THEIRS] / rw->p50[OURS];
	case RATIO_OVERHEAD:
		/* not a ratio: us the agent adds to the floor */
		return rw->p50[OURS] - rw->floor_p50;
	default:
		return 0;
	}
}

static const char *
row_result(const struct row *rw)
{
	if (rw->failed)
		return "FAIL";
	if (!rw->measured)
		return "n/a";
	if (rw->target <= 0)
		return "-";
	if (rw->rk == RATIO_OVERHEAD)
		return row_ratio(rw) < rw->target ? "PASS" : "MISS";
	return row_ratio(rw) >= rw->target ? "PASS" : "MISS";
}

static double
mem_ratio(const struct memrow *m)
{
	if (m->v[OURS] < 0 || m->v[THEIRS] < 0)
		return 0;
	if (m->lower_better)
		return m->v[OURS] > 0 ? m->v[THEIRS] / m->v[OURS] : 0;
	return m->v[THEIRS] > 0 ? m->v[OURS] / m->v[THEIRS] : 0;
}

static const char *
mem_result(const struct memrow *m)
{
	if (m->v[OURS] < 0 || m->v[THEIRS] < 0)
		return m->target > 0 ? "n/a" : "-";
	if (m->target <= 0)
		return "-";
	/* "less memory": strictly better */
	if (m->lower_better)
		return m->v[OURS] < m->v[THEIRS] ? "PASS" : "MISS";
	return m->v[OURS] > m->v[THEIRS] ? "PASS" : "MISS";
}

static void
fmt_num(char *buf, size_t len, double v, int prec)
{
	if (v < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.*f", prec, v);
}

static void
cpu_model(char *buf, size_t len)
{
	char line[256], *p;
	FILE *f;

	snprintf(buf, len, "unknown cpu");
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) != 0 ||
		    (p = strchr(line, ':')) == NULL)
			continue;
		p += strspn(p + 1, " \t") + 1;
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, len, "%s", p);
		break;
	}
	fclose(f);
}

static void
openssh_version(char *buf, size_t len)
{
	char ssh[PATH_MAX], *slash;
	const char *argv[] = { ssh, "-V", NULL };

	snprintf(buf, len, "unknown version");
	snprintf(ssh, sizeof(ssh), "%s", opt.ssh_agent);
	if ((slash = strrchr(ssh, '/')) == NULL ||
	    (size_t)(slash - ssh) + 5 > sizeof(ssh))
		return;
	strcpy(slash + 1, "ssh");	/* the ssh next to this ssh-agent */
	if (run_capture(argv, buf, len) != 0 || buf[0] == '\0')
		snprintf(buf, len, "unknown version");
	buf[strcspn(buf, ",\n")] = '\0';
}

/* The 1-minute load average: how busy the machine was besides us. */
static void
loadavg(char *buf, size_t len)
{
	FILE *f;

	snprintf(buf, len, "?");
	if ((f = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "?");
	fclose(f);
	buf[strcspn(buf, " \n")] = '\0';
}

void
print_header(void)
{
	char when[64], cpu[128], ver[128], load[32];
	struct utsname u;
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	cpu_model(cpu, sizeof(cpu));
	openssh_version(ver, sizeof(ver));
	loadavg(load, sizeof(load));
	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "?");
	if (opt.tsv) {
		printf("# date\t%s\n# cores\t%ld\n# cpu\t%s\n# kernel\t%s\n"
		    "# load_at_start\t%s\n# skagent\t%s\n# ssh-agent\t%s\t%s\n"
		    "# seconds_per_row\t%g\n# rounds\t%d\n", when,
		    sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release, load,
		    opt.skagent, opt.ssh_agent, ver, opt.duration, opt.rounds);
		printf("row\tmetric\tskagent\tssh-agent\tratio\ttarget\tresult\n");
		return;
	}
	printf("skagent bench, %s\n", when);
	printf("machine:   %ld cores online (%s), Linux %s, load %s\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release, load);
	printf("skagent:   %s\n", opt.skagent);
	printf("ssh-agent: %s (%s)\n", opt.ssh_agent, ver);
	printf("each row:  %g s per agent in %d alternating rounds, each "
	    "after a warm-up\n\n", opt.duration, opt.rounds);
}

/* id, metric, then both sides' values ("-" for unknown), no verdict. */
static void
tsv_pair(const char *id, const char *metric, double ours, double theirs,
    int prec)
{
	double v[2] = { ours, theirs };
	int k;

	printf("%s\t%s", id, metric);
	for (k = 0; k < 2; k++) {
		if (v[k] < 0)
			printf("\t-");
		else
			printf("\t%.*f", prec, v[k]);
	}
	printf("\t-\t-\t-\n");
}

static void
print_tsv(void)
{
	const struct row *rw;
	const struct memrow *m;
	char tgt[16];
	size_t i;
	int k;

	for (i = 0; i < nrows; i++) {
		rw = &rows[i];
		switch (rw->rk) {
		case RATIO_OPS:
			snprintf(tgt, sizeof(tgt), "%g", rw->target);
			printf("%s\tops_per_s\t%.1f\t%.1f\t%.2f\t%s\t%s\n",
			    rw->id, rw->ops[OURS], rw->ops[THEIRS],
			    row_ratio(rw), rw->target > 0 ? tgt : "-",
			    row_result(rw));
			break;
		case RATIO_P50:
			snprintf(tgt, sizeof(tgt), "%g", rw->target);
			printf("%s\tp50_us\t%.1f\t%.1f\t%.2f\t%s\t%s\n",
			    rw->id, rw->p50[OURS], rw->p50[THEIRS],
			    row_ratio(rw), rw->target > 0 ? tgt : "-",
			    row_result(rw));
			break;
		case RATIO_OVERHEAD:
			/* skagent's p50 less the floor's, in us */
			printf("%s\toverhead_p50_us\t", rw->id);
			if (rw->measured && !rw->failed)
				printf("%.1f", row_ratio(rw));
			else
				printf("-");
			printf("\t-\t-\t<%g\t%s\n", rw->target,
			    row_result(rw));
			break;
		}
		if (!rw->measured)
			continue;
		if (rw->rk != RATIO_OPS)
			tsv_pair(rw->id, "ops_per_s", rw->ops[OURS],
			    rw->ops[THEIRS], 1);
		if (rw->rk != RATIO_P50)
			tsv_pair(rw->id, "p50_us", rw->p50[OURS],
			    rw->p50[THEIRS], 1);
		tsv_pair(rw->id, "p99_us", rw->p99[OURS], rw->p99[THEIRS], 1);
		tsv_pair(rw->id, "cpu_us_per_op", rw->cpu[OURS],
		    rw->cpu[THEIRS], 1);
		tsv_pair(rw->id, "requests", (double)rw->n[OURS],
		    rw->rk == RATIO_OVERHEAD ? -1 : (double)rw->n[THEIRS], 0);
		tsv_pair(rw->id, "verified", (double)rw->verified[OURS],
		    rw->rk == RATIO_OVERHEAD ? -1 : (double)rw->verified[THEIRS],
		    0);
		if (rw->floor_p50 > 0)
			tsv_pair(rw->id, "in_process_p50_us", rw->floor_p50, -1,
			    1);
	}
	for (i = 0; i < nmemrows; i++) {
		m = &memrows[i];
		printf("%s\t%s", m->id, m->unit);
		for (k = 0; k < 2; k++) {
			if (m->v[k] < 0)
				printf("\t-");
			else
				printf("\t%.*f", strcmp(m->unit, "ms") == 0 ?
				    1 : 0, m->v[k]);
		}
		printf("\t%.2f\t%s\t%s\n", mem_ratio(m),
		    m->target > 0 ? "less" : "-", mem_result(m));
	}
}

static void
print_table(void)
{
	const struct row *rw;
	const struct memrow *m;
	char c[2][4][16], rt[16], tgt[16], fl[16], v[2][16];
	size_t i;
	int k, prec, any_note = 0;

	if (nrows > 0) {
		printf("%-34s|%34s|%34s|\n", "", "skagent         ",
		    "ssh-agent        ");
		printf("%-34s|%9s%8s%8s%8s |%9s%8s%8s%8s |%8s%8s%7s%9s\n",
		    "test", "ops/s", "p50 us", "p99 us", "cpu us", "ops/s",
		    "p50 us", "p99 us", "cpu us", "ratio", "target", "result",
		    "floor us");
	}
	for (i = 0; i < nrows; i++) {
		rw = &rows[i];
		for (k = 0; k < 2; k++) {
			if (!rw->measured) {
				for (size_t j = 0; j < 4; j++)
					snprintf(c[k][j], sizeof(c[k][j]), "-");
				continue;
			}
			fmt_num(c[k][0], sizeof(c[k][0]), rw->ops[k], 0);
			fmt_num(c[k][1], sizeof(c[k][1]), rw->p50[k], 1);
			fmt_num(c[k][2], sizeof(c[k][2]), rw->p99[k], 1);
			fmt_num(c[k][3], sizeof(c[k][3]), rw->cpu[k], 1);
		}
		if (rw->measured && !rw->failed && rw->rk == RATIO_OVERHEAD)
			snprintf(rt, sizeof(rt), "+%.0fus", row_ratio(rw));
		else if (rw->measured && !rw->failed)
			snprintf(rt, sizeof(rt), "%.1fx%s", row_ratio(rw),
			    rw->rk == RATIO_P50 ? "*" : "");
		else
			snprintf(rt, sizeof(rt), "-");
		if (rw->rk == RATIO_OVERHEAD)
			snprintf(tgt, sizeof(tgt), "<1ms");
		else if (rw->target > 0)
			snprintf(tgt, sizeof(tgt), ">=%gx", rw->target);
		else
			snprintf(tgt, sizeof(tgt), "-");
		if (rw->floor_p50 > 0)
			snprintf(fl, sizeof(fl), "%.1f", rw->floor_p50);
		else
			snprintf(fl, sizeof(fl), "-");
		printf("%-34s|%9s%8s%8s%8s |%9s%8s%8s%8s |%8s%8s%7s%9s\n",
		    rw->label, c[0][0], c[0][1], c[0][2], c[0][3], c[1][0],
		    c[1][1], c[1][2], c[1][3], rt, tgt, row_result(rw), fl);
		if (rw->note[0] != '\0')
			any_note = 1;
	}
	if (nrows > 0) {
		printf("\nratio: skagent's advantage, ops/s ours / theirs "
		    "(* list: p50 theirs / ours).\n"
		    "cpu us: the agent's CPU time (all threads) per request.  "
		    "floor us: p50 of the same\nsignature made in this "
		    "process: key_sign(), the cryptography alone; for sk keys\n"
		    "sk_sign_key() on the same token, so that sk's ratio is "
		    "the agent's p50 overhead.\n");
	}
	for (i = 0; any_note && i < nrows; i++)
		if (rows[i].note[0] != '\0')
			printf("%s: %s\n", rows[i].label, rows[i].note);
	if (nmemrows == 0)
		return;
	printf("\n%-40s%12s%12s%8s%8s%7s\n", "memory, ed25519 keys added",
	    "skagent", "ssh-agent", "ratio", "target", "result");
	for (i = 0; i < nmemrows; i++) {
		char lab[64];

		m = &memrows[i];
		snprintf(lab, sizeof(lab), "%s (%s)", m->label, m->unit);
		prec = strcmp(m->unit, "ms") == 0 ? 1 : 0;
		fmt_num(v[0], sizeof(v[0]), m->v[OURS], prec);
		fmt_num(v[1], sizeof(v[1]), m->v[THEIRS], prec);
		if (mem_ratio(m) > 0)
			snprintf(rt, sizeof(rt), "%.1fx", mem_ratio(m));
		else
			snprintf(rt, sizeof(rt), "-");
		printf("%-40s%12s%12s%8s%8s%7s\n", lab, v[0], v[1], rt,
		    m->target > 0 ? "less" : "-", mem_result(m));
	}
	printf("\nratio: theirs / ours.  Growth: from a started agent that "
	    "has served one request\nto the same agent holding %d more keys.  "
	    "skagent's secure heap (OpenSSL, 4 MiB)\nis mlock'd on fault "
	    "(MLOCK_ONFAULT): only the pages the keys' secret halves touch\n"
	    "are resident, and they are counted in the growth and in "
	    "\"mlock'd total\".\n", opt.nkeys);
}

void
print_results(void)
{
	char load[32];

	if (opt.tsv)
		print_tsv();
	else
		print_table();
	loadavg(load, sizeof(load));
	printf("%sload average at the end: %s\n", opt.tsv ? "# " : "\n", load);
}
