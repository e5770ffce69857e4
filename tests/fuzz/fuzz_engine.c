/* An audit line as kube-apiserver (or an attacker who reaches its log) writes it: decode, the
 * data model of its p_log_type, every shipped rule, and for each match what the daemon does
 * next: event time, dedup, the alert record, every output encoding and the correlation join.
 * Every line also goes through the prefilter, which must be sound: a line it skips is one on
 * which no rule matches (the harness aborts when the two disagree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "alert.h"
#include "correlate.h"
#include "dedup.h"
#include "engine.h"
#include "format.h"
#include "http.h"
#include "fuzz.h"
#include "reqtrack.h"
#include "sbuf.h"

struct fuzz_engine {
	struct engine eng;    /* prefilter off: every line decoded */
	struct engine eng_pf; /* prefilter on, as the agent runs */
	struct dedup_table dd;
	struct correlate *corr;
};

static int on_match(void *arg, const struct rule *r, struct rule_match *m, struct event *ev)
{
	static const enum out_format fmts[] = {FMT_JSON, FMT_SPLUNK_HEC, FMT_ELASTIC_BULK,
					       FMT_OCSF};
	struct fuzz_engine *fe = arg;
	struct format_opts fo = {"idx", "src", "st", "0.0.0"};
	struct alert_group *g;
	bool first;
	int64_t ts = 0;

	engine_event_time(&fe->eng, ev, &ts);
	int outcome = dedup_record(&fe->dd, r, m->dedup, ts, &g, &first, NULL, NULL);
	if (outcome < 0)
		return outcome;
	if (outcome == DEDUP_HELD)
		return 0;
	struct alert_source src = {"/var/log/audit.log", 42};
	struct alert_meta meta = {"cluster", "node"};
	cJSON *rec = alert_record(outcome, g, m, ev, &src, &meta);
	if (!rec)
		return -1;
	cJSON *conn = correlate_connection(fe->corr, ev->root, ts);
	if (conn)
		cJSON_AddItemToObject(rec, "connection", conn);
	char *text = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	if (!text)
		return -1;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct sbuf body;
		sbuf_init(&body, 0);
		format_record(fmts[i], &fo, text, strlen(text), &body);
		sbuf_free(&body);
	}
	cJSON_free(text);
	return 0;
}

static int count_match(void *arg, const struct rule *r, struct rule_match *m, struct event *ev)
{
	++*(uint64_t *)arg;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_engine fe;
	static bool ready;
	struct decode_error err;

	if (!ready) {
		struct reqtrack *rt;
		struct reqtrack_opts ro = {.retention_us = 120 * 1000000LL};
		engine_init(&fe.eng, fuzz_rules(), NULL);
		fe.eng.prefilter = false;
		engine_init(&fe.eng_pf, fuzz_rules(), NULL);
		if (reqtrack_new(&rt, &ro) || correlate_new(&fe.corr, NULL, rt))
			abort();
		/* one request the uprobe saw, so that a line can take the "exact" join */
		struct http_event hev = {.method_len = 3, .addr_len = 17, .uri_len = 4};
		strcpy(hev.method, "GET");
		strcpy(hev.remote_addr, "203.0.113.7:40000");
		strcpy(hev.uri, "/api");
		correlate_request(fe.corr, &hev, 1715677200000000LL);
		ready = true;
	}
	if (dedup_init(&fe.dd, 64))
		abort();
	/* the reader hands the engine a line without its newline, not NUL-terminated: copy it
	 * into a buffer of exactly its size so that a read past the end is caught */
	char *line = malloc(size ? size : 1);
	memcpy(line, data, size);
	uint64_t before = fe.eng.st.matches, pf_matches = 0;
	int rc = engine_line(&fe.eng, line, size, &err, on_match, &fe);
	uint64_t matches = fe.eng.st.matches - before;
	uint64_t skipped = fe.eng_pf.st.prefiltered;
	int rc_pf = engine_line(&fe.eng_pf, line, size, &err, count_match, &pf_matches);
	skipped = fe.eng_pf.st.prefiltered - skipped;
	/* only when both passes ran to the end (out of memory stops one early) */
	if (rc >= 0 && rc_pf >= 0 && (pf_matches != matches || (skipped && matches))) {
		fprintf(stderr, "fuzz_engine: prefilter unsound: %llu matches without it, %llu "
				"with it (line %s)\n",
			(unsigned long long)matches, (unsigned long long)pf_matches,
			skipped ? "skipped" : "evaluated");
		abort();
	}
	free(line);
	dedup_free(&fe.dd);
	return 0;
}
