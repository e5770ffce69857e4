/* state: the checkpoint file: saved atomically (mode 0600, no temporary left behind), loaded
 * back exactly (64-bit values above 2^53 as strings), and a corrupt or foreign file refused
 * with a message rather than silently taken for "no state". */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

#define TWO_53 (UINT64_C(1) << 53)

static int make_dir(void **state)
{
	char *dir = malloc(PATH_MAX);
	if (!dir)
		return -1;
	unit_temp_dir(dir, PATH_MAX);
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	unit_remove_tree(*state);
	free(*state);
	return 0;
}

static void state_path(char *out, size_t outsz, const char *dir, const char *name)
{
	snprintf(out, outsz, "%s/%s", dir, name);
}

/* Two checkpoints, one with every 64-bit value past what a double holds exactly. */
static void fill_state(struct state *st)
{
	struct file_id a = {.dev = 2049, .ino = 1234567, .fp_len = 256,
			    .fp = UINT64_C(0xfedcba9876543210)};
	struct file_id b = {.dev = UINT64_MAX, .ino = 42, .fp_len = 0, .fp = TWO_53 + 2};

	memset(st, 0, sizeof(*st));
	assert_int_equal(state_add(st, "/var/log/kubernetes/audit/audit.log",
				   "/var/log/kubernetes/audit/audit.log", &a, 9173),
			 0);
	assert_int_equal(state_add(st, "/var/log/other/audit-1.log", "/var/log/other/*.log", &b,
				   TWO_53 + 1),
			 0);
	st->dedup = cJSON_Parse("[{\"rule\":\"R\",\"dedup\":\"user-a\",\"window_start\":1,"
				"\"window_end\":3600000001,\"first_seen\":1,\"last_seen\":5,"
				"\"count\":2,\"alerted\":true}]");
	assert_non_null(st->dedup);
}

static void assert_ckpt(const struct ckpt *c, const char *path, const char *input,
			const struct file_id *id, uint64_t offset)
{
	assert_string_equal(c->path, path);
	assert_string_equal(c->input, input);
	assert_true(c->id.dev == id->dev);
	assert_true(c->id.ino == id->ino);
	assert_int_equal(c->id.fp_len, id->fp_len);
	assert_true(c->id.fp == id->fp);
	assert_true(c->offset == offset);
}

static void test_state_save_then_load_gives_the_same_state(void **state)
{
	const char *dir = *state;
	struct state st, back;
	char err[512] = "";

	fill_state(&st);
	assert_int_equal(state_save(dir, &st, err, sizeof(err)), 0);
	assert_int_equal(state_load(dir, &back, err, sizeof(err)), 0);
	assert_true(back.initialized);
	assert_int_equal(back.nfiles, 2);
	assert_ckpt(&back.files[0], st.files[0].path, st.files[0].input, &st.files[0].id, 9173);
	assert_ckpt(&back.files[1], st.files[1].path, st.files[1].input, &st.files[1].id,
		    TWO_53 + 1);
	assert_non_null(back.dedup);
	assert_true(cJSON_Compare(back.dedup, st.dedup, 1));
	state_clear(&back);
	state_clear(&st);
}

/* cJSON prints a double with 15 significant digits when that reads back within a relative
 * DBL_EPSILON, so some integers between 2^52 and 2^53 written as numbers come back changed
 * (2^53 reads back as 9007199254740990); a fingerprint hash can fall there. */
static void test_state_values_just_below_2_53_survive_save_and_load(void **state)
{
	const char *dir = *state;
	struct state st = {0}, back;
	struct file_id id = {.dev = 7, .ino = TWO_53, .fp_len = 256, .fp = TWO_53 - 1};
	const uint64_t offset = UINT64_C(8000000000000001);
	char err[512] = "";

	assert_int_equal(state_add(&st, "/a/audit.log", "/a/audit.log", &id, offset), 0);
	assert_int_equal(state_save(dir, &st, err, sizeof(err)), 0);
	state_clear(&st);
	assert_int_equal(state_load(dir, &back, err, sizeof(err)), 0);
	struct ckpt got = back.files[0];
	state_clear(&back);
	assert_true(got.id.ino == TWO_53);
	assert_true(got.id.fp == TWO_53 - 1);
	assert_true(got.offset == offset);
}

static void test_state_values_above_2_53_are_stored_as_strings(void **state)
{
	const char *dir = *state;
	struct state st;
	char err[512] = "", path[PATH_MAX];

	fill_state(&st);
	assert_int_equal(state_save(dir, &st, err, sizeof(err)), 0);
	state_path(path, sizeof(path), dir, STATE_FILE);
	char *text = unit_read_file(path, NULL);
	assert_non_null(strstr(text, "\"offset\":\"9007199254740993\""));
	assert_non_null(strstr(text, "\"dev\":\"18446744073709551615\""));
	assert_non_null(strstr(text, "\"fp\":\"18364758544493064720\""));
	assert_non_null(strstr(text, "\"fp\":\"9007199254740994\""));
	bool small_is_number = strstr(text, "\"offset\":9173") != NULL;
	free(text);
	state_clear(&st);
	assert_true(small_is_number);
}

static void test_state_empty_state_round_trips(void **state)
{
	const char *dir = *state;
	struct state st = {0}, back;
	char err[512] = "";

	assert_int_equal(state_save(dir, &st, err, sizeof(err)), 0);
	assert_int_equal(state_load(dir, &back, err, sizeof(err)), 0);
	assert_true(back.initialized);
	assert_int_equal(back.nfiles, 0);
	assert_null(back.dedup);
	state_clear(&back);
}

static void test_state_missing_file_gives_an_empty_uninitialized_state(void **state)
{
	const char *dir = *state;
	struct state st;
	char err[512] = "";

	memset(&st, 0xff, sizeof(st));
	assert_int_equal(state_load(dir, &st, err, sizeof(err)), 0);
	assert_false(st.initialized);
	assert_int_equal(st.nfiles, 0);
	assert_null(st.files);
	assert_null(st.dedup);
	state_clear(&st);
}

static void test_state_corrupt_file_is_an_error_naming_the_file(void **state)
{
	const char *dir = *state;
	struct state st;
	char err[512] = "", path[PATH_MAX], want[PATH_MAX + 64];

	state_path(path, sizeof(path), dir, STATE_FILE);
	unit_append_file(path, "{\"version\":1,\"files\":[{\"path\":");
	assert_int_equal(state_load(dir, &st, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: corrupt state file: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_false(st.initialized);
	assert_int_equal(st.nfiles, 0);
}

static void test_state_load_of_a_directory_named_like_the_file_is_an_error(void **state)
{
	const char *dir = *state;
	struct state st;
	char err[512] = "", path[PATH_MAX];

	state_path(path, sizeof(path), dir, STATE_FILE);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(state_load(dir, &st, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
}

static void test_state_saved_file_is_mode_0600(void **state)
{
	const char *dir = *state;
	struct state st;
	struct stat sb;
	char err[512] = "", path[PATH_MAX];

	fill_state(&st);
	mode_t old = umask(0);
	int rc = state_save(dir, &st, err, sizeof(err));
	umask(old);
	state_clear(&st);
	assert_int_equal(rc, 0);
	state_path(path, sizeof(path), dir, STATE_FILE);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
}

/* The names in dir, sorted and joined with ' '. */
static void dir_names(const char *dir, char *out, size_t outsz)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", outsz - strlen(out) - 1);
			strncat(out, list[i]->d_name, outsz - strlen(out) - 1);
		}
		free(list[i]);
	}
	free(list);
}

static void test_state_save_leaves_no_temporary_file(void **state)
{
	const char *dir = *state;
	struct state st, back;
	char err[512] = "", names[512];

	fill_state(&st);
	assert_int_equal(state_save(dir, &st, err, sizeof(err)), 0);
	dir_names(dir, names, sizeof(names));
	assert_string_equal(names, STATE_FILE);

	/* a second save replaces the first */
	st.files[0].offset = 10000;
	assert_int_equal(state_save(dir, &st, err, sizeof(err)), 0);
	dir_names(dir, names, sizeof(names));
	assert_string_equal(names, STATE_FILE);
	assert_int_equal(state_load(dir, &back, err, sizeof(err)), 0);
	assert_int_equal(back.files[0].offset, 10000);
	state_clear(&back);
	state_clear(&st);
}

static void test_state_save_into_a_missing_directory_fails_with_a_message(void **state)
{
	const char *dir = *state;
	struct state st;
	char err[512] = "", missing[PATH_MAX];

	fill_state(&st);
	snprintf(missing, sizeof(missing), "%s/not-there", dir);
	assert_int_equal(state_save(missing, &st, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, strerror(ENOENT)));
	state_clear(&st);
}

/* A valid one-file state document in buf, with field key's value replaced ("" drops it). */
static const char *doc_with(char *buf, size_t bufsz, const char *key, const char *value)
{
	static const char *const keys[] = {"path", "input", "dev", "ino", "fp_len", "fp",
					   "offset"};
	static const char *const vals[] = {"\"/a/audit.log\"", "\"/a/audit.log\"", "1", "2",
					   "3", "4", "5"};
	int n = snprintf(buf, bufsz, "{\"version\":1,\"files\":[{");
	bool first = true;
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const char *v = strcmp(keys[i], key) ? vals[i] : value;
		if (!*v)
			continue;
		n += snprintf(buf + n, bufsz - (size_t)n, "%s\"%s\":%s", first ? "" : ",",
			      keys[i], v);
		first = false;
	}
	snprintf(buf + n, bufsz - (size_t)n, "}]}");
	return buf;
}

static void assert_parse_fails(const char *json, const char *message)
{
	struct state st;
	char err[256] = "";

	int rc = state_parse(json, strlen(json), &st, err, sizeof(err));
	if (rc == 0) {
		state_clear(&st);
		fail_msg("accepted: %s", json);
	}
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(err, message);
	assert_int_equal(st.nfiles, 0);
	assert_null(st.files);
	assert_null(st.dedup);
}

static void assert_field_rejected(const char *key, const char *value)
{
	char doc[1024];
	assert_parse_fails(doc_with(doc, sizeof(doc), key, value),
			   "files[0]: missing or malformed field");
}

static void test_state_parse_accepts_a_valid_document(void **state)
{
	struct state st;
	char err[256] = "";
	char buf[1024];
	const char *doc = doc_with(buf, sizeof(buf), "", "");

	assert_int_equal(state_parse(doc, strlen(doc), &st, err, sizeof(err)), 0);
	assert_true(st.initialized);
	assert_int_equal(st.nfiles, 1);
	struct file_id id = {1, 2, 3, 4};
	assert_ckpt(&st.files[0], "/a/audit.log", "/a/audit.log", &id, 5);
	state_clear(&st);
}

static void test_state_parse_rejects_an_unknown_version(void **state)
{
	assert_parse_fails("{\"version\":2,\"files\":[]}", "unknown state version");
	assert_parse_fails("{\"version\":\"1x\",\"files\":[]}", "unknown state version");
	assert_parse_fails("{\"files\":[]}", "unknown state version");
}

static void test_state_parse_rejects_files_that_are_not_a_list(void **state)
{
	assert_parse_fails("{\"version\":1,\"files\":{}}", "'files' is not a list");
	assert_parse_fails("{\"version\":1}", "'files' is not a list");
}

static void test_state_parse_rejects_what_is_not_a_json_object(void **state)
{
	assert_parse_fails("[]", "not a JSON object");
	assert_parse_fails("{\"version\":1,", "not a JSON object");
	assert_parse_fails("", "not a JSON object");
}

static void test_state_parse_rejects_a_missing_field(void **state)
{
	static const char *const keys[] = {"path", "input", "dev", "ino", "fp_len", "fp",
					   "offset"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		assert_field_rejected(keys[i], "");
	assert_parse_fails("{\"version\":1,\"files\":[5]}", "files[0]: missing or malformed field");
}

static void test_state_parse_rejects_wrong_types(void **state)
{
	assert_field_rejected("path", "5");
	assert_field_rejected("input", "null");
	assert_field_rejected("dev", "true");
	assert_field_rejected("ino", "[1]");
	assert_field_rejected("offset", "\"12x\"");
	assert_field_rejected("offset", "\"\"");
}

static void test_state_parse_rejects_a_fingerprint_longer_than_256(void **state)
{
	struct state st;
	char err[256] = "";
	char buf[1024];
	const char *ok = doc_with(buf, sizeof(buf), "fp_len", "256");

	assert_field_rejected("fp_len", "257");
	assert_field_rejected("fp_len", "\"100000\"");
	assert_int_equal(state_parse(ok, strlen(ok), &st, err, sizeof(err)), 0);
	assert_int_equal(st.files[0].id.fp_len, 256);
	state_clear(&st);
}

static void test_state_parse_rejects_negative_and_fractional_numbers(void **state)
{
	assert_field_rejected("offset", "-1");
	assert_field_rejected("offset", "1.5");
	assert_field_rejected("dev", "-0.5");
	assert_field_rejected("ino", "\"-1\"");
	/* a number past 2^53 is not exact: such values are written as strings */
	assert_field_rejected("offset", "9007199254740994");
	assert_field_rejected("offset", "\"18446744073709551616\"");
}

/* strtoull reads " -1" as 2^64-1; the file was not written that way, so it is corrupt. */
static void test_state_parse_rejects_a_negative_number_string_with_leading_space(void **state)
{
	assert_field_rejected("offset", "\" -1\"");
}

static void test_state_parse_reads_large_values_from_strings(void **state)
{
	struct state st;
	char err[256] = "";
	char buf[1024];
	const char *doc = doc_with(buf, sizeof(buf), "offset", "\"18446744073709551615\"");

	assert_int_equal(state_parse(doc, strlen(doc), &st, err, sizeof(err)), 0);
	assert_true(st.files[0].offset == UINT64_MAX);
	state_clear(&st);
}

static void test_state_parse_rejects_dedup_that_is_not_a_list(void **state)
{
	assert_parse_fails("{\"version\":1,\"files\":[],\"dedup\":{}}", "'dedup' is not a list");
}

static void test_state_parse_error_in_a_later_file_frees_the_earlier_ones(void **state)
{
	const char doc[] = "{\"version\":1,\"files\":["
			   "{\"path\":\"/a\",\"input\":\"/a\",\"dev\":1,\"ino\":2,\"fp_len\":3,"
			   "\"fp\":4,\"offset\":5},"
			   "{\"path\":\"/b\",\"input\":\"/b\",\"dev\":1}]}";
	assert_parse_fails(doc, "files[1]: missing or malformed field");
}

static void test_state_fp_hash_depends_on_every_byte_and_the_length(void **state)
{
	uint64_t a = state_fp_hash("abc", 3);
	assert_true(a == state_fp_hash("abc", 3));
	assert_true(a != state_fp_hash("abd", 3));
	assert_true(a != state_fp_hash("abc\0", 4));
	assert_true(state_fp_hash("", 0) != state_fp_hash("\0", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_state_save_then_load_gives_the_same_state,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(
			test_state_values_just_below_2_53_survive_save_and_load, make_dir,
			remove_dir),
		cmocka_unit_test_setup_teardown(test_state_values_above_2_53_are_stored_as_strings,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_state_empty_state_round_trips, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(
			test_state_missing_file_gives_an_empty_uninitialized_state, make_dir,
			remove_dir),
		cmocka_unit_test_setup_teardown(test_state_corrupt_file_is_an_error_naming_the_file,
						make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(
			test_state_load_of_a_directory_named_like_the_file_is_an_error, make_dir,
			remove_dir),
		cmocka_unit_test_setup_teardown(test_state_saved_file_is_mode_0600, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(test_state_save_leaves_no_temporary_file, make_dir,
						remove_dir),
		cmocka_unit_test_setup_teardown(
			test_state_save_into_a_missing_directory_fails_with_a_message, make_dir,
			remove_dir),
		cmocka_unit_test(test_state_parse_accepts_a_valid_document),
		cmocka_unit_test(test_state_parse_rejects_an_unknown_version),
		cmocka_unit_test(test_state_parse_rejects_files_that_are_not_a_list),
		cmocka_unit_test(test_state_parse_rejects_what_is_not_a_json_object),
		cmocka_unit_test(test_state_parse_rejects_a_missing_field),
		cmocka_unit_test(test_state_parse_rejects_wrong_types),
		cmocka_unit_test(test_state_parse_rejects_a_fingerprint_longer_than_256),
		cmocka_unit_test(test_state_parse_rejects_negative_and_fractional_numbers),
		cmocka_unit_test(test_state_parse_rejects_a_negative_number_string_with_leading_space),
		cmocka_unit_test(test_state_parse_reads_large_values_from_strings),
		cmocka_unit_test(test_state_parse_rejects_dedup_that_is_not_a_list),
		cmocka_unit_test(test_state_parse_error_in_a_later_file_frees_the_earlier_ones),
		cmocka_unit_test(test_state_fp_hash_depends_on_every_byte_and_the_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
