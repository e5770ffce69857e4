/* config: the daemon's YAML configuration (run, check-config): parsed strictly (an unknown
 * key or a wrong type names the key and its line), defaults filled in, printable with secrets
 * redacted. */
#ifndef KAA_CONFIG_H
#define KAA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trust.h"

enum start_at { START_END, START_BEGINNING };
enum output_type { OUTPUT_STDOUT, OUTPUT_FILE, OUTPUT_HTTPS };
enum correlation_mode { CORR_OFF, CORR_AUTO, CORR_ON, CORR_REQUIRED };

struct input_config {
	char *path; /* a file path or a glob */
	char *log_type;
	enum start_at start_at;
};

struct header {
	char *name, *value;
};

struct output_config {
	enum output_type type;
	char *name;   /* for logs, the spool and dead letters: "name:", else TYPE-INDEX */
	char *path;   /* file */
	char *format; /* json; for https also splunk-hec, elastic-bulk, ocsf */
	/* https */
	char *url;
	char *ca_file, *cert_file, *key_file, *token_file;
	struct header *headers;
	size_t nheaders;
	size_t batch_max_events, batch_max_bytes;
	unsigned batch_max_delay_ms;
	unsigned long long spool_max_bytes;
	bool compress;
	bool insecure_skip_verify;
	bool allow_plain_http;
	char *index, *source, *sourcetype;
	unsigned retry_initial_ms, retry_max_ms;
};

struct config {
	char *file;
	char *cluster;
	char *node;
	char *state_dir;
	char **rules;
	size_t nrules;
	size_t max_line_bytes;
	struct input_config *inputs;
	size_t ninputs;
	struct output_config *outputs;
	size_t noutputs;
	enum correlation_mode correlation;
	uint16_t apiserver_ports[8]; /* correlation.apiserver_ports, default [6443] */
	size_t napiserver_ports;
	char *apiserver_process; /* correlation.apiserver_process; NULL: "kube-apiserver" */
	unsigned history_s;	 /* correlation.history_seconds, default 120 */
	char *metrics_listen;	 /* metrics.listen, default "127.0.0.1:9464"; "": no endpoint */
	unsigned unready_after_s; /* metrics.unready_after_seconds: /readyz fails after outputs
				   * failed this long (default 300) */
	bool log_json;		 /* log.format json (default text) */
	int log_level;		 /* log.level as enum log_level (default info) */
	unsigned summary_interval_s;
	bool prefilter; /* skip lines without a literal the rules require (default true) */
};

/* Load and validate path. Returns 0, or -errno/-EINVAL with "file:line: message" in err. */
int config_load(struct config **out, const char *path, char *err, size_t errsz);
/* config_load, the file first checked against trust (trust.h): -EPERM when refused. */
int config_load_trusted(struct config **out, const char *path, const struct trust_policy *trust,
			char *err, size_t errsz);
void config_free(struct config *c);
/* Write the effective configuration as YAML (no secrets). */
void config_print(const struct config *c, FILE *f);

#endif
