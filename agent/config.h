/* config: the daemon's YAML configuration (run, check-config): parsed strictly (an unknown
 * key or a wrong type names the key and its line), defaults filled in, printable with secrets
 * redacted. */
#ifndef KAA_CONFIG_H
#define KAA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum start_at { START_END, START_BEGINNING };
enum output_type { OUTPUT_STDOUT, OUTPUT_FILE };
enum correlation_mode { CORR_OFF, CORR_AUTO, CORR_ON, CORR_REQUIRED };

struct input_config {
	char *path; /* a file path or a glob */
	char *log_type;
	enum start_at start_at;
};

struct output_config {
	enum output_type type;
	char *path; /* file */
	char *format;
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
	unsigned summary_interval_s;
};

/* Load and validate path. Returns 0, or -errno/-EINVAL with "file:line: message" in err. */
int config_load(struct config **out, const char *path, char *err, size_t errsz);
void config_free(struct config *c);
/* Write the effective configuration as YAML (no secrets). */
void config_print(const struct config *c, FILE *f);

#endif
