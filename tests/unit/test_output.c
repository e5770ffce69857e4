/* output: records queued for every output and written by outputs_flush, one JSON object per
 * line; a write that fails keeps what was not written and the next flush writes it exactly
 * once, so nothing is lost or repeated. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

#define MAX_OUTPUTS 3

struct fixture {
	char dir[64];
	char path[MAX_OUTPUTS][128];
	struct output_config oc[MAX_OUTPUTS];
	struct config cfg;
	struct outputs out;
	bool open;
	int spare_fd[MAX_OUTPUTS]; /* an output's own fd while the test swaps in another */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	unit_temp_dir(fx->dir, sizeof(fx->dir));
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		char name[sizeof(fx->path[i])];
		snprintf(name, sizeof(name), "%s/alerts-%d.jsonl", fx->dir, i);
		memcpy(fx->path[i], name, sizeof(name));
		fx->oc[i] = (struct output_config){
			.type = OUTPUT_FILE, .name = "file", .path = fx->path[i], .format = "json"};
		fx->spare_fd[i] = -1;
	}
	fx->cfg.outputs = fx->oc;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		if (fx->spare_fd[i] < 0)
			continue;
		/* put the output's own fd back so outputs_close closes it; close the stand-in */
		close(fx->out.v[i].fd);
		fx->out.v[i].fd = fx->spare_fd[i];
	}
	if (fx->open)
		outputs_close(&fx->out);
	unit_remove_tree(fx->dir);
	free(fx);
	return 0;
}

/* Open n file outputs. */
static void open_files(struct fixture *fx, size_t n)
{
	char err[512] = "";
	fx->cfg.noutputs = n;
	assert_int_equal(outputs_open(&fx->out, &fx->cfg, err, sizeof(err)), 0);
	fx->open = true;
	assert_int_equal(fx->out.n, n);
}

/* Make output i write to /dev/full (ENOSPC) until heal() is called. */
static void break_output(struct fixture *fx, size_t i)
{
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(full >= 0);
	fx->spare_fd[i] = fx->out.v[i].fd;
	fx->out.v[i].fd = full;
}

static void heal(struct fixture *fx, size_t i)
{
	close(fx->out.v[i].fd);
	fx->out.v[i].fd = fx->spare_fd[i];
	fx->spare_fd[i] = -1;
}

static void queue(struct fixture *fx, const char *rec)
{
	assert_int_equal(outputs_queue(&fx->out, rec, strlen(rec)), 0);
}

static void assert_file(const char *path, const char *want)
{
	char *got = unit_read_file(path, NULL);
	bool same = strcmp(got, want) == 0;
	if (!same)
		print_error("%s holds:\n%s\n", path, got);
	free(got);
	assert_true(same);
}

/* A crash mid-write leaves a record without its newline: it is cut off at open, so the
 * record written again starts on a line of its own. */
static void test_output_record_torn_by_a_crash_is_cut_off_at_open(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path[0], "{\"n\":0}\n{\"n\":1,\"tor");
	open_files(fx, 1);
	assert_file(fx->path[0], "{\"n\":0}\n");
	queue(fx, "{\"n\":1}");
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{\"n\":0}\n{\"n\":1}\n");
}

static void test_output_whole_records_are_kept_at_open(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path[0], "{\"n\":0}\n{\"n\":1}\n");
	open_files(fx, 1);
	assert_file(fx->path[0], "{\"n\":0}\n{\"n\":1}\n");
}

static void test_output_flush_writes_one_json_line_per_record(void **state)
{
	struct fixture *fx = *state;
	const char a[] = "{\"type\":\"alert\",\"n\":1}", b[] = "{\"type\":\"update\",\"n\":2}";
	const size_t total = sizeof(a) + sizeof(b); /* each with its newline */

	open_files(fx, 1);
	queue(fx, a);
	queue(fx, b);
	assert_int_equal(outputs_pending(&fx->out), total);
	assert_file(fx->path[0], "");
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_int_equal(outputs_pending(&fx->out), 0);
	assert_file(fx->path[0], "{\"type\":\"alert\",\"n\":1}\n{\"type\":\"update\",\"n\":2}\n");
	assert_int_equal(fx->out.v[0].records, 2);
	assert_int_equal(fx->out.v[0].bytes, total);

	/* a flush with nothing queued writes nothing */
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{\"type\":\"alert\",\"n\":1}\n{\"type\":\"update\",\"n\":2}\n");
}

static void test_output_every_output_gets_every_record(void **state)
{
	struct fixture *fx = *state;

	open_files(fx, 2);
	queue(fx, "{\"a\":1}");
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{\"a\":1}\n");
	assert_file(fx->path[1], "{\"a\":1}\n");
}

static void test_output_file_is_created_mode_0600(void **state)
{
	struct fixture *fx = *state;
	struct stat sb;

	mode_t old = umask(0);
	fx->cfg.noutputs = 1;
	char err[512] = "";
	int rc = outputs_open(&fx->out, &fx->cfg, err, sizeof(err));
	umask(old);
	assert_int_equal(rc, 0);
	fx->open = true;
	assert_int_equal(stat(fx->path[0], &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
}

static void test_output_file_is_appended_to_not_truncated(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path[0], "{\"earlier\":true}\n");
	open_files(fx, 1);
	queue(fx, "{\"later\":true}");
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{\"earlier\":true}\n{\"later\":true}\n");
}

static void test_output_open_of_an_unwritable_path_fails_with_a_message(void **state)
{
	struct fixture *fx = *state;
	char err[512] = "", want[PATH_MAX + 64];

	snprintf(fx->path[0], sizeof(fx->path[0]), "%s/missing/alerts.jsonl", fx->dir);
	fx->cfg.noutputs = 1;
	assert_int_equal(outputs_open(&fx->out, &fx->cfg, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "output %s: %s", fx->path[0], strerror(ENOENT));
	assert_string_equal(err, want);
	assert_null(fx->out.v);
	assert_int_equal(fx->out.n, 0);
}

static void test_output_failed_write_keeps_the_records_pending(void **state)
{
	struct fixture *fx = *state;

	open_files(fx, 1);
	break_output(fx, 0);
	queue(fx, "{\"n\":1}");
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	assert_int_equal(outputs_pending(&fx->out), 8);
	assert_true(fx->out.v[0].failing);
	queue(fx, "{\"n\":2}");
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	assert_int_equal(outputs_pending(&fx->out), 16);
	heal(fx, 0);
	assert_file(fx->path[0], "");
}

static void test_output_flush_after_a_failure_writes_everything_exactly_once(void **state)
{
	struct fixture *fx = *state;

	open_files(fx, 1);
	queue(fx, "{\"n\":0}");
	assert_int_equal(outputs_flush(&fx->out), 0);
	break_output(fx, 0);
	queue(fx, "{\"n\":1}");
	queue(fx, "{\"n\":2}");
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	queue(fx, "{\"n\":3}");
	heal(fx, 0);
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_false(fx->out.v[0].failing);
	assert_int_equal(outputs_pending(&fx->out), 0);
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
}

static void test_output_stats_count_records_written_and_records_of_failed_flushes(
	void **state)
{
	struct fixture *fx = *state;
	struct output_stats st;

	open_files(fx, 1);
	queue(fx, "{\"n\":0}");
	assert_int_equal(outputs_flush(&fx->out), 0);
	break_output(fx, 0);
	queue(fx, "{\"n\":1}");
	queue(fx, "{\"n\":2}");
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	outputs_stats(&fx->out, 0, &st);
	assert_true(st.failing_since_ms > 0);
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	outputs_stats(&fx->out, 0, &st);
	assert_string_equal(st.name, "file");
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.retry, 4); /* two failed flushes of two records */
	assert_int_equal(st.dead_letter, 0);
	assert_false(st.spooled);
	int64_t since = st.failing_since_ms;
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	outputs_stats(&fx->out, 0, &st);
	assert_int_equal(st.failing_since_ms, since); /* from the first failure in a row */
	heal(fx, 0);
	assert_int_equal(outputs_flush(&fx->out), 0);
	outputs_stats(&fx->out, 0, &st);
	assert_int_equal(st.ok, 3);
	assert_int_equal(st.retry, 6);
	assert_int_equal(st.failing_since_ms, 0);
}

/* A pipe takes 64 KiB and then, non-blocking, refuses the rest: a short write. */
static void test_output_short_write_resumes_where_it_stopped(void **state)
{
	struct fixture *fx = *state;
	const size_t big = 100000;
	char *rec = malloc(big + 1);
	char *got = malloc(2 * big);
	int p[2];

	assert_non_null(rec);
	assert_non_null(got);
	for (size_t i = 0; i < big; i++)
		rec[i] = (char)('a' + i % 26);
	rec[big] = '\0';
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	open_files(fx, 1);
	fx->spare_fd[0] = fx->out.v[0].fd;
	fx->out.v[0].fd = p[1];

	assert_int_equal(outputs_queue(&fx->out, rec, big), 0);
	assert_int_equal(outputs_flush(&fx->out), -EAGAIN);
	size_t first = outputs_pending(&fx->out);
	assert_true(first > 0 && first < big + 1);
	size_t n = 0;
	ssize_t r;
	while ((r = read(p[0], got + n, 2 * big - n)) > 0)
		n += (size_t)r;
	assert_int_equal(n, big + 1 - first);
	assert_int_equal(outputs_flush(&fx->out), 0);
	while ((r = read(p[0], got + n, 2 * big - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	fx->out.v[0].fd = fx->spare_fd[0];
	fx->spare_fd[0] = -1;
	close(p[1]);

	assert_int_equal(n, big + 1);
	assert_memory_equal(got, rec, big);
	assert_int_equal(got[big], '\n');
	free(rec);
	free(got);
}

static void test_output_pending_reports_the_largest_backlog(void **state)
{
	struct fixture *fx = *state;

	open_files(fx, 3);
	assert_int_equal(outputs_pending(&fx->out), 0);
	break_output(fx, 1);
	break_output(fx, 2);
	queue(fx, "{\"n\":1}"); /* 8 bytes */
	assert_int_equal(outputs_pending(&fx->out), 8);
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC); /* pending: 0, 8, 8 */
	heal(fx, 2);
	queue(fx, "{\"n\":22}"); /* 9 bytes; pending: 9, 17, 17 */
	assert_int_equal(outputs_pending(&fx->out), 17);
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC); /* pending: 0, 17, 0 */
	assert_int_equal(outputs_pending(&fx->out), 17);
	queue(fx, "{\"n\":1}"); /* pending: 8, 25, 8 */
	assert_int_equal(outputs_pending(&fx->out), 25);
	heal(fx, 1);
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_int_equal(outputs_pending(&fx->out), 0);
	for (int i = 0; i < 3; i++)
		assert_file(fx->path[i], "{\"n\":1}\n{\"n\":22}\n{\"n\":1}\n");
}

static void test_output_flush_returns_the_first_error_and_still_writes_the_others(void **state)
{
	struct fixture *fx = *state;

	open_files(fx, 2);
	break_output(fx, 0);
	queue(fx, "{\"n\":1}");
	assert_int_equal(outputs_flush(&fx->out), -ENOSPC);
	assert_file(fx->path[1], "{\"n\":1}\n");
	heal(fx, 0);
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{\"n\":1}\n");
	assert_file(fx->path[1], "{\"n\":1}\n");
}

static void test_output_queue_refuses_a_record_past_the_bound(void **state)
{
	struct fixture *fx = *state;
	char *huge = malloc(OUTPUT_MAX_PENDING);

	assert_non_null(huge);
	memset(huge, 'x', OUTPUT_MAX_PENDING);
	open_files(fx, 2);
	queue(fx, "{}");
	int rc = outputs_queue(&fx->out, huge, OUTPUT_MAX_PENDING - 3);
	free(huge);
	assert_int_equal(rc, -ENOMEM);
	/* nothing of it was queued anywhere */
	assert_int_equal(fx->out.v[0].pending.len, 3);
	assert_int_equal(fx->out.v[1].pending.len, 3);
	assert_int_equal(fx->out.v[0].records, 1);
	assert_int_equal(outputs_flush(&fx->out), 0);
	assert_file(fx->path[0], "{}\n");
}

static void test_output_stdout_to_a_pipe_flushes_without_error(void **state)
{
	struct fixture *fx = *state;
	char got[64] = "";
	int p[2];

	fx->oc[0] = (struct output_config){.type = OUTPUT_STDOUT, .name = "stdout", .format = "json"};
	open_files(fx, 1);
	assert_string_equal(fx->out.v[0].name, "stdout");
	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	queue(fx, "{\"to\":\"stdout\"}");
	int rc = outputs_flush(&fx->out);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	ssize_t n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 16);
	assert_string_equal(got, "{\"to\":\"stdout\"}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_output_record_torn_by_a_crash_is_cut_off_at_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_whole_records_are_kept_at_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_flush_writes_one_json_line_per_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_every_output_gets_every_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_file_is_created_mode_0600, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_file_is_appended_to_not_truncated,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_output_open_of_an_unwritable_path_fails_with_a_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_failed_write_keeps_the_records_pending,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_output_flush_after_a_failure_writes_everything_exactly_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_output_stats_count_records_written_and_records_of_failed_flushes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_output_short_write_resumes_where_it_stopped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_pending_reports_the_largest_backlog,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_output_flush_returns_the_first_error_and_still_writes_the_others, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_output_queue_refuses_a_record_past_the_bound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_stdout_to_a_pipe_flushes_without_error,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
