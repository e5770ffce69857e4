/* eval: evaluate saved audit lines (a file or stdin) and print the alerts, or with --each one
 * verdict per line. Bad lines are reported and counted; the pass always completes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dedup.h"
#include "engine.h"
#include "eventtime.h"
#include "linereader.h"
#include "progress.h"

#define EVAL_MAX_DETAILED_ERRORS 100
#define EVAL_MAX_OPEN_ALERTS 16384
#define EVAL_MAX_HELD_BYTES (64u << 20) /* first events kept for open alerts */

struct eval_state {
	struct engine eng;
	struct dedup_table dd;
	const char *input_name;
	bool each;
	cJSON *each_matches; /* --each: matches of the current line */
	uint64_t line_no;
	const char *line;  /* the line in hand, as read */
	size_t line_len;
	int64_t clock;       /* the latest event time seen: events without one use it */
	uint64_t alerts;
	uint64_t reported_errors;
	struct progress progress; /* on stderr, when it is a terminal */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kube-audit-agent eval [--rules PATH]... [--log-type TYPE] [--each]\n"
		   "                             [--max-line-bytes N] [--no-prefilter] [FILE|-]\n"
		   "\n"
		   "Evaluate audit events, one JSON object per line, from FILE or standard input.\n"
		   "A line's p_log_type decides its log type; else --log-type; else\n"
		   "Kubernetes.Audit (kube-apiserver's own audit log).\n"
		   "\n"
		   "  --rules PATH        a rule file or directory (repeatable; default %s)\n"
		   "  --log-type TYPE     log type of lines without p_log_type\n"
		   "  --each              one verdict per input line instead of grouped alerts\n"
		   "  --max-line-bytes N  skip (and count) longer lines (default %u)\n"
		   "  --no-prefilter      decode every line; by default a line holding no string\n"
		   "                      the rules require is skipped undecoded and counted as\n"
		   "                      prefiltered (a malformed one too)\n"
		   "\n"
		   "Output: by default one JSON object per alert after dedup grouping (event time\n"
		   "decides the window). With --each exactly one JSON line per input line:\n"
		   "{\"line\":N,\"matches\":[...]}, with \"error\" when the line could not be decoded.\n"
		   "Exit status: 0 after a full pass (bad lines are counted on stderr), 1 on a read\n"
		   "error, 2 for usage or rule errors. While stderr is a terminal a progress line\n"
		   "shows percent, MB/s, events/s and time left (the rates alone for a pipe).\n",
		KAA_RULES_DIR, LINEREADER_DEFAULT_MAX);
}

static int print_json(struct eval_state *st, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	if (!s)
		return -ENOMEM;
	progress_clear(&st->progress); /* stdout may be the same terminal */
	fputs(s, stdout);
	fputc('\n', stdout);
	cJSON_free(s);
	return 0;
}

/* A closed group becomes one output line when it reached its threshold. */
static int on_close(void *arg, struct alert_group *g)
{
	struct eval_state *st = arg;
	char id[33];

	if (!g->alerted || !g->first)
		return 0;
	bool timed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g->first, "timed"));
	dedup_alert_id(g, id);
	cJSON *a = cJSON_CreateObject();
	if (!a)
		return -ENOMEM;
	cJSON_AddStringToObject(a, "alert_id", id);
	cJSON_AddStringToObject(a, "rule_id", g->rule->id);
	cJSON_AddItemToObject(a, "title",
			      cJSON_DetachItemFromObject(g->first, "title"));
	cJSON_AddItemToObject(a, "severity", cJSON_DetachItemFromObject(g->first, "severity"));
	cJSON_AddStringToObject(a, "dedup", g->dedup);
	cJSON_AddItemToObject(a, "first_seen", eventtime_json(g->first_seen, timed));
	cJSON_AddItemToObject(a, "last_seen", eventtime_json(g->last_seen, timed));
	cJSON_AddNumberToObject(a, "event_count", (double)g->count);
	cJSON_AddItemToObject(a, "alert_context",
			      cJSON_DetachItemFromObject(g->first, "alert_context"));
	cJSON_AddItemToObject(a, "event", cJSON_DetachItemFromObject(g->first, "event"));
	cJSON_AddItemToObject(a, "source", cJSON_DetachItemFromObject(g->first, "source"));
	int rc = print_json(st, a);
	cJSON_Delete(a);
	st->alerts++;
	return rc;
}

static int on_match(void *arg, const struct rule *r, struct rule_match *m, struct event *ev)
{
	struct eval_state *st = arg;

	if (st->each) {
		cJSON *o = cJSON_CreateObject();
		if (!o || rule_match_context(r, ev, m)) {
			cJSON_Delete(o);
			return -ENOMEM;
		}
		cJSON_AddStringToObject(o, "rule_id", r->id);
		cJSON_AddStringToObject(o, "title", m->title);
		cJSON_AddStringToObject(o, "severity", severity_name(m->severity));
		cJSON_AddStringToObject(o, "dedup", m->dedup);
		cJSON_AddItemToObject(o, "alert_context", m->context);
		m->context = NULL;
		cJSON_AddItemToArray(st->each_matches, o);
		return 0;
	}

	int64_t ts;
	bool timed = engine_event_time(&st->eng, ev, &ts) == 0;
	if (timed && ts > st->clock)
		st->clock = ts;
	if (!timed)
		ts = st->clock;
	struct alert_group *g;
	bool first;
	int rc = dedup_record(&st->dd, r, m->dedup, ts, &g, &first, on_close, st);
	if (rc < 0)
		return rc;
	if (first) {
		cJSON *f = cJSON_CreateObject();
		if (!f || rule_match_context(r, ev, m)) {
			cJSON_Delete(f);
			return -ENOMEM;
		}
		cJSON_AddStringToObject(f, "title", m->title);
		cJSON_AddStringToObject(f, "severity", severity_name(m->severity));
		cJSON_AddItemToObject(f, "alert_context", m->context);
		m->context = NULL;
		/* the event as it was read (it decoded, so it is JSON): far smaller than a tree */
		size_t n = st->line_len;
		while (n && (st->line[n - 1] == '\r' || st->line[n - 1] == ' ' ||
			     st->line[n - 1] == '\t'))
			n--;
		char *raw = strndup(st->line, n);
		if (!raw)
			return -ENOMEM;
		cJSON_AddItemToObject(f, "event", cJSON_CreateRaw(raw));
		free(raw);
		cJSON_AddBoolToObject(f, "timed", timed);
		cJSON *src = cJSON_AddObjectToObject(f, "source");
		if (src) {
			cJSON_AddStringToObject(src, "file", st->input_name);
			cJSON_AddNumberToObject(src, "line", (double)st->line_no);
		}
		g->first = f;
		dedup_set_weight(&st->dd, g, 2 * st->line_len + 2 * strlen(m->dedup) + 2048);
	}
	/* Bounded memory: past either cap the alert opened first is written out now, even if
	 * its window is still open (a later match of it then opens a new alert). O(1) a match,
	 * so many distinct dedup strings cannot slow the pass down. */
	while (st->dd.count > EVAL_MAX_OPEN_ALERTS || st->dd.weight > EVAL_MAX_HELD_BYTES) {
		rc = dedup_close_oldest(&st->dd, on_close, st);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

static void report_bad(struct eval_state *st, const struct line *ln, const char *reason,
		       size_t offset)
{
	progress_clear(&st->progress);
	if (st->reported_errors++ < EVAL_MAX_DETAILED_ERRORS)
		fprintf(stderr, "eval: %s:%llu: %s (byte %zu)\n", st->input_name,
			(unsigned long long)ln->no, reason, offset);
	else if (st->reported_errors == EVAL_MAX_DETAILED_ERRORS + 1)
		fprintf(stderr, "eval: %s: more bad lines; only the count follows\n",
			st->input_name);
}

static int each_line_out(struct eval_state *st, const struct line *ln, const char *error)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	cJSON_AddNumberToObject(o, "line", (double)ln->no);
	cJSON_AddItemToObject(o, "matches", st->each_matches);
	st->each_matches = NULL;
	if (error)
		cJSON_AddStringToObject(o, "error", error);
	int rc = print_json(st, o);
	cJSON_Delete(o);
	return rc;
}

static int run(struct eval_state *st, int fd, size_t max_line)
{
	struct linereader lr;
	struct line ln;
	char msg[256];
	int rc;

	if ((rc = linereader_init(&lr, fd, max_line)))
		return rc;
	while ((rc = linereader_next(&lr, &ln)) == 1) {
		st->line_no = ln.no;
		st->line = ln.p;
		st->line_len = ln.len;
		const char *error = NULL;
		if (st->each && !(st->each_matches = cJSON_CreateArray())) {
			rc = -ENOMEM;
			break;
		}
		if (ln.too_long) {
			st->eng.st.lines++;
			st->eng.st.skipped_too_long++;
			snprintf(msg, sizeof(msg), "line of %zu bytes is longer than %zu", ln.len,
				 max_line);
			report_bad(st, &ln, msg, 0);
			error = msg;
		} else {
			struct decode_error de;
			rc = engine_line(&st->eng, ln.p, ln.len, &de, on_match, st);
			if (rc < 0)
				break;
			if (rc == 1) {
				snprintf(msg, sizeof(msg), "%s at byte %zu", de.reason, de.offset);
				report_bad(st, &ln, de.reason, de.offset);
				error = msg;
			}
		}
		if (st->each && (rc = each_line_out(st, &ln, error)) < 0)
			break;
		progress_tick(&st->progress, ln.no, ln.next);
	}
	cJSON_Delete(st->each_matches);
	st->each_matches = NULL;
	linereader_free(&lr);
	if (rc < 0)
		return rc;
	return dedup_expire(&st->dd, INT64_MAX, on_close, st);
}

/* The bytes left to read from fd when it is a regular file (a percentage makes sense), else
 * 0 (a pipe, a terminal). */
static uint64_t input_size(int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
		return 0;
	off_t at = lseek(fd, 0, SEEK_CUR);
	return at >= 0 && at < sb.st_size ? (uint64_t)(sb.st_size - at) : 0;
}

int cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'},
		{"log-type", required_argument, NULL, 't'},
		{"each", no_argument, NULL, 'e'},
		{"max-line-bytes", required_argument, NULL, 'm'},
		{"no-prefilter", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char **rule_paths = calloc((size_t)argc + 1, sizeof(char *));
	size_t nrule_paths = 0;
	struct eval_state st;
	const char *log_type = NULL;
	size_t max_line = LINEREADER_DEFAULT_MAX;
	bool prefilter = true;
	int c, status = 2;

	memset(&st, 0, sizeof(st));
	if (!rule_paths) {
		fprintf(stderr, "eval: out of memory\n");
		return 1;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:t:em:Ph", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rule_paths[nrule_paths++] = optarg;
			break;
		case 't':
			log_type = optarg;
			break;
		case 'e':
			st.each = true;
			break;
		case 'm': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || v < 1024 || v > (1ull << 30)) {
				fprintf(stderr, "eval: --max-line-bytes must be from 1024 to "
						"1073741824\n");
				goto out;
			}
			max_line = (size_t)v;
			break;
		}
		case 'P':
			prefilter = false;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "eval: one input at most\n");
		usage(stderr);
		goto out;
	}
	if (nrule_paths == 0)
		rule_paths[nrule_paths++] = (char *)KAA_RULES_DIR;

	const char *input = optind < argc ? argv[optind] : "-";
	int fd = 0;
	if (strcmp(input, "-") != 0) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "eval: %s: %s\n", input, strerror(errno));
			goto out;
		}
	}
	st.input_name = strcmp(input, "-") ? input : "<stdin>";

	struct ruleset *rs;
	int problems = ruleset_load(&rs, rule_paths, nrule_paths, stderr);
	if (problems) {
		fprintf(stderr, "eval: %s loading rules; nothing evaluated\n",
			problems < 0 ? strerror(-problems) : "errors");
		ruleset_free(rs);
		if (fd > 0)
			close(fd);
		goto out;
	}
	if (rs->nrules == 0)
		fprintf(stderr, "eval: warning: no rules found in the given paths\n");
	engine_init(&st.eng, rs, log_type);
	st.eng.prefilter = prefilter;
	if (dedup_init(&st.dd, 4096)) {
		ruleset_free(rs);
		goto out;
	}
	progress_init(&st.progress, STDERR_FILENO, input_size(fd));
	int rc = run(&st, fd, max_line);
	fflush(stdout);
	progress_clear(&st.progress);
	if (rc < 0) {
		fprintf(stderr, "eval: %s: stopped at line %llu: %s\n", st.input_name,
			(unsigned long long)st.line_no, strerror(-rc));
		status = 1;
	} else {
		status = 0;
	}
	struct engine_stats *s = &st.eng.st;
	char alerts[48] = "";
	if (!st.each)
		snprintf(alerts, sizeof(alerts), ", %llu alerts", (unsigned long long)st.alerts);
	fprintf(stderr,
		"eval: %llu lines, %llu matches%s; %llu bad lines (%llu undecodable, "
		"%llu longer than %zu bytes); %llu prefiltered\n",
		(unsigned long long)s->lines, (unsigned long long)s->matches, alerts,
		(unsigned long long)(s->decode_errors + s->skipped_too_long),
		(unsigned long long)s->decode_errors, (unsigned long long)s->skipped_too_long,
		max_line, (unsigned long long)s->prefiltered);
	dedup_free(&st.dd);
	ruleset_free(rs);
	if (fd > 0)
		close(fd);
out:
	free(rule_paths);
	return status;
}
