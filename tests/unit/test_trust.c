/* trust: as root, a configuration or rule file (or a directory of them) is used only when root
 * owns it and no one else can write it; check-config says so and goes on; the offline commands
 * do not check. These checks create files owned by root and by nobody, so they need root. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

struct fixture {
	char dir[64];
	char file[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unit_temp_dir(f->dir, sizeof(f->dir));
	snprintf(f->file, sizeof(f->file), "%s/agent.yaml", f->dir);
	unit_write_file(f->file, "x: 1\n", 5);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unit_remove_tree(f->dir);
	free(f);
	return 0;
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* trust_check_fd on path (mode and owner set first) under policy p; err to err. */
static int check(const char *path, mode_t mode, uid_t owner, const struct trust_policy *p,
		 char *err, size_t errsz)
{
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, owner, 0), 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	err[0] = '\0';
	int rc = trust_check_fd(fd, path, p, err, errsz);
	close(fd);
	return rc;
}

static const struct trust_policy refuse = {TRUST_REFUSE, NULL, NULL};

static void test_trust_root_owned_file_writable_by_root_only_is_used(void **state)
{
	struct fixture *f = *state;
	char err[512];
	need_root();
	assert_int_equal(check(f->file, 0644, 0, &refuse, err, sizeof(err)), 0);
	assert_int_equal(check(f->file, 0600, 0, &refuse, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_trust_group_writable_file_is_refused_naming_it(void **state)
{
	struct fixture *f = *state;
	char err[512], want[256];
	need_root();
	assert_int_equal(check(f->file, 0664, 0, &refuse, err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want), "%s: refused: writable by its group (mode 0664)", f->file);
	assert_memory_equal(err, want, strlen(want));
}

static void test_trust_world_writable_file_is_refused(void **state)
{
	struct fixture *f = *state;
	char err[512];
	need_root();
	assert_int_equal(check(f->file, 0646, 0, &refuse, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "writable by everyone (mode 0646)"));
}

static void test_trust_file_of_another_user_is_refused(void **state)
{
	struct fixture *f = *state;
	char err[512];
	need_root();
	assert_int_equal(check(f->file, 0644, 65534, &refuse, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "owned by uid 65534, not root"));
}

static void test_trust_writable_directory_is_refused(void **state)
{
	struct fixture *f = *state;
	char err[512];
	need_root();
	assert_int_equal(check(f->dir, 01777, 0, &refuse, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "writable by everyone (mode 1777)"));
	assert_int_equal(check(f->dir, 0755, 0, &refuse, err, sizeof(err)), 0);
}

/* check-config: the same finding is a warning and the file is still read */
static void test_trust_warn_mode_says_so_and_uses_the_file(void **state)
{
	struct fixture *f = *state;
	char err[512], *text = NULL, want[256];
	size_t len = 0;
	need_root();
	FILE *out = open_memstream(&text, &len);
	struct trust_policy warn = {TRUST_WARN, out, "check-config: warning: "};
	assert_int_equal(check(f->file, 0620, 0, &warn, err, sizeof(err)), 0);
	fclose(out);
	snprintf(want, sizeof(want),
		 "check-config: warning: %s: writable by its group (mode 0620); run (as root) "
		 "refuses a file that is not root's alone\n",
		 f->file);
	assert_string_equal(text, want);
	free(text);
}

static void test_trust_no_policy_checks_nothing(void **state)
{
	struct fixture *f = *state;
	char err[512];
	struct trust_policy any = {TRUST_ANY, NULL, NULL};
	need_root();
	assert_int_equal(check(f->file, 0666, 65534, NULL, err, sizeof(err)), 0);
	assert_int_equal(check(f->file, 0666, 65534, &any, err, sizeof(err)), 0);
	assert_int_equal(chmod(f->file, 0600), 0);
}

static void test_trust_mode_applies_only_to_root(void **state)
{
	assert_int_equal(trust_mode_for_root(TRUST_REFUSE),
			 geteuid() == 0 ? TRUST_REFUSE : TRUST_ANY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_trust_root_owned_file_writable_by_root_only_is_used, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_group_writable_file_is_refused_naming_it,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trust_world_writable_file_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_trust_file_of_another_user_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_trust_writable_directory_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_trust_warn_mode_says_so_and_uses_the_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_trust_no_policy_checks_nothing, setup, teardown),
	    cmocka_unit_test(test_trust_mode_applies_only_to_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
