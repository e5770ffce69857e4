/* run: the daemon. Follows the configured audit logs, evaluates every line, writes alert
 * records to the outputs and, once they are durable, moves the checkpoints past their lines.
 * check-config: validate a configuration and print it as the daemon would use it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "cli.h"
#include "clock.h"
#include "config.h"
#include "correlate.h"
#include "dedup.h"
#include "engine.h"
#include "eventtime.h"
#include "log.h"
#include "metrics.h"
#include "metricsd.h"
#include "output.h"
#include "privdrop.h"
#include "rulestats.h"
#include "state.h"
#include "tail.h"

#define RUN_READ_BUDGET (4u << 20)     /* input bytes between two commits */
#define RUN_SOFT_PENDING (32u << 20)   /* queued alert bytes that pause reading */
#define RUN_MAX_OPEN_ALERTS 65536
#define RUN_MAX_LOGGED_BAD 10          /* bad lines logged in full per summary interval */

struct daemon {
	struct config *cfg;
	const char *cfg_path;
	struct ruleset *rs;
	struct engine eng;
	struct dedup_table dd;
	struct outputs out;
	struct tail tail;
	struct correlate *corr; /* eBPF correlation, or NULL */
	struct metricsd *metrics; /* the metrics.listen endpoint, or NULL */
	struct rulestats rstats;  /* per-rule matches and alerts, for the metrics */
	struct trust_policy trust; /* configuration, rules and state_dir (at start, on SIGHUP) */
	int sfd, tfd, lockfd;
	bool stopping;
	bool blocked;       /* outputs failing: reading waits */
	bool dirty;         /* read progress not yet checkpointed */
	bool state_failing;
	int64_t clock;      /* latest event time seen, microseconds */
	struct tail_file *cur_file;
	uint64_t cur_offset;
	uint64_t alerts, updates, bad_logged;
	uint64_t saved_records; /* alerts + updates when the checkpoint was last written */
	int64_t saved_at;       /* and when (CLOCK_MONOTONIC, microseconds) */
	time_t last_summary;
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int queue_record(struct daemon *d, cJSON *rec)
{
	char *s = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	if (!s)
		return -ENOMEM;
	int rc = outputs_queue(&d->out, s, strlen(s));
	cJSON_free(s);
	return rc;
}

static int on_match(void *arg, const struct rule *r, struct rule_match *m, struct event *ev)
{
	struct daemon *d = arg;
	int64_t ts;
	if (engine_event_time(&d->eng, ev, &ts))
		ts = now_us();
	if (ts > d->clock)
		d->clock = ts;

	struct alert_group *g;
	bool first;
	struct rule_counts *counts = rulestats_get(&d->rstats, r->id);
	if (counts)
		counts->matches++;
	int outcome = dedup_record(&d->dd, r, m->dedup, ts, &g, &first, NULL, NULL);
	if (outcome < 0)
		return outcome;
	if (outcome == DEDUP_HELD)
		return 0;
	if (outcome == DEDUP_NEW_ALERT && rule_match_context(r, ev, m))
		return -ENOMEM;
	struct alert_source src = {d->cur_file->path, d->cur_offset};
	struct alert_meta meta = {d->cfg->cluster, d->cfg->node};
	cJSON *rec = alert_record(outcome, g, m, ev, &src, &meta);
	if (!rec)
		return -ENOMEM;
	if (d->cfg->correlation != CORR_OFF) {
		cJSON *conn = correlate_connection(d->corr, ev->root, ts);
		if (conn)
			cJSON_AddItemToObject(rec, "connection", conn);
	}
	if (outcome == DEDUP_NEW_ALERT) {
		d->alerts++;
		if (counts)
			counts->alerts++;
	} else {
		d->updates++;
	}
	while (d->dd.count > RUN_MAX_OPEN_ALERTS)
		dedup_close_oldest(&d->dd, NULL, NULL);
	return queue_record(d, rec);
}

static int on_line(void *arg, struct tail_file *f, const struct line *ln)
{
	struct daemon *d = arg;
	struct decode_error de;

	d->dirty = true;
	if (ln->too_long)
		return 0; /* counted and logged by tail */
	d->cur_file = f;
	d->cur_offset = ln->offset;
	int rc = engine_line(&d->eng, ln->p, ln->len, &de, on_match, d);
	if (rc < 0)
		return rc;
	if (rc == 1 && d->bad_logged++ < RUN_MAX_LOGGED_BAD)
		log_warn("%s: line at byte %llu skipped: %s (byte %zu of the line)", f->path,
			 (unsigned long long)ln->offset, de.reason, de.offset);
	/* backpressure: a spool at its max_bytes, or too much waiting for a slow disk */
	if (d->stopping || outputs_pending(&d->out) > RUN_SOFT_PENDING || outputs_full(&d->out))
		return 1;
	return 0;
}

/* Outputs durable first, then the checkpoints and dedup windows. The checkpoint is written at
 * once when records went out since the last one (a restart must not write them again), else
 * at most once a second unless forced: after a crash, lines that made no record may be read
 * again, which writes nothing, and a busy log costs no fsync and rename per read. */
static int commit(struct daemon *d, bool force)
{
	if (outputs_flush(&d->out)) {
		d->blocked = true;
		return -EIO;
	}
	d->blocked = false;
	if (!d->dirty && !d->state_failing)
		return 0;
	uint64_t records = d->alerts + d->updates;
	int64_t now = clock_mono_us();
	if (!force && !d->state_failing && records == d->saved_records &&
	    now - d->saved_at < 1000000)
		return 0;
	struct state st = {0};
	char err[512];
	int rc = tail_checkpoint(&d->tail, &st);
	if (!rc && !(st.dedup = dedup_save(&d->dd)))
		rc = -ENOMEM;
	if (!rc)
		rc = state_save(d->cfg->state_dir, &st, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	state_clear(&st);
	if (rc) {
		if (!d->state_failing)
			log_error("cannot write the checkpoint: %s; alerts are delivered, but after "
				  "a restart the lines since the last checkpoint are read again. "
				  "Retrying.",
				  err);
		d->state_failing = true;
		return rc;
	}
	if (d->state_failing)
		log_info("checkpoint written again");
	d->state_failing = false;
	d->dirty = false;
	d->saved_records = records;
	d->saved_at = now;
	return 0;
}

static void lag_line(void *arg, const char *path, uint64_t lag)
{
	char *buf = arg;
	size_t n = strlen(buf);
	if (n < 900)
		snprintf(buf + n, 1024 - n, " %s=%llu", path, (unsigned long long)lag);
}

static void summary(struct daemon *d)
{
	const struct engine_stats *s = &d->eng.st;
	char lag[1024] = "";
	tail_lag(&d->tail, lag_line, lag);
	log_info("summary: lines=%llu bytes=%llu prefiltered=%llu decode_errors=%llu matches=%llu "
		 "alerts=%llu updates=%llu skipped_too_long=%llu rotations=%llu open_alerts=%zu "
		 "lag_bytes:%s",
		 (unsigned long long)s->lines, (unsigned long long)s->bytes,
		 (unsigned long long)s->prefiltered, (unsigned long long)s->decode_errors,
		 (unsigned long long)s->matches,
		 (unsigned long long)d->alerts, (unsigned long long)d->updates,
		 (unsigned long long)d->tail.st.lines_too_long,
		 (unsigned long long)d->tail.st.rotations, d->dd.count, lag[0] ? lag : " none");
	correlate_summary(d->corr);
	if (d->bad_logged > RUN_MAX_LOGGED_BAD)
		log_warn("%llu more bad lines were not logged one by one",
			 (unsigned long long)(d->bad_logged - RUN_MAX_LOGGED_BAD));
	d->bad_logged = 0;
}

/* The /metrics page: each number read where it is counted. */
static int write_metrics(void *arg, struct sbuf *out)
{
	struct daemon *d = arg;
	const struct engine_stats *es = &d->eng.st;
	struct metrics_page p;
	struct correlate_stats cs;
	struct tail_input_stats ts;
	struct output_stats os;
	int64_t now = clock_mono_ms();
	uint64_t bytes = 0;

	correlate_poll(d->corr); /* the requests and lost events up to now */
	correlate_stats(d->corr, &cs);
	metrics_begin(&p, out);

	metrics_family(&p, "kube_audit_agent_lines_read_total", METRIC_COUNTER,
		       "Complete lines read from an input's files (file: the input's path as "
		       "configured; rotated copies count under it), skipped lines included.");
	for (size_t i = 0; i < d->tail.ninputs; i++) {
		tail_input_stats(&d->tail, i, &ts);
		metrics_sample(&p, (struct metric_label[]){{"file", ts.path}}, 1, ts.lines);
		bytes += ts.bytes;
	}
	metrics_family(&p, "kube_audit_agent_bytes_read_total", METRIC_COUNTER,
		       "Bytes of the complete lines read from every input, newlines included.");
	metrics_sample(&p, NULL, 0, bytes);
	metrics_family(&p, "kube_audit_agent_decode_errors_total", METRIC_COUNTER,
		       "Lines that could not be decoded: not JSON, truncated, invalid UTF-8, a NUL "
		       "byte, nested too deep, or not a JSON object.");
	metrics_sample(&p, NULL, 0, es->decode_errors);
	metrics_family(&p, "kube_audit_agent_lines_skipped_total", METRIC_COUNTER,
		       "Lines read but not evaluated, by reason: too_long (longer than "
		       "max_line_bytes), prefiltered (holds no string a rule needs: not decoded), "
		       "decode_error (could not be decoded), no_rules (no enabled rule takes its log "
		       "type).");
	metrics_sample(&p, (struct metric_label[]){{"reason", "too_long"}}, 1,
		       d->tail.st.lines_too_long);
	metrics_sample(&p, (struct metric_label[]){{"reason", "prefiltered"}}, 1, es->prefiltered);
	metrics_sample(&p, (struct metric_label[]){{"reason", "decode_error"}}, 1,
		       es->decode_errors);
	metrics_sample(&p, (struct metric_label[]){{"reason", "no_rules"}}, 1, es->no_rules);
	metrics_family(&p, "kube_audit_agent_rule_matches_total", METRIC_COUNTER,
		       "Events a rule matched.");
	for (size_t i = 0; i < d->rstats.n; i++)
		metrics_sample(&p, (struct metric_label[]){{"rule_id", d->rstats.v[i].rule_id}}, 1,
			       d->rstats.v[i].matches);
	metrics_family(&p, "kube_audit_agent_alerts_total", METRIC_COUNTER,
		       "New alerts a rule opened (alert records; updates of an open alert and "
		       "matches below the rule's threshold are not counted).");
	for (size_t i = 0; i < d->rstats.n; i++)
		metrics_sample(&p, (struct metric_label[]){{"rule_id", d->rstats.v[i].rule_id}}, 1,
			       d->rstats.v[i].alerts);
	metrics_family(&p, "kube_audit_agent_deliveries_total", METRIC_COUNTER,
		       "Alert records per output and result, counted per record: ok (written and "
		       "fsync'd, or taken by the collector), retry (in an attempt that failed and "
		       "is made again; every failed attempt counts its records), dead_letter "
		       "(refused by the collector and moved to the dead-letter file).");
	for (size_t i = 0; i < d->out.n; i++) {
		static const char *const results[] = {"ok", "retry", "dead_letter"};
		outputs_stats(&d->out, i, &os);
		const uint64_t n[] = {os.ok, os.retry, os.dead_letter};
		for (size_t k = 0; k < 3; k++) {
			struct metric_label l[] = {{"output", os.name}, {"result", results[k]}};
			metrics_sample(&p, l, 2, n[k]);
		}
	}
	metrics_family(&p, "kube_audit_agent_spool_bytes", METRIC_GAUGE,
		       "Bytes of alert records in an https output's spool not yet delivered "
		       "(8 bytes of header per record included).");
	for (size_t i = 0; i < d->out.n; i++) {
		outputs_stats(&d->out, i, &os);
		if (os.spooled)
			metrics_sample(&p, (struct metric_label[]){{"output", os.name}}, 1,
				       os.spool_bytes);
	}
	metrics_family(&p, "kube_audit_agent_spool_oldest_seconds", METRIC_GAUGE,
		       "Seconds the oldest record in an https output's spool has waited (whole "
		       "seconds, rounded down; 0 when the spool is empty).");
	for (size_t i = 0; i < d->out.n; i++) {
		outputs_stats(&d->out, i, &os);
		if (!os.spooled)
			continue;
		int64_t age = os.spool_oldest_ms && now > os.spool_oldest_ms
				      ? (now - os.spool_oldest_ms) / 1000
				      : 0;
		metrics_sample(&p, (struct metric_label[]){{"output", os.name}}, 1, (uint64_t)age);
	}
	metrics_family(&p, "kube_audit_agent_tail_lag_bytes", METRIC_GAUGE,
		       "Bytes written to an input's open files and not read yet (file: the input's "
		       "path as configured).");
	for (size_t i = 0; i < d->tail.ninputs; i++) {
		tail_input_stats(&d->tail, i, &ts);
		metrics_sample(&p, (struct metric_label[]){{"file", ts.path}}, 1, ts.lag);
	}
	metrics_family(&p, "kube_audit_agent_correlation_attached", METRIC_GAUGE,
		       "1 when a part of the eBPF correlation is attached, else 0: "
		       "probe=connections (TCP connections to the API server's ports), "
		       "probe=uprobe (the uprobe on the API server process).");
	metrics_sample(&p, (struct metric_label[]){{"probe", "connections"}}, 1, cs.connections);
	metrics_sample(&p, (struct metric_label[]){{"probe", "uprobe"}}, 1, cs.uprobe);
	metrics_family(&p, "kube_audit_agent_bpf_events_lost_total", METRIC_COUNTER,
		       "Events the eBPF programs dropped because their ring buffer was full.");
	metrics_sample(&p, NULL, 0, cs.bpf_events_lost);
	metrics_family(&p, "kube_audit_agent_anonymous_wire_requests_total", METRIC_COUNTER,
		       "Requests the uprobe saw reach the API server with neither an Authorization "
		       "header nor a client certificate.");
	metrics_sample(&p, NULL, 0, cs.anonymous_requests);
	metrics_family(&p, "kube_audit_agent_build_info", METRIC_GAUGE,
		       "The agent's version; always 1.");
	metrics_sample(&p, (struct metric_label[]){{"version", KAA_VERSION}}, 1, 1);
	return metrics_end(&p);
}

/* /readyz: rules loaded, every input followed, no output failing longer than
 * unready_after_seconds. Otherwise false and one line naming what is wrong. */
static bool is_ready(void *arg, char *why, size_t whysz)
{
	struct daemon *d = arg;
	struct tail_input_stats ts;
	struct output_stats os;
	int64_t now = clock_mono_ms();
	size_t enabled = 0;

	for (size_t i = 0; d->rs && i < d->rs->nrules; i++)
		enabled += d->rs->rules[i]->enabled;
	if (!enabled) {
		snprintf(why, whysz, "rules: no rule is enabled");
		return false;
	}
	for (size_t i = 0; i < d->tail.ninputs; i++) {
		tail_input_stats(&d->tail, i, &ts);
		if (!ts.watched) {
			snprintf(why, whysz, "input %s: its directory %s is not watched (missing)",
				 ts.path, ts.dir);
			return false;
		}
		if (ts.unreadable) {
			snprintf(why, whysz, "input %s: cannot read %s: %s", ts.path, ts.unreadable,
				 strerror(ts.unreadable_errno));
			return false;
		}
	}
	for (size_t i = 0; i < d->out.n; i++) {
		outputs_stats(&d->out, i, &os);
		int64_t failing = os.failing_since_ms ? now - os.failing_since_ms : 0;
		if (os.failing_since_ms && failing >= (int64_t)d->cfg->unready_after_s * 1000) {
			snprintf(why, whysz,
				 "output %s: failing for %lld s (unready_after_seconds: %u); see "
				 "the log for why",
				 os.name, (long long)(failing / 1000), d->cfg->unready_after_s);
			return false;
		}
	}
	return true;
}

/* Load rules; on success swap them in and move the dedup windows over. */
static int load_rules(struct daemon *d, const struct config *cfg)
{
	struct ruleset *rs;
	char *msgs = NULL;
	size_t msgsz = 0;
	FILE *errs = open_memstream(&msgs, &msgsz);
	if (!errs)
		return -ENOMEM;
	int problems = ruleset_load_trusted(&rs, cfg->rules, cfg->nrules, &d->trust, errs);
	fclose(errs);
	if (problems) {
		char *save = NULL;
		for (char *l = strtok_r(msgs, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_error("rules: %s", l);
		log_error("rules: %d problem(s) in %s...; %s", problems < 0 ? 1 : problems,
			  cfg->rules[0], d->rs ? "keeping the rules loaded before" : "not starting");
		free(msgs);
		ruleset_free(rs);
		return -EINVAL;
	}
	free(msgs);
	cJSON *saved = d->rs ? dedup_save(&d->dd) : NULL;
	if (d->rs) {
		dedup_free(&d->dd);
		if (dedup_init(&d->dd, 4096)) {
			cJSON_Delete(saved);
			ruleset_free(rs);
			return -ENOMEM;
		}
		dedup_restore(&d->dd, saved, ruleset_rule, rs);
		cJSON_Delete(saved);
		ruleset_free(d->rs);
	}
	struct engine_stats keep = d->eng.st;
	d->rs = rs;
	engine_init(&d->eng, rs, NULL);
	d->eng.st = keep;
	d->eng.prefilter = cfg->prefilter;
	size_t enabled = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		enabled += rs->rules[i]->enabled;
		if (rs->rules[i]->enabled)
			rulestats_get(&d->rstats, rs->rules[i]->id); /* a series from the start */
	}
	log_info("loaded %zu rules (%zu enabled) and %zu data models from %zu files", rs->nrules,
		 enabled, rs->nmodels, rs->nfiles);
	char pf[512] = "off (prefilter: false)";
	if (cfg->prefilter)
		prefilter_describe(rs->pf, d->eng.default_log_type, pf, sizeof(pf));
	log_info("prefilter: %s", pf);
	return 0;
}

static void reload(struct daemon *d)
{
	struct config *nc;
	char err[640];
	log_info("SIGHUP: reloading %s and the rules", d->cfg_path);
	if (config_load_trusted(&nc, d->cfg_path, &d->trust, err, sizeof(err))) {
		log_error("reload refused: %s; keeping the running configuration", err);
		return;
	}
	if (load_rules(d, nc)) {
		config_free(nc);
		return;
	}
	log_set_json(nc->log_json); /* log settings apply at once, from the next line */
	log_set_level((enum log_level)nc->log_level);
	d->cfg->log_json = nc->log_json;
	d->cfg->log_level = nc->log_level;
	outputs_reload_tokens(&d->out);
	d->cfg->unready_after_s = nc->unready_after_s;
	if (strcmp(nc->metrics_listen ? nc->metrics_listen : "",
		   d->cfg->metrics_listen ? d->cfg->metrics_listen : ""))
		log_warn("reload: metrics.listen changes only at a restart");
	/* inputs, outputs, state and line limits belong to open files: they need a restart */
	bool same_io = nc->ninputs == d->cfg->ninputs && nc->noutputs == d->cfg->noutputs &&
		       !strcmp(nc->state_dir, d->cfg->state_dir) &&
		       nc->max_line_bytes == d->cfg->max_line_bytes;
	for (size_t i = 0; same_io && i < nc->ninputs; i++)
		same_io = !strcmp(nc->inputs[i].path, d->cfg->inputs[i].path) &&
			  !strcmp(nc->inputs[i].log_type, d->cfg->inputs[i].log_type);
	for (size_t i = 0; same_io && i < nc->noutputs; i++)
		same_io = nc->outputs[i].type == d->cfg->outputs[i].type &&
			  !!nc->outputs[i].path == !!d->cfg->outputs[i].path &&
			  (!nc->outputs[i].path || !strcmp(nc->outputs[i].path, d->cfg->outputs[i].path));
	if (!same_io) {
		log_warn("reload: inputs, outputs, state_dir and max_line_bytes change only at a "
			 "restart; the rest of the new configuration is applied");
		config_free(nc);
		return;
	}
	/* the tail and outputs point into the old config's inputs and outputs: swap the
	 * settings that can change in place */
	free(d->cfg->cluster);
	free(d->cfg->node);
	d->cfg->cluster = nc->cluster;
	d->cfg->node = nc->node;
	d->cfg->summary_interval_s = nc->summary_interval_s;
	d->cfg->prefilter = nc->prefilter;
	nc->cluster = nc->node = NULL;
	for (size_t i = 0; i < d->cfg->nrules; i++)
		free(d->cfg->rules[i]);
	free(d->cfg->rules);
	d->cfg->rules = nc->rules;
	d->cfg->nrules = nc->nrules;
	nc->rules = NULL;
	nc->nrules = 0;
	config_free(nc);
	log_info("reload done");
}

static int setup_state_dir(struct daemon *d)
{
	const char *dir = d->cfg->state_dir;
	char path[4096];
	/* mkdir -p, private to the agent */
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		log_error("cannot create state_dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	/* whoever could write in it could plant a link where root writes, or rewrite the
	 * checkpoints to make the agent skip lines: as root, it must be root's alone */
	char err[640];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dfd < 0 ? -errno : trust_check_fd(dfd, dir, &d->trust, err, sizeof(err));
	if (dfd >= 0)
		close(dfd);
	if (rc) {
		if (dfd < 0)
			log_error("cannot open state_dir %s: %s", dir, strerror(-rc));
		else
			log_error("state_dir %s", err);
		return rc;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	d->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lockfd < 0) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(d->lockfd, LOCK_EX | LOCK_NB)) {
		log_error("another kube-audit-agent is running with state_dir %s", dir);
		return -EBUSY;
	}
	return 0;
}

static int setup_loop(struct daemon *d)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->sfd < 0 || d->tfd < 0)
		return -errno;
	struct itimerspec its = {{1, 0}, {1, 0}};
	timerfd_settime(d->tfd, 0, &its, NULL);
	/* one wait for everything: curl_multi_poll watches the transfers' sockets and these */
	if (!d->out.multi && !(d->out.multi = curl_multi_init()))
		return -ENOMEM;
	return 0;
}

static void handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
		} else if (!d->stopping) {
			log_info("%s: finishing the line in hand, flushing and checkpointing",
				 strsignal((int)si.ssi_signo));
			d->stopping = true;
		}
	}
}

static void tick(struct daemon *d)
{
	uint64_t expirations;
	if (read(d->tfd, &expirations, sizeof(expirations)) < 0)
		return;
	if (d->tail.rescan)
		tail_retry(&d->tail);
	if (d->blocked || d->state_failing || d->dirty)
		commit(d, true);
	/* windows that ended (by event time) need no memory any more */
	dedup_expire(&d->dd, d->clock, NULL, NULL);
	correlate_tick(d->corr);
	time_t now = time(NULL);
	if (now - d->last_summary >= (time_t)d->cfg->summary_interval_s) {
		summary(d);
		d->last_summary = now;
	}
}

static int loop(struct daemon *d)
{
	bool more = true; /* read at once after start: files may have data already */
	long out_wait = -1;
	for (;;) {
		struct curl_waitfd fds[4 + CORRELATE_MAX_FDS] = {
			{.fd = d->sfd, .events = CURL_WAIT_POLLIN},
			{.fd = d->tfd, .events = CURL_WAIT_POLLIN},
			{.fd = d->tail.ifd, .events = CURL_WAIT_POLLIN},
		};
		int cfds[CORRELATE_MAX_FDS];
		unsigned nfds = 3, ncfds = (unsigned)correlate_fds(d->corr, cfds);
		for (unsigned i = 0; i < ncfds; i++)
			fds[nfds++] = (struct curl_waitfd){.fd = cfds[i], .events = CURL_WAIT_POLLIN};
		/* the metrics endpoint: MHD's epoll fd, and how soon MHD wants to run anyway */
		unsigned mi = nfds;
		long metrics_wait = d->metrics ? metricsd_timeout_ms(d->metrics) : -1;
		if (d->metrics)
			fds[nfds++] = (struct curl_waitfd){.fd = metricsd_fd(d->metrics),
							   .events = CURL_WAIT_POLLIN};
		bool reading = !d->blocked && !outputs_full(&d->out);
		int timeout = more && reading ? 0 : 1000;
		if (out_wait >= 0 && out_wait < timeout)
			timeout = (int)out_wait;
		if (metrics_wait >= 0 && metrics_wait < timeout)
			timeout = (int)metrics_wait;
		CURLMcode mc = curl_multi_poll(d->out.multi, fds, nfds, timeout, NULL);
		if (mc != CURLM_OK) {
			log_error("event loop: %s", curl_multi_strerror(mc));
			return -EIO;
		}
		if (fds[0].revents)
			handle_signals(d);
		if (fds[1].revents)
			tick(d);
		if (fds[2].revents && tail_handle_events(&d->tail) < 0)
			log_error("inotify: %s", strerror(errno));
		for (unsigned i = 3; i < 3 + ncfds; i++) {
			if (fds[i].revents)
				correlate_ready(d->corr, fds[i].fd);
		}
		if (d->metrics && (fds[mi].revents || metrics_wait >= 0))
			metricsd_run(d->metrics);
		more = false;
		reading = !d->blocked && !outputs_full(&d->out);
		if (reading && !d->stopping) {
			int rc = tail_read(&d->tail, RUN_READ_BUDGET, on_line, d);
			if (rc < 0 && rc != -EIO)
				return rc;
			more = rc == 1 || (rc == 2 && !d->stopping);
			commit(d, false);
		}
		out_wait = outputs_pump(&d->out);
		if (d->stopping) {
			int rc = commit(d, true);
			if (rc == -EIO) {
				log_error("stopping with alerts that could not be written; their lines "
					  "were not checkpointed and are read again at the next start");
				return 1;
			}
			return 0;
		}
	}
}

/* metrics.listen: serve /metrics, /healthz and /readyz. A failure to listen is one error line
 * and the agent goes on alerting without the endpoint. */
static void open_metrics(struct daemon *d)
{
	struct metricsd_handlers h = {write_metrics, is_ready, d};
	const char *addr = d->cfg->metrics_listen;
	char err[512];

	if (!addr || !addr[0])
		return;
	if (metricsd_open(&d->metrics, addr, &h, err, sizeof(err))) {
		log_error("metrics: %s; no /metrics, /healthz or /readyz (alerting goes on)", err);
		return;
	}
	log_info("metrics: serving /metrics, /healthz and /readyz on %s (port %u)", addr,
		 (unsigned)metricsd_port(d->metrics));
}

static void usage_run(FILE *f)
{
	fprintf(f, "usage: kube-audit-agent run --config FILE\n"
		   "\n"
		   "Follow the audit logs of FILE's inputs, evaluate every event and write alert\n"
		   "records to its outputs, in the foreground. SIGTERM or SIGINT: finish the line in\n"
		   "hand, flush, checkpoint and exit 0. SIGHUP: reload the configuration and rules\n"
		   "(a broken rule set is refused and the running one kept).\n");
}

static const char *parse_config_arg(int argc, char **argv, void (*usage)(FILE *), int *status)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	const char *path = NULL;
	int c;
	optind = 1;
	*status = -1;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		if (c == 'c') {
			path = optarg;
		} else if (c == 'h') {
			usage(stdout);
			*status = 0;
			return NULL;
		} else {
			usage(stderr);
			*status = 2;
			return NULL;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		*status = 2;
	}
	return path;
}

int cmd_run(int argc, char **argv)
{
	struct daemon d;
	char err[640];
	int status;
	struct state st = {0};

	const char *path = parse_config_arg(argc, argv, usage_run, &status);
	if (!path)
		return status;
	memset(&d, 0, sizeof(d));
	d.sfd = d.tfd = d.lockfd = -1;
	d.tail.ifd = -1;
	d.cfg_path = path;
	d.trust.mode = trust_mode_for_root(TRUST_REFUSE);
	status = 2;
	if (config_load_trusted(&d.cfg, path, &d.trust, err, sizeof(err))) {
		log_error("%s", err);
		return 2;
	}
	log_set_json(d.cfg->log_json); /* before the first line that follows */
	log_set_level((enum log_level)d.cfg->log_level);
	log_info("kube-audit-agent %s starting: node %s, config %s", KAA_VERSION, d.cfg->node,
		 path);
	struct correlate_opts co = {d.cfg->correlation, d.cfg->apiserver_ports,
				    d.cfg->napiserver_ports, d.cfg->apiserver_process,
				    (int64_t)d.cfg->history_s * 1000000};
	if (correlate_open(&d.corr, &co, err, sizeof(err))) {
		log_error("correlation.mode is required but eBPF correlation is unavailable: %s",
			  err);
		goto out;
	}
	if (dedup_init(&d.dd, 4096) || load_rules(&d, d.cfg) || setup_state_dir(&d))
		goto out;
	if (state_load(d.cfg->state_dir, &st, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	int restored = dedup_restore(&d.dd, st.dedup, ruleset_rule, d.rs);
	if (restored > 0)
		log_info("restored %d open dedup windows", restored);
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		log_error("libcurl could not be initialised");
		goto out;
	}
	if (outputs_open(&d.out, d.cfg, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (tail_open(&d.tail, d.cfg, &st, err, sizeof(err))) {
		log_error("%s", err);
		goto out;
	}
	if (setup_loop(&d)) {
		log_error("event loop: %s", strerror(errno));
		goto out;
	}
	open_metrics(&d);
	/* the BPF programs are attached and every file and socket of the start is open (a metrics
	 * port below 1024 included): from here on only the capabilities the run still uses, before
	 * the first line of the audit log is read */
	struct privdrop_needs needs;
	char said[1024];
	correlate_parts(d.corr, &needs.conntrack, &needs.uprobe);
	if (privdrop_apply(&needs, said, sizeof(said)))
		log_error("%s; going on with the capabilities the agent started with", said);
	else
		log_info("%s", said);
	d.last_summary = time(NULL);
	d.dirty = true; /* write the state at once: a crash before the first checkpoint must not
			 * apply start_at: end a second time */
	status = loop(&d);
	if (status < 0) {
		log_error("stopped: %s", strerror(-status));
		status = 1;
	}
	summary(&d);
	log_info("stopped");
out:
	metricsd_free(&d.metrics);
	rulestats_free(&d.rstats);
	state_clear(&st);
	tail_close(&d.tail);
	correlate_free(&d.corr);
	outputs_close(&d.out);
	dedup_free(&d.dd);
	ruleset_free(d.rs);
	config_free(d.cfg);
	curl_global_cleanup();
	if (d.sfd >= 0)
		close(d.sfd);
	if (d.tfd >= 0)
		close(d.tfd);
	if (d.lockfd >= 0)
		close(d.lockfd);
	return status;
}

static void usage_check(FILE *f)
{
	fprintf(f, "usage: kube-audit-agent check-config --config FILE\n"
		   "\n"
		   "Validate FILE and its rules and print the effective configuration (defaults\n"
		   "filled in, secrets redacted). Exit status 0 when valid, 2 otherwise.\n");
}

int cmd_check_config(int argc, char **argv)
{
	struct config *cfg;
	char err[640];
	int status;
	/* as root: say what run would refuse, and check the rest */
	struct trust_policy trust = {trust_mode_for_root(TRUST_WARN), stderr,
				     "check-config: warning: "};
	const char *path = parse_config_arg(argc, argv, usage_check, &status);
	if (!path)
		return status;
	if (config_load_trusted(&cfg, path, &trust, err, sizeof(err))) {
		fprintf(stderr, "check-config: %s\n", err);
		return 2;
	}
	struct ruleset *rs;
	int problems = ruleset_load_trusted(&rs, cfg->rules, cfg->nrules, &trust, stderr);
	config_print(cfg, stdout);
	if (problems == 0)
		printf("# rules: %zu rules and %zu data models loaded from %zu files\n", rs->nrules,
		       rs->nmodels, rs->nfiles);
	else
		fprintf(stderr, "check-config: %d problem(s) in the rules\n",
			problems < 0 ? 1 : problems);
	ruleset_free(rs);
	config_free(cfg);
	return problems ? 2 : 0;
}
