/* config: the daemon's YAML configuration: every key read, defaults filled in, every mistake
 * an error that names the file, the line and the key, and the effective values printed. */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

#define MINIMAL_IO                                                                          \
	"inputs:\n"                                                                         \
	"  - path: /var/log/audit.log\n"                                                    \
	"outputs:\n"                                                                        \
	"  - type: stdout\n"

static const char full_yaml[] = "cluster: prod-eu-1\n"
				"node: cp-1\n"
				"state_dir: /var/lib/kaa-test\n"
				"rules:\n"
				"  - /etc/kaa/rules\n"
				"  - /etc/kaa/rules.d\n"
				"inputs:\n"
				"  - path: /var/log/kubernetes/audit/audit.log\n"
				"    log_type: Custom.Audit\n"
				"    start_at: beginning\n"
				"  - path: /var/log/other/*.log\n"
				"    start_at: end\n"
				"outputs:\n"
				"  - type: file\n"
				"    path: /var/log/kaa/alerts.jsonl\n"
				"    format: json\n"
				"  - type: stdout\n"
				"correlation:\n"
				"  mode: auto\n"
				"max_line_bytes: 2048\n"
				"summary_interval_seconds: 30\n"
				"prefilter: false\n";

/* Load yaml from a temporary file (its name to path); returns config_load's result. */
static int load(const char *yaml, struct config **c, char *path, size_t pathsz, char *err,
		size_t errsz)
{
	unit_write_temp(path, pathsz, yaml);
	err[0] = '\0';
	int rc = config_load(c, path, err, errsz);
	unlink(path);
	return rc;
}

/* yaml must be refused with exactly "FILE:line: message". */
static void assert_config_error(const char *yaml, int line, const char *message)
{
	struct config *c = (struct config *)1;
	char path[64], err[512], want[640];

	int rc = load(yaml, &c, path, sizeof(path), err, sizeof(err));
	if (rc == 0) {
		config_free(c);
		fail_msg("loaded; expected \"%d: %s\"", line, message);
	}
	assert_int_equal(rc, -EINVAL);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, message);
	assert_string_equal(err, want);
}

/* Set or unset NODE_NAME for one test, then put back what was there. */
struct env_saved {
	char *value;
};

static struct env_saved node_name_set(const char *value)
{
	struct env_saved s = {NULL};
	const char *old = getenv("NODE_NAME");
	if (old) {
		s.value = strdup(old);
		assert_non_null(s.value);
	}
	if (value)
		assert_int_equal(setenv("NODE_NAME", value, 1), 0);
	else
		assert_int_equal(unsetenv("NODE_NAME"), 0);
	return s;
}

static void node_name_restore(struct env_saved *s)
{
	if (s->value)
		setenv("NODE_NAME", s->value, 1);
	else
		unsetenv("NODE_NAME");
	free(s->value);
	s->value = NULL;
}

static void test_config_full_file_sets_every_value(void **state)
{
	struct config *c;
	char path[64], err[512];

	assert_int_equal(load(full_yaml, &c, path, sizeof(path), err, sizeof(err)), 0);
	assert_string_equal(c->file, path);
	assert_string_equal(c->cluster, "prod-eu-1");
	assert_string_equal(c->node, "cp-1");
	assert_string_equal(c->state_dir, "/var/lib/kaa-test");
	assert_int_equal(c->nrules, 2);
	assert_string_equal(c->rules[0], "/etc/kaa/rules");
	assert_string_equal(c->rules[1], "/etc/kaa/rules.d");
	assert_int_equal(c->ninputs, 2);
	assert_string_equal(c->inputs[0].path, "/var/log/kubernetes/audit/audit.log");
	assert_string_equal(c->inputs[0].log_type, "Custom.Audit");
	assert_int_equal(c->inputs[0].start_at, START_BEGINNING);
	assert_string_equal(c->inputs[1].path, "/var/log/other/*.log");
	assert_string_equal(c->inputs[1].log_type, "Kubernetes.Audit");
	assert_int_equal(c->inputs[1].start_at, START_END);
	assert_int_equal(c->noutputs, 2);
	assert_int_equal(c->outputs[0].type, OUTPUT_FILE);
	assert_string_equal(c->outputs[0].path, "/var/log/kaa/alerts.jsonl");
	assert_string_equal(c->outputs[0].format, "json");
	assert_int_equal(c->outputs[1].type, OUTPUT_STDOUT);
	assert_null(c->outputs[1].path);
	assert_string_equal(c->outputs[1].format, "json");
	assert_int_equal(c->correlation, CORR_AUTO);
	assert_int_equal(c->max_line_bytes, 2048);
	assert_int_equal(c->summary_interval_s, 30);
	assert_false(c->prefilter);
	config_free(c);
}

static void test_config_defaults_fill_what_is_not_given(void **state)
{
	struct env_saved env = node_name_set("node-from-env");
	struct config *c;
	char path[64], err[512];

	int rc = load(MINIMAL_IO, &c, path, sizeof(path), err, sizeof(err));
	node_name_restore(&env);
	assert_int_equal(rc, 0);
	assert_null(c->cluster);
	assert_string_equal(c->node, "node-from-env");
	assert_string_equal(c->state_dir, "/var/lib/kube-audit-agent");
	assert_int_equal(c->nrules, 2);
	assert_string_equal(c->rules[0], "/usr/share/kube-audit-agent/rules");
	assert_string_equal(c->rules[1], "/etc/kube-audit-agent/rules.d");
	assert_int_equal(c->inputs[0].start_at, START_END);
	assert_string_equal(c->inputs[0].log_type, "Kubernetes.Audit");
	assert_string_equal(c->outputs[0].format, "json");
	assert_int_equal(c->correlation, CORR_OFF);
	assert_int_equal(c->max_line_bytes, 16u << 20);
	assert_int_equal(c->summary_interval_s, 60);
	assert_true(c->prefilter);
	config_free(c);
}

static void test_config_node_defaults_to_the_host_name_without_node_name(void **state)
{
	char host[HOST_NAME_MAX + 1] = "";
	struct config *c;
	char path[64], err[512];

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	struct env_saved env = node_name_set(NULL);
	int rc = load(MINIMAL_IO, &c, path, sizeof(path), err, sizeof(err));
	node_name_restore(&env);
	assert_int_equal(rc, 0);
	assert_string_equal(c->node, host);
	config_free(c);

	env = node_name_set("");
	rc = load(MINIMAL_IO, &c, path, sizeof(path), err, sizeof(err));
	node_name_restore(&env);
	assert_int_equal(rc, 0);
	assert_string_equal(c->node, host);
	config_free(c);
}

static void test_config_node_in_the_file_wins_over_node_name(void **state)
{
	struct env_saved env = node_name_set("node-from-env");
	struct config *c;
	char path[64], err[512];

	int rc = load("node: cp-7\n" MINIMAL_IO, &c, path, sizeof(path), err, sizeof(err));
	node_name_restore(&env);
	assert_int_equal(rc, 0);
	assert_string_equal(c->node, "cp-7");
	config_free(c);
}

static void test_config_unknown_top_level_key_is_an_error(void **state)
{
	assert_config_error(MINIMAL_IO "stat_dir: /x\n", 5,
			    "unknown key 'stat_dir' in the configuration");
}

static void test_config_unknown_key_in_an_input_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "    stat_at: end\n"
			    "outputs:\n"
			    "  - type: stdout\n",
			    3, "unknown key 'stat_at' in an input");
}

static void test_config_unknown_key_in_an_output_is_an_error(void **state)
{
	assert_config_error(MINIMAL_IO "    colour: red\n", 5, "unknown key 'colour' in an output");
}

static void test_config_unknown_key_in_correlation_is_an_error(void **state)
{
	assert_config_error(MINIMAL_IO "correlation:\n"
				       "  mode: off\n"
				       "  level: 3\n",
			    7, "unknown key 'level' in correlation");
}

static void test_config_duplicate_key_is_an_error(void **state)
{
	assert_config_error(MINIMAL_IO "inputs:\n"
				       "  - path: /var/log/other.log\n",
			    5, "duplicate key 'inputs' in the configuration");
}

static void test_config_duplicate_key_in_an_input_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "    path: /var/log/other.log\n"
			    "outputs:\n"
			    "  - type: stdout\n",
			    3, "duplicate key 'path' in an input");
}

static void test_config_start_at_must_be_end_or_beginning(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "    start_at: sideways\n"
			    "outputs:\n"
			    "  - type: stdout\n",
			    3, "'inputs[].start_at' must be one of: end, beginning");
}

static void test_config_max_line_bytes_must_be_a_number(void **state)
{
	assert_config_error(MINIMAL_IO "max_line_bytes: lots\n", 5,
			    "max_line_bytes must be a number from 1024 to 1073741824");
	assert_config_error(MINIMAL_IO "max_line_bytes: \"4096\"\n", 5,
			    "max_line_bytes must be a number from 1024 to 1073741824");
}

static void test_config_max_line_bytes_out_of_range_is_an_error(void **state)
{
	struct config *c;
	char path[64], err[512];

	assert_config_error(MINIMAL_IO "max_line_bytes: 1023\n", 5,
			    "max_line_bytes must be a number from 1024 to 1073741824");
	assert_config_error(MINIMAL_IO "max_line_bytes: 1073741825\n", 5,
			    "max_line_bytes must be a number from 1024 to 1073741824");
	assert_int_equal(load(MINIMAL_IO "max_line_bytes: 1024\n", &c, path, sizeof(path), err,
			      sizeof(err)),
			 0);
	assert_int_equal(c->max_line_bytes, 1024);
	config_free(c);
}

static void test_config_summary_interval_out_of_range_is_an_error(void **state)
{
	assert_config_error(MINIMAL_IO "summary_interval_seconds: 0\n", 5,
			    "summary_interval_seconds must be from 1 to 86400");
	assert_config_error(MINIMAL_IO "summary_interval_seconds: 86401\n", 5,
			    "summary_interval_seconds must be from 1 to 86400");
}

static void test_config_prefilter_must_be_a_boolean(void **state)
{
	assert_config_error(MINIMAL_IO "prefilter: sometimes\n", 5,
			    "'prefilter' must be true or false");
}

static void test_config_correlation_mode_must_be_known(void **state)
{
	assert_config_error(MINIMAL_IO "correlation:\n"
				       "  mode: sometimes\n",
			    6, "'correlation.mode' must be one of: off, auto, on, required");
}

static void test_config_correlation_process_and_history(void **state)
{
	struct config *c;
	char path[64], err[512];

	assert_config_error(MINIMAL_IO "correlation:\n"
				       "  apiserver_process: bin/kube-apiserver\n",
			    6, "correlation.apiserver_process must be a command name or an absolute path");
	assert_config_error(MINIMAL_IO "correlation:\n"
				       "  apiserver_process: \"\"\n",
			    6, "correlation.apiserver_process must be a command name or an absolute path");
	assert_config_error(MINIMAL_IO "correlation:\n"
				       "  history_seconds: 5\n",
			    6, "'correlation.history_seconds' must be a whole number from 10 to 3600");
	assert_int_equal(load(MINIMAL_IO "correlation:\n"
					 "  apiserver_process: /usr/local/bin/kube-apiserver\n"
					 "  history_seconds: 300\n",
			      &c, path, sizeof(path), err, sizeof(err)),
			 0);
	assert_string_equal(c->apiserver_process, "/usr/local/bin/kube-apiserver");
	assert_int_equal(c->history_s, 300);
	config_free(c);
}

static void test_config_metrics_and_log(void **state)
{
	struct config *c;
	char path[64], err[512];

	assert_config_error(MINIMAL_IO "metrics:\n"
				       "  listen: 9464\n",
			    6, "metrics.listen must be HOST:PORT ('127.0.0.1:9464', '[::1]:9464') "
			       "or \"\" for no endpoint");
	assert_config_error(MINIMAL_IO "metrics:\n"
				       "  port: 9464\n",
			    6, "unknown key 'port' in metrics");
	assert_config_error(MINIMAL_IO "log:\n"
				       "  format: xml\n",
			    6, "'log.format' must be one of: text, json");
	assert_config_error(MINIMAL_IO "log:\n"
				       "  level: verbose\n",
			    6, "'log.level' must be one of: error, warn, info, debug");
	assert_int_equal(load(MINIMAL_IO "metrics:\n"
					 "  listen: \"\"\n"
					 "  unready_after_seconds: 5\n"
					 "log:\n"
					 "  format: json\n"
					 "  level: debug\n",
			      &c, path, sizeof(path), err, sizeof(err)),
			 0);
	assert_string_equal(c->metrics_listen, "");
	assert_int_equal(c->unready_after_s, 5);
	assert_true(c->log_json);
	assert_int_equal(c->log_level, 3);
	config_free(c);
}

static void test_config_list_where_a_string_is_expected_is_an_error(void **state)
{
	assert_config_error("cluster: [a, b]\n" MINIMAL_IO, 1, "'cluster' must be a string");
	assert_config_error("node:\n" MINIMAL_IO, 1, "'node' must be a string");
}

/* YAML's null is not the cluster name "null": the user meant "no cluster". */
static void test_config_null_where_a_string_is_expected_is_an_error(void **state)
{
	assert_config_error("cluster: null\n" MINIMAL_IO, 1, "'cluster' must be a string");
	assert_config_error("cluster: ~\n" MINIMAL_IO, 1, "'cluster' must be a string");
}

static void test_config_relative_input_path_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: var/log/audit.log\n"
			    "outputs:\n"
			    "  - type: stdout\n",
			    2, "inputs[].path must be absolute: 'var/log/audit.log'");
}

static void test_config_input_without_path_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - log_type: Kubernetes.Audit\n"
			    "outputs:\n"
			    "  - type: stdout\n",
			    2, "an input needs 'path'");
}

static void test_config_relative_state_dir_is_an_error(void **state)
{
	assert_config_error("state_dir: state\n" MINIMAL_IO, 1, "state_dir must be absolute");
}

static void test_config_file_output_without_path_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "outputs:\n"
			    "  - type: file\n",
			    4, "an output of type file needs 'path'");
}

static void test_config_stdout_output_with_path_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "outputs:\n"
			    "  - type: stdout\n"
			    "    path: /var/log/alerts.jsonl\n",
			    4, "an output of type stdout takes no 'path'");
}

static void test_config_output_without_type_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "outputs:\n"
			    "  - path: /var/log/alerts.jsonl\n",
			    4, "an output needs 'type'");
}

static void test_config_output_type_must_be_known(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n"
			    "outputs:\n"
			    "  - type: kafka\n",
			    4, "'outputs[].type' must be one of: stdout, file, https");
}

static void test_config_output_format_other_than_json_is_an_error(void **state)
{
	assert_config_error(MINIMAL_IO "    format: text\n", 5,
			    "outputs[].format must be json for type stdout");
}

static void test_config_missing_inputs_is_an_error(void **state)
{
	assert_config_error("outputs:\n"
			    "  - type: stdout\n",
			    1, "the configuration needs 'inputs'");
}

static void test_config_missing_outputs_is_an_error(void **state)
{
	assert_config_error("inputs:\n"
			    "  - path: /var/log/audit.log\n",
			    1, "the configuration needs 'outputs'");
}

static void test_config_empty_inputs_list_is_an_error(void **state)
{
	assert_config_error("inputs: []\n"
			    "outputs:\n"
			    "  - type: stdout\n",
			    1, "inputs must be a non-empty list");
}

static void test_config_root_that_is_not_a_mapping_is_an_error(void **state)
{
	assert_config_error("- inputs\n", 1, "the configuration must be a mapping");
}

static void test_config_missing_file_names_the_file(void **state)
{
	struct config *c = (struct config *)1;
	char err[512];

	assert_int_equal(config_load(&c, "/nonexistent/kaa.yaml", err, sizeof(err)), -ENOENT);
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent/kaa.yaml"));
}

static void test_config_print_writes_every_effective_value(void **state)
{
	struct config *c;
	char path[64], err[512], want[2048];
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(load(full_yaml, &c, path, sizeof(path), err, sizeof(err)), 0);
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print(c, f);
	fclose(f);
	snprintf(want, sizeof(want),
		 "# effective configuration of %s\n"
		 "cluster: \"prod-eu-1\"\n"
		 "node: \"cp-1\"\n"
		 "state_dir: \"/var/lib/kaa-test\"\n"
		 "max_line_bytes: 2048\n"
		 "summary_interval_seconds: 30\n"
		 "prefilter: false\n"
		 "rules:\n"
		 "  - \"/etc/kaa/rules\"\n"
		 "  - \"/etc/kaa/rules.d\"\n"
		 "inputs:\n"
		 "  - path: \"/var/log/kubernetes/audit/audit.log\"\n"
		 "    log_type: \"Custom.Audit\"\n"
		 "    start_at: beginning\n"
		 "  - path: \"/var/log/other/*.log\"\n"
		 "    log_type: \"Kubernetes.Audit\"\n"
		 "    start_at: end\n"
		 "outputs:\n"
		 "  - type: file\n"
		 "    name: \"file-0\"\n"
		 "    path: \"/var/log/kaa/alerts.jsonl\"\n"
		 "    format: json\n"
		 "  - type: stdout\n"
		 "    name: \"stdout-1\"\n"
		 "    format: json\n"
		 "correlation:\n"
		 "  mode: auto\n"
		 "  apiserver_ports: [6443]\n"
		 "  apiserver_process: kube-apiserver\n"
		 "  history_seconds: 120\n"
		 "metrics:\n"
		 "  listen: \"127.0.0.1:9464\"\n"
		 "  unready_after_seconds: 300\n"
		 "log:\n"
		 "  format: text\n"
		 "  level: info\n",
		 path);
	assert_string_equal(text, want);
	free(text);
	config_free(c);
}

static void test_config_print_shows_the_defaults(void **state)
{
	struct env_saved env = node_name_set("node-from-env");
	struct config *c;
	char path[64], err[512];
	char *text = NULL;
	size_t len = 0;

	int rc = load(MINIMAL_IO, &c, path, sizeof(path), err, sizeof(err));
	node_name_restore(&env);
	assert_int_equal(rc, 0);
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print(c, f);
	fclose(f);
	assert_null(strstr(text, "cluster:"));
	assert_non_null(strstr(text, "node: \"node-from-env\"\n"));
	assert_non_null(strstr(text, "state_dir: \"/var/lib/kube-audit-agent\"\n"));
	assert_non_null(strstr(text, "max_line_bytes: 16777216\n"));
	assert_non_null(strstr(text, "summary_interval_seconds: 60\n"));
	assert_non_null(strstr(text, "prefilter: true\n"));
	assert_non_null(strstr(text, "rules:\n  - \"/usr/share/kube-audit-agent/rules\"\n"
				     "  - \"/etc/kube-audit-agent/rules.d\"\n"));
	assert_non_null(strstr(text, "  - path: \"/var/log/audit.log\"\n"
				     "    log_type: \"Kubernetes.Audit\"\n"
				     "    start_at: end\n"));
	assert_non_null(
		strstr(text, "outputs:\n  - type: stdout\n    name: \"stdout-0\"\n    format: json\n"));
	assert_non_null(strstr(text, "correlation:\n  mode: off\n"));
	free(text);
	config_free(c);
}

static void test_config_print_output_loads_back_to_the_same_values(void **state)
{
	struct config *a, *b;
	char path[64], path2[64], err[512];
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(load("cluster: \"quote\\\"d \\\\ name\"\n" MINIMAL_IO, &a, path,
			      sizeof(path), err, sizeof(err)),
			 0);
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print(a, f);
	fclose(f);
	assert_int_equal(load(text, &b, path2, sizeof(path2), err, sizeof(err)), 0);
	assert_string_equal(b->cluster, "quote\"d \\ name");
	assert_string_equal(b->cluster, a->cluster);
	assert_string_equal(b->node, a->node);
	assert_string_equal(b->state_dir, a->state_dir);
	assert_int_equal(b->nrules, a->nrules);
	assert_string_equal(b->rules[1], a->rules[1]);
	assert_string_equal(b->inputs[0].path, a->inputs[0].path);
	assert_int_equal(b->inputs[0].start_at, a->inputs[0].start_at);
	assert_int_equal(b->outputs[0].type, a->outputs[0].type);
	assert_int_equal(b->max_line_bytes, a->max_line_bytes);
	assert_int_equal(b->correlation, a->correlation);
	free(text);
	config_free(a);
	config_free(b);
}

/* found by fuzzing: the header's value was allocated, then the error left it unowned */
static void test_config_header_value_with_a_line_break_is_refused_without_a_leak(void **state)
{
	assert_config_error("inputs:\n  - path: /var/log/a.log\noutputs:\n  - type: https\n"
			    "    url: https://x.example\n    headers: {X-A: \"a\\r\\nb\"}\n",
			    6, "header 'X-A' has a line break in its value");
}

static void test_config_header_given_twice_is_refused(void **state)
{
	assert_config_error("inputs:\n  - path: /var/log/a.log\noutputs:\n  - type: https\n"
			    "    url: https://x.example\n    headers: {X-A: a, X-A: b}\n",
			    6, "header 'X-A' is given twice");
}

static void test_config_correlation_that_is_not_a_mapping_is_refused(void **state)
{
	assert_config_error(MINIMAL_IO "correlation: [mode, off]\n", 5,
			    "correlation must be a mapping");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_full_file_sets_every_value),
		cmocka_unit_test(test_config_defaults_fill_what_is_not_given),
		cmocka_unit_test(test_config_node_defaults_to_the_host_name_without_node_name),
		cmocka_unit_test(test_config_node_in_the_file_wins_over_node_name),
		cmocka_unit_test(test_config_unknown_top_level_key_is_an_error),
		cmocka_unit_test(test_config_unknown_key_in_an_input_is_an_error),
		cmocka_unit_test(test_config_unknown_key_in_an_output_is_an_error),
		cmocka_unit_test(test_config_unknown_key_in_correlation_is_an_error),
		cmocka_unit_test(test_config_duplicate_key_is_an_error),
		cmocka_unit_test(test_config_duplicate_key_in_an_input_is_an_error),
		cmocka_unit_test(test_config_header_value_with_a_line_break_is_refused_without_a_leak),
		cmocka_unit_test(test_config_header_given_twice_is_refused),
		cmocka_unit_test(test_config_correlation_that_is_not_a_mapping_is_refused),
		cmocka_unit_test(test_config_start_at_must_be_end_or_beginning),
		cmocka_unit_test(test_config_max_line_bytes_must_be_a_number),
		cmocka_unit_test(test_config_max_line_bytes_out_of_range_is_an_error),
		cmocka_unit_test(test_config_summary_interval_out_of_range_is_an_error),
		cmocka_unit_test(test_config_prefilter_must_be_a_boolean),
		cmocka_unit_test(test_config_correlation_mode_must_be_known),
		cmocka_unit_test(test_config_correlation_process_and_history),
		cmocka_unit_test(test_config_metrics_and_log),
		cmocka_unit_test(test_config_list_where_a_string_is_expected_is_an_error),
		cmocka_unit_test(test_config_null_where_a_string_is_expected_is_an_error),
		cmocka_unit_test(test_config_relative_input_path_is_an_error),
		cmocka_unit_test(test_config_input_without_path_is_an_error),
		cmocka_unit_test(test_config_relative_state_dir_is_an_error),
		cmocka_unit_test(test_config_file_output_without_path_is_an_error),
		cmocka_unit_test(test_config_stdout_output_with_path_is_an_error),
		cmocka_unit_test(test_config_output_without_type_is_an_error),
		cmocka_unit_test(test_config_output_type_must_be_known),
		cmocka_unit_test(test_config_output_format_other_than_json_is_an_error),
		cmocka_unit_test(test_config_missing_inputs_is_an_error),
		cmocka_unit_test(test_config_missing_outputs_is_an_error),
		cmocka_unit_test(test_config_empty_inputs_list_is_an_error),
		cmocka_unit_test(test_config_root_that_is_not_a_mapping_is_an_error),
		cmocka_unit_test(test_config_missing_file_names_the_file),
		cmocka_unit_test(test_config_print_writes_every_effective_value),
		cmocka_unit_test(test_config_print_shows_the_defaults),
		cmocka_unit_test(test_config_print_output_loads_back_to_the_same_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
