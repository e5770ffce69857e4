/* tail: following audit logs with real files, directories and inotify: where reading starts,
 * appends, lumberjack rotation (rename + create), delete and recreate, copytruncate,
 * checkpoints and resuming from them (also from a file renamed or gzipped while the agent was
 * down), a missing directory, and over-long lines. inotify queues events during the syscall
 * that causes them, so each step is: change the files, tail_handle_events, tail_read. */
#include "unit.h"

#include <sys/time.h>
#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "tail.h"

#define MAX_SEEN 64

struct seen_line {
	char file[64]; /* base name of the file the line came from */
	uint64_t offset;
	size_t len;
	bool too_long;
};

struct fixture {
	char root[64];
	char dir[128];      /* the input's directory: root/logs */
	char path[192];     /* dir/audit.log */
	char pattern[192];  /* the input's path: path, or a glob */
	struct input_config in;
	struct config cfg;
	struct tail t;
	bool open;
	struct state st;    /* checkpoints handed to tail_open / taken by tail_checkpoint */
	char text[4096];    /* the lines read so far, each followed by '|' */
	struct seen_line seen[MAX_SEEN];
	size_t nseen;
	const char *stop_at; /* the callback asks to stop after this line */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	unit_temp_dir(fx->root, sizeof(fx->root));
	snprintf(fx->dir, sizeof(fx->dir), "%s/logs", fx->root);
	snprintf(fx->path, sizeof(fx->path), "%s/audit.log", fx->dir);
	snprintf(fx->pattern, sizeof(fx->pattern), "%s", fx->path);
	if (mkdir(fx->dir, 0755))
		return -1;
	fx->in.path = fx->pattern;
	fx->in.log_type = "Kubernetes.Audit";
	fx->in.start_at = START_BEGINNING;
	fx->cfg.inputs = &fx->in;
	fx->cfg.ninputs = 1;
	fx->cfg.max_line_bytes = 1024;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	if (fx->open)
		tail_close(&fx->t);
	state_clear(&fx->st);
	unit_remove_tree(fx->root);
	free(fx);
	return 0;
}

/* A path in the input's directory. */
static const char *in_dir(struct fixture *fx, const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", fx->dir, name);
	return p;
}

static int on_line(void *arg, struct tail_file *f, const struct line *ln)
{
	struct fixture *fx = arg;
	assert_true(fx->nseen < MAX_SEEN);
	struct seen_line *s = &fx->seen[fx->nseen++];
	const char *base = strrchr(f->path, '/');
	snprintf(s->file, sizeof(s->file), "%s", base ? base + 1 : f->path);
	s->offset = ln->offset;
	s->len = ln->len;
	s->too_long = ln->too_long;
	size_t n = strlen(fx->text);
	if (ln->too_long)
		snprintf(fx->text + n, sizeof(fx->text) - n, "<too long: %zu>|", ln->len);
	else
		snprintf(fx->text + n, sizeof(fx->text) - n, "%.*s|", (int)ln->len, ln->p);
	if (fx->stop_at && !ln->too_long && ln->len == strlen(fx->stop_at) &&
	    !memcmp(ln->p, fx->stop_at, ln->len))
		return 1;
	return 0;
}

static void open_tail(struct fixture *fx)
{
	char err[512] = "";
	int rc = tail_open(&fx->t, &fx->cfg, &fx->st, err, sizeof(err));
	if (rc)
		fail_msg("tail_open: %d %s", rc, err);
	fx->open = true;
}

static void close_tail(struct fixture *fx)
{
	tail_close(&fx->t);
	fx->open = false;
}

/* Handle what inotify reported, then read everything there is. */
static void pump(struct fixture *fx)
{
	int rc;
	assert_int_equal(tail_handle_events(&fx->t), 0);
	while ((rc = tail_read(&fx->t, 1u << 20, on_line, fx)) == 1)
		;
	assert_int_equal(rc, 0);
}

/* The lines read since the last check, as "a|b|" (a macro: a failure names the test's line). */
#define assert_read(fx, want)                                                               \
	do {                                                                                \
		assert_string_equal((fx)->text, want);                                      \
		(fx)->text[0] = '\0';                                                       \
	} while (0)

static void checkpoint(struct fixture *fx)
{
	state_clear(&fx->st);
	assert_int_equal(tail_checkpoint(&fx->t, &fx->st), 0);
}

static void count_file(void *arg, const char *path, uint64_t lag)
{
	(*(size_t *)arg)++;
}

/* How many files the tail follows now (struct tail_input is private to tail.c). */
static size_t files_followed(struct fixture *fx)
{
	size_t n = 0;
	tail_lag(&fx->t, count_file, &n);
	return n;
}

static void test_tail_start_at_beginning_reads_the_lines_already_there(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n22\n333\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|22|333|");
	assert_int_equal(fx->nseen, 3);
	assert_string_equal(fx->seen[0].file, "audit.log");
	assert_int_equal(fx->seen[0].offset, 0);
	assert_int_equal(fx->seen[1].offset, 2);
	assert_int_equal(fx->seen[2].offset, 5);
}

static void test_tail_start_at_end_skips_the_lines_already_there(void **state)
{
	struct fixture *fx = *state;

	fx->in.start_at = START_END;
	unit_append_file(fx->path, "old-1\nold-2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "");
	unit_append_file(fx->path, "new\n");
	pump(fx);
	assert_read(fx, "new|");
	assert_int_equal(fx->seen[0].offset, 12);
}

static void test_tail_start_at_end_starts_at_the_line_being_written(void **state)
{
	struct fixture *fx = *state;

	fx->in.start_at = START_END;
	unit_append_file(fx->path, "old-1\nold-2\npart");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "");
	unit_append_file(fx->path, "ial\nnext\n");
	pump(fx);
	assert_read(fx, "partial|next|");
	assert_int_equal(fx->seen[0].offset, 12);
	assert_int_equal(fx->seen[1].offset, 20);
}

static void test_tail_start_at_end_of_a_file_without_any_newline_reads_it_whole(void **state)
{
	struct fixture *fx = *state;

	fx->in.start_at = START_END;
	unit_append_file(fx->path, "only-a-part");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "");
	unit_append_file(fx->path, "\n");
	pump(fx);
	assert_read(fx, "only-a-part|");
}

static void test_tail_start_at_applies_only_at_the_very_first_start(void **state)
{
	struct fixture *fx = *state;

	/* the agent ran before (a state file exists) and this file is new to it */
	fx->in.start_at = START_END;
	fx->st.initialized = true;
	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
}

static void test_tail_appended_lines_are_read_after_the_events(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	unit_append_file(fx->path, "2\n3\n");
	pump(fx);
	assert_read(fx, "2|3|");
	pump(fx);
	assert_read(fx, "");
}

static void test_tail_partial_line_waits_for_its_newline(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n{\"kind\":");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	unit_append_file(fx->path, "\"Event\"");
	pump(fx);
	assert_read(fx, "");
	unit_append_file(fx->path, "}\n");
	pump(fx);
	assert_read(fx, "{\"kind\":\"Event\"}|");
	assert_int_equal(fx->seen[1].offset, 2);
}

static void test_tail_file_created_after_start_is_read_from_its_start(void **state)
{
	struct fixture *fx = *state;

	fx->in.start_at = START_END;
	open_tail(fx);
	assert_int_equal(files_followed(fx), 0);
	unit_append_file(fx->path, "first\n");
	pump(fx);
	assert_read(fx, "first|");
}

static void test_tail_rotation_rename_then_create_reads_the_old_file_to_its_end_first(
	void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	/* lumberjack: the last lines land in the old file, then rename, then a new file */
	unit_append_file(fx->path, "3\n4\n");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-2024-11-13T18-34-10.595.log")), 0);
	unit_append_file(fx->path, "5\n");
	pump(fx);
	assert_read(fx, "3|4|5|");
	assert_int_equal(fx->seen[2].offset, 4);
	assert_int_equal(fx->seen[3].offset, 6);
	assert_string_equal(fx->seen[4].file, "audit.log");
	assert_int_equal(fx->seen[4].offset, 0);
	assert_int_equal(fx->t.st.rotations, 1);
	/* the old file is let go once read to its end */
	assert_int_equal(files_followed(fx), 1);
	unit_append_file(fx->path, "6\n");
	pump(fx);
	assert_read(fx, "6|");
}

static void test_tail_rotated_file_last_line_without_newline_is_still_a_line(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "3\n");
	pump(fx);
	assert_read(fx, "2|3|");
	assert_int_equal(files_followed(fx), 1);
}

static void test_tail_rotation_before_reading_loses_nothing(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	/* two rotations between reads */
	unit_append_file(fx->path, "2\n");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "3\n");
	pump(fx);
	unit_append_file(fx->path, "4\n");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-2.log")), 0);
	unit_append_file(fx->path, "5\n");
	pump(fx);
	assert_read(fx, "2|3|4|5|");
}

static void test_tail_delete_and_recreate_reads_the_old_to_its_end_and_the_new_from_start(
	void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	unit_append_file(fx->path, "2\n");
	assert_int_equal(unlink(fx->path), 0);
	unit_append_file(fx->path, "new-1\n");
	pump(fx);
	assert_read(fx, "2|new-1|");
	assert_int_equal(fx->seen[2].offset, 0);
	assert_int_equal(files_followed(fx), 1);
}

static void test_tail_deleted_file_is_read_to_its_end_and_let_go(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	unit_append_file(fx->path, "2\n");
	assert_int_equal(unlink(fx->path), 0);
	pump(fx);
	assert_read(fx, "1|2|");
	assert_int_equal(files_followed(fx), 0);
}

static void test_tail_copytruncate_reads_the_file_again_from_its_start(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "line-1\nline-2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "line-1|line-2|");
	assert_int_equal(truncate(fx->path, 0), 0);
	unit_append_file(fx->path, "a\nb\n");
	pump(fx);
	assert_read(fx, "a|b|");
	assert_int_equal(fx->seen[2].offset, 0);
	assert_int_equal(fx->seen[3].offset, 2);
	assert_int_equal(fx->t.st.truncations, 1);
	unit_append_file(fx->path, "c\n");
	pump(fx);
	assert_read(fx, "c|");
}

static void test_tail_copytruncate_noticed_before_the_new_lines_grow_past_the_old(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	assert_int_equal(truncate(fx->path, 0), 0);
	pump(fx);
	assert_read(fx, "");
	unit_append_file(fx->path, "longer-than-before\n");
	pump(fx);
	assert_read(fx, "longer-than-before|");
	assert_int_equal(fx->seen[2].offset, 0);
}

static void test_tail_checkpoint_gives_identity_and_offset_of_the_last_complete_line(
	void **state)
{
	struct fixture *fx = *state;
	struct stat sb;
	const char text[] = "1\n22\npart";

	unit_append_file(fx->path, text);
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|22|");
	checkpoint(fx);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_true(fx->st.initialized);
	assert_int_equal(fx->st.nfiles, 1);
	const struct ckpt *c = &fx->st.files[0];
	assert_string_equal(c->path, fx->path);
	assert_string_equal(c->input, fx->pattern);
	assert_true(c->id.dev == (uint64_t)sb.st_dev);
	assert_true(c->id.ino == (uint64_t)sb.st_ino);
	assert_int_equal(c->offset, 5);
	assert_int_equal(c->id.fp_len, sizeof(text) - 1);
	assert_true(c->id.fp == state_fp_hash(text, sizeof(text) - 1));
}

static void test_tail_checkpoint_fingerprint_grows_to_256_bytes(void **state)
{
	struct fixture *fx = *state;
	char big[400];

	unit_append_file(fx->path, "short\n");
	open_tail(fx);
	pump(fx);
	checkpoint(fx);
	assert_int_equal(fx->st.files[0].id.fp_len, 6);
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	unit_append_file(fx->path, big);
	pump(fx);
	checkpoint(fx);
	char *all = unit_read_file(fx->path, NULL);
	uint64_t want = state_fp_hash(all, STATE_FP_MAX);
	free(all);
	assert_int_equal(fx->st.files[0].id.fp_len, STATE_FP_MAX);
	assert_true(fx->st.files[0].id.fp == want);
	assert_int_equal(fx->st.files[0].offset, 6 + sizeof(big) - 1);
}

static void test_tail_resume_from_a_checkpoint_continues_at_its_offset(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\npar");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	checkpoint(fx);
	close_tail(fx);

	unit_append_file(fx->path, "tial\n3\n");
	fx->in.start_at = START_END; /* a checkpoint wins over start_at */
	open_tail(fx);
	pump(fx);
	assert_read(fx, "partial|3|");
	assert_int_equal(fx->seen[2].offset, 4);
	assert_int_equal(files_followed(fx), 1);
}

static void test_tail_file_renamed_while_down_is_found_by_identity_and_finished_first(
	void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	checkpoint(fx);
	close_tail(fx);

	unit_append_file(fx->path, "3\n4\n");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "new-1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "3|4|new-1|");
	assert_string_equal(fx->seen[2].file, "audit-1.log");
	assert_int_equal(fx->seen[2].offset, 4);
	assert_string_equal(fx->seen[4].file, "audit.log");
	assert_int_equal(fx->seen[4].offset, 0);
	assert_int_equal(files_followed(fx), 1);
}

/* Write text to path as gzip. */
static void write_gz(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
}

static void test_tail_gzip_copy_of_a_file_rotated_while_down_is_read_from_the_offset(
	void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	checkpoint(fx);
	close_tail(fx);

	/* while down: more lines, rotation, the backup compressed and the plain copy removed */
	unit_append_file(fx->path, "3\n4\n");
	char *all = unit_read_file(fx->path, NULL);
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	write_gz(in_dir(fx, "audit-1.log.gz"), all);
	free(all);
	assert_int_equal(unlink(in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "new-1\n");

	open_tail(fx);
	pump(fx);
	assert_read(fx, "3|4|new-1|");
	assert_string_equal(fx->seen[2].file, "audit-1.log.gz");
	assert_int_equal(fx->seen[2].offset, 4);
	assert_int_equal(fx->seen[3].offset, 6);
	assert_string_equal(fx->seen[4].file, "audit.log");
	assert_int_equal(files_followed(fx), 1);
}

static void test_tail_gzip_copy_with_other_content_is_not_taken_for_the_file(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	checkpoint(fx);
	close_tail(fx);

	assert_int_equal(unlink(fx->path), 0);
	/* an old backup (from before the checkpoint) of other content */
	write_gz(in_dir(fx, "audit-1.log.gz"), "X\nY\n3\n");
	struct timeval old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
	assert_int_equal(utimes(in_dir(fx, "audit-1.log.gz"), old), 0);
	unit_append_file(fx->path, "new-1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "new-1|");
}

/* Down across two rotations: the checkpointed file is finished from its offset, then the
 * backup rotated after it (never opened, already compressed) from its start, then the live
 * file. */
static void test_tail_backups_rotated_while_down_are_read_after_the_checkpointed_one(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|2|");
	checkpoint(fx);
	close_tail(fx);

	unit_append_file(fx->path, "3\n");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-2024-01-01T00-00-01.000.log")), 0);
	write_gz(in_dir(fx, "audit-2024-01-01T00-00-02.000.log.gz"), "b1\nb2\n");
	unit_append_file(fx->path, "live-1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "3|b1|b2|live-1|");
}

static void test_tail_checkpoint_with_a_wrong_fingerprint_is_not_resumed(void **state)
{
	struct fixture *fx = *state;
	struct stat sb;

	/* the inode is the checkpoint's, the content is not: a reused inode */
	unit_append_file(fx->path, "a\nb\nc\n");
	assert_int_equal(stat(fx->path, &sb), 0);
	struct file_id id = {.dev = (uint64_t)sb.st_dev, .ino = (uint64_t)sb.st_ino, .fp_len = 4,
			     .fp = state_fp_hash("X\nY\n", 4)};
	assert_int_equal(state_add(&fx->st, fx->path, fx->pattern, &id, 4), 0);
	fx->st.initialized = true;
	open_tail(fx);
	pump(fx);
	assert_read(fx, "a|b|c|");
	assert_int_equal(fx->seen[0].offset, 0);
}

static void test_tail_checkpoint_of_another_input_is_ignored(void **state)
{
	struct fixture *fx = *state;
	struct stat sb;

	unit_append_file(fx->path, "a\nb\n");
	assert_int_equal(stat(fx->path, &sb), 0);
	struct file_id id = {.dev = (uint64_t)sb.st_dev, .ino = (uint64_t)sb.st_ino, .fp_len = 4,
			     .fp = state_fp_hash("a\nb\n", 4)};
	assert_int_equal(state_add(&fx->st, fx->path, "/some/other/input.log", &id, 2), 0);
	fx->st.initialized = true;
	open_tail(fx);
	pump(fx);
	assert_read(fx, "a|b|");
}

static void test_tail_missing_directory_is_picked_up_by_retry_after_mkdir(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->pattern, sizeof(fx->pattern), "%s/later/audit.log", fx->root);
	fx->in.start_at = START_END;
	open_tail(fx);
	assert_true(fx->t.rescan);
	assert_int_equal(files_followed(fx), 0);
	tail_retry(&fx->t);
	assert_true(fx->t.rescan);

	char later[256], backup[300];
	snprintf(later, sizeof(later), "%s/later", fx->root);
	snprintf(backup, sizeof(backup), "%s/audit-1.log", later);
	assert_int_equal(mkdir(later, 0755), 0);
	unit_append_file(fx->pattern, "1\n");
	tail_retry(&fx->t);
	assert_false(fx->t.rescan);
	pump(fx);
	assert_read(fx, "1|");
	/* and it is watched from now on */
	unit_append_file(fx->pattern, "2\n");
	assert_int_equal(rename(fx->pattern, backup), 0);
	unit_append_file(fx->pattern, "3\n");
	pump(fx);
	assert_read(fx, "2|3|");
}

static void test_tail_too_long_line_is_reported_with_its_length_and_the_next_arrives(
	void **state)
{
	struct fixture *fx = *state;
	char big[2001];

	memset(big, 'x', 2000);
	big[2000] = '\0';
	unit_append_file(fx->path, "short\n");
	unit_append_file(fx->path, big);
	unit_append_file(fx->path, "\nnext\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "short|<too long: 2000>|next|");
	assert_true(fx->seen[1].too_long);
	assert_int_equal(fx->seen[1].offset, 6);
	assert_int_equal(fx->seen[2].offset, 2007);
	assert_int_equal(fx->t.st.lines_too_long, 1);
	checkpoint(fx);
	assert_int_equal(fx->st.files[0].offset, 2012);
}

static void test_tail_read_stops_when_the_callback_asks(void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2\n3\n");
	open_tail(fx);
	fx->stop_at = "2";
	assert_int_equal(tail_handle_events(&fx->t), 0);
	assert_int_equal(tail_read(&fx->t, 1u << 20, on_line, fx), 2);
	assert_read(fx, "1|2|");
	checkpoint(fx);
	assert_int_equal(fx->st.files[0].offset, 4);
	fx->stop_at = NULL;
	pump(fx);
	assert_read(fx, "3|");
}

static void test_tail_checkpoint_taken_while_a_rotated_file_is_read_resumes_it_first(
	void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	unit_append_file(fx->path, "2\n3\n");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "new-1\n");
	fx->stop_at = "2";
	assert_int_equal(tail_handle_events(&fx->t), 0);
	assert_int_equal(tail_read(&fx->t, 1u << 20, on_line, fx), 2);
	assert_read(fx, "2|");
	checkpoint(fx);
	close_tail(fx);
	fx->stop_at = NULL;

	open_tail(fx);
	pump(fx);
	assert_read(fx, "3|new-1|");
	assert_string_equal(fx->seen[2].file, "audit-1.log");
	assert_int_equal(fx->seen[2].offset, 4);
}

/* The last line of a rotated file has no newline; the agent stops right after it (a signal,
 * a full queue). Its checkpoint must not point past the file's end: a restart would take the
 * file for truncated and read it again from the start. */
static void test_tail_rotated_unterminated_last_line_is_checkpointed_at_the_file_end(
	void **state)
{
	struct fixture *fx = *state;

	unit_append_file(fx->path, "1\n2");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "3\n");
	fx->stop_at = "2";
	assert_int_equal(tail_handle_events(&fx->t), 0);
	assert_int_equal(tail_read(&fx->t, 1u << 20, on_line, fx), 2);
	assert_read(fx, "2|");
	checkpoint(fx);
	close_tail(fx);
	fx->stop_at = NULL;

	struct stat sb;
	uint64_t rotated_offset = UINT64_MAX;
	assert_int_equal(stat(in_dir(fx, "audit-1.log"), &sb), 0);
	for (size_t i = 0; i < fx->st.nfiles; i++)
		if (fx->st.files[i].id.ino == (uint64_t)sb.st_ino)
			rotated_offset = fx->st.files[i].offset;
	open_tail(fx);
	pump(fx);
	assert_read(fx, "3|");
	assert_int_equal(rotated_offset, 3);
}

/* A glob input: the backup's new name matches too. Once it has been read to its end, a rescan
 * (after an inotify overflow, say) must not take it for a new file and read it again. */
static void test_tail_rescan_does_not_read_a_finished_backup_matching_the_glob_again(
	void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->pattern, sizeof(fx->pattern), "%s/audit*.log", fx->dir);
	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "1|");
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "2\n");
	pump(fx);
	assert_read(fx, "2|");

	fx->t.rescan = true; /* what an IN_Q_OVERFLOW sets */
	tail_retry(&fx->t);
	pump(fx);
	assert_read(fx, "");
}

static void test_tail_glob_in_the_directory_part_is_refused(void **state)
{
	struct fixture *fx = *state;
	char err[512] = "";

	snprintf(fx->pattern, sizeof(fx->pattern), "%s/*/audit.log", fx->root);
	assert_int_equal(tail_open(&fx->t, &fx->cfg, &fx->st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a glob is allowed in the file name only"));
}

static void test_tail_glob_follows_every_matching_file(void **state)
{
	struct fixture *fx = *state;

	snprintf(fx->pattern, sizeof(fx->pattern), "%s/*.log", fx->dir);
	unit_append_file(in_dir(fx, "a.log"), "a1\n");
	unit_append_file(in_dir(fx, "other.txt"), "no\n");
	open_tail(fx);
	pump(fx);
	assert_read(fx, "a1|");
	unit_append_file(in_dir(fx, "b.log"), "b1\n");
	pump(fx);
	assert_read(fx, "b1|");
	assert_int_equal(files_followed(fx), 2);
}

struct lag_seen {
	char path[256];
	uint64_t lag;
	int calls;
};

static void on_lag(void *arg, const char *path, uint64_t lag)
{
	struct lag_seen *l = arg;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->lag = lag;
	l->calls++;
}

static void test_tail_lag_is_the_bytes_not_read_yet(void **state)
{
	struct fixture *fx = *state;
	struct lag_seen l = {0};

	unit_append_file(fx->path, "1\n");
	open_tail(fx);
	pump(fx);
	unit_append_file(fx->path, "22\n4444");
	tail_lag(&fx->t, on_lag, &l);
	assert_int_equal(l.calls, 1);
	assert_string_equal(l.path, fx->path);
	assert_int_equal(l.lag, 7);
}

static void test_tail_input_stats_count_every_line_and_byte_read_skipped_ones_too(void **state)
{
	struct fixture *fx = *state;
	struct tail_input_stats st;
	char big[2001];

	memset(big, 'x', 2000);
	big[2000] = '\0';
	unit_append_file(fx->path, "short\n");
	unit_append_file(fx->path, big);
	unit_append_file(fx->path, "\nnext\npart");
	open_tail(fx);
	pump(fx);
	tail_input_stats(&fx->t, 0, &st);
	assert_string_equal(st.path, fx->pattern);
	assert_int_equal(st.lines, 3);
	assert_int_equal(st.bytes, 6 + 2001 + 5);
	assert_int_equal(st.lag, 4); /* "part" waits for its newline */
	assert_true(st.watched);
	assert_null(st.unreadable);
	/* a rotation: both files count under the input */
	assert_int_equal(rename(fx->path, in_dir(fx, "audit-1.log")), 0);
	unit_append_file(fx->path, "new\n");
	pump(fx);
	assert_read(fx, "short|<too long: 2000>|next|part|new|");
	tail_input_stats(&fx->t, 0, &st);
	assert_int_equal(st.lines, 5);
	assert_int_equal(st.bytes, 6 + 2001 + 5 + 4 + 4);
	assert_int_equal(st.lag, 0);
}

static void test_tail_input_stats_say_a_missing_directory_is_not_watched(void **state)
{
	struct fixture *fx = *state;
	struct tail_input_stats st;

	snprintf(fx->pattern, sizeof(fx->pattern), "%s/later/audit.log", fx->root);
	open_tail(fx);
	tail_input_stats(&fx->t, 0, &st);
	assert_false(st.watched);
	assert_int_equal(st.lines, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_tail_start_at_beginning_reads_the_lines_already_there),
		T(test_tail_start_at_end_skips_the_lines_already_there),
		T(test_tail_start_at_end_starts_at_the_line_being_written),
		T(test_tail_start_at_end_of_a_file_without_any_newline_reads_it_whole),
		T(test_tail_start_at_applies_only_at_the_very_first_start),
		T(test_tail_appended_lines_are_read_after_the_events),
		T(test_tail_partial_line_waits_for_its_newline),
		T(test_tail_file_created_after_start_is_read_from_its_start),
		T(test_tail_rotation_rename_then_create_reads_the_old_file_to_its_end_first),
		T(test_tail_rotated_file_last_line_without_newline_is_still_a_line),
		T(test_tail_rotation_before_reading_loses_nothing),
		T(test_tail_delete_and_recreate_reads_the_old_to_its_end_and_the_new_from_start),
		T(test_tail_deleted_file_is_read_to_its_end_and_let_go),
		T(test_tail_copytruncate_reads_the_file_again_from_its_start),
		T(test_tail_copytruncate_noticed_before_the_new_lines_grow_past_the_old),
		T(test_tail_checkpoint_gives_identity_and_offset_of_the_last_complete_line),
		T(test_tail_checkpoint_fingerprint_grows_to_256_bytes),
		T(test_tail_resume_from_a_checkpoint_continues_at_its_offset),
		T(test_tail_file_renamed_while_down_is_found_by_identity_and_finished_first),
		T(test_tail_gzip_copy_of_a_file_rotated_while_down_is_read_from_the_offset),
		T(test_tail_gzip_copy_with_other_content_is_not_taken_for_the_file),
		T(test_tail_backups_rotated_while_down_are_read_after_the_checkpointed_one),
		T(test_tail_checkpoint_with_a_wrong_fingerprint_is_not_resumed),
		T(test_tail_checkpoint_of_another_input_is_ignored),
		T(test_tail_missing_directory_is_picked_up_by_retry_after_mkdir),
		T(test_tail_too_long_line_is_reported_with_its_length_and_the_next_arrives),
		T(test_tail_read_stops_when_the_callback_asks),
		T(test_tail_checkpoint_taken_while_a_rotated_file_is_read_resumes_it_first),
		T(test_tail_rotated_unterminated_last_line_is_checkpointed_at_the_file_end),
		T(test_tail_rescan_does_not_read_a_finished_backup_matching_the_glob_again),
		T(test_tail_glob_in_the_directory_part_is_refused),
		T(test_tail_glob_follows_every_matching_file),
		T(test_tail_lag_is_the_bytes_not_read_yet),
		T(test_tail_input_stats_count_every_line_and_byte_read_skipped_ones_too),
		T(test_tail_input_stats_say_a_missing_directory_is_not_watched),
	};
#undef T
	log_set_level(LOG_ERROR); /* the tail logs every file it follows; the tests check more */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
