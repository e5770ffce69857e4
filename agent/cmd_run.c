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
#include "config.h"
#include "correlate.h"
#include "dedup.h"
#include "engine.h"
#include "eventtime.h"
#include "log.h"
#include "output.h"
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
	int sfd, tfd, lockfd;
	bool stopping;
	bool blocked;       /* outputs failing: reading waits */
	bool dirty;         /* read progress not yet checkpointed */
	bool state_failing;
	int64_t clock;      /* latest event time seen, microseconds */
	struct tail_file *cur_file;
	uint64_t cur_offset;
	uint64_t alerts, updates, bad_logged;
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
	int outcome = dedup_record(&d->dd, r, m->dedup, ts, &g, &first, NULL, NULL);
	if (outcome < 0)
		return outcome;
	if (outcome == DEDUP_HELD)
		return 0;
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
	if (outcome == DEDUP_NEW_ALERT)
		d->alerts++;
	else
		d->updates++;
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

static const struct rule *find_rule(void *arg, const char *id)
{
	const struct ruleset *rs = arg;
	for (size_t i = 0; i < rs->nrules; i++)
		if (!strcmp(rs->rules[i]->id, id))
			return rs->rules[i];
	return NULL;
}

/* Outputs durable first, then the checkpoints and dedup windows. */
static int commit(struct daemon *d)
{
	if (outputs_flush(&d->out)) {
		d->blocked = true;
		return -EIO;
	}
	d->blocked = false;
	if (!d->dirty && !d->state_failing)
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
	log_info("summary: lines=%llu bytes=%llu decode_errors=%llu matches=%llu alerts=%llu "
		 "updates=%llu skipped_too_long=%llu rotations=%llu open_alerts=%zu lag_bytes:%s",
		 (unsigned long long)s->lines, (unsigned long long)s->bytes,
		 (unsigned long long)s->decode_errors, (unsigned long long)s->matches,
		 (unsigned long long)d->alerts, (unsigned long long)d->updates,
		 (unsigned long long)d->tail.st.lines_too_long,
		 (unsigned long long)d->tail.st.rotations, d->dd.count, lag[0] ? lag : " none");
	correlate_summary(d->corr);
	if (d->bad_logged > RUN_MAX_LOGGED_BAD)
		log_warn("%llu more bad lines were not logged one by one",
			 (unsigned long long)(d->bad_logged - RUN_MAX_LOGGED_BAD));
	d->bad_logged = 0;
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
	int problems = ruleset_load(&rs, cfg->rules, cfg->nrules, errs);
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
		dedup_restore(&d->dd, saved, find_rule, rs);
		cJSON_Delete(saved);
		ruleset_free(d->rs);
	}
	struct engine_stats keep = d->eng.st;
	d->rs = rs;
	engine_init(&d->eng, rs, NULL);
	d->eng.st = keep;
	size_t enabled = 0;
	for (size_t i = 0; i < rs->nrules; i++)
		enabled += rs->rules[i]->enabled;
	log_info("loaded %zu rules (%zu enabled) and %zu data models from %zu files", rs->nrules,
		 enabled, rs->nmodels, rs->nfiles);
	return 0;
}

static void reload(struct daemon *d)
{
	struct config *nc;
	char err[640];
	log_info("SIGHUP: reloading %s and the rules", d->cfg_path);
	if (config_load(&nc, d->cfg_path, err, sizeof(err))) {
		log_error("reload refused: %s; keeping the running configuration", err);
		return;
	}
	if (load_rules(d, nc)) {
		config_free(nc);
		return;
	}
	outputs_reload_tokens(&d->out);
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
	if (d->blocked || d->state_failing)
		commit(d);
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
		struct curl_waitfd fds[3 + CORRELATE_MAX_FDS] = {
			{.fd = d->sfd, .events = CURL_WAIT_POLLIN},
			{.fd = d->tfd, .events = CURL_WAIT_POLLIN},
			{.fd = d->tail.ifd, .events = CURL_WAIT_POLLIN},
		};
		int cfds[CORRELATE_MAX_FDS];
		unsigned nfds = 3, ncfds = (unsigned)correlate_fds(d->corr, cfds);
		for (unsigned i = 0; i < ncfds; i++)
			fds[nfds++] = (struct curl_waitfd){.fd = cfds[i], .events = CURL_WAIT_POLLIN};
		bool reading = !d->blocked && !outputs_full(&d->out);
		int timeout = more && reading ? 0 : 1000;
		if (out_wait >= 0 && out_wait < timeout)
			timeout = (int)out_wait;
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
		for (unsigned i = 3; i < nfds; i++) {
			if (fds[i].revents)
				correlate_ready(d->corr, fds[i].fd);
		}
		more = false;
		reading = !d->blocked && !outputs_full(&d->out);
		if (reading && !d->stopping) {
			int rc = tail_read(&d->tail, RUN_READ_BUDGET, on_line, d);
			if (rc < 0 && rc != -EIO)
				return rc;
			more = rc == 1 || (rc == 2 && !d->stopping);
			commit(d);
		}
		out_wait = outputs_pump(&d->out);
		if (d->stopping) {
			int rc = commit(d);
			if (rc == -EIO) {
				log_error("stopping with alerts that could not be written; their lines "
					  "were not checkpointed and are read again at the next start");
				return 1;
			}
			return 0;
		}
	}
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
	status = 2;
	if (config_load(&d.cfg, path, err, sizeof(err))) {
		log_error("%s", err);
		return 2;
	}
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
	int restored = dedup_restore(&d.dd, st.dedup, find_rule, d.rs);
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
	const char *path = parse_config_arg(argc, argv, usage_check, &status);
	if (!path)
		return status;
	if (config_load(&cfg, path, err, sizeof(err))) {
		fprintf(stderr, "check-config: %s\n", err);
		return 2;
	}
	struct ruleset *rs;
	int problems = ruleset_load(&rs, cfg->rules, cfg->nrules, stderr);
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
