/* privdrop: in a child process (capabilities cannot be had back), what remains after
 * privdrop_apply: CAP_DAC_READ_SEARCH alone without correlation, plus CAP_SYS_PTRACE for the
 * connection tracking, plus CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN for the uprobe; empty
 * bounding, inheritable and ambient sets; no_new_privs. Needs root with CAP_SETPCAP. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

#define BIT(n)		(1ull << (n))
#define DAC_READ_SEARCH BIT(2)
#define SETPCAP		BIT(8)
#define SYS_PTRACE	BIT(19)
#define SYS_ADMIN	BIT(21)
#define PERFMON		BIT(38)
#define CAP_BPF_BIT	BIT(39)

struct after {
	unsigned long long eff, prm, bnd, inh, amb;
	int nnp;
	int rc;
	char said[1024];
};

/* A /proc/self/status field as a number (hex for the capability sets). */
static unsigned long long status_field(const char *name, int base)
{
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, base);
	if (f)
		fclose(f);
	return v;
}

/* privdrop_apply(needs) in a child (first made nobody, with no capability left, when
 * as_nobody); what its status says afterwards. */
static struct after drop_in_child_as(bool conntrack, bool uprobe, bool as_nobody)
{
	struct after a = {0};
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct privdrop_needs needs = {conntrack, uprobe};
		/* leaving uid 0 for good clears the permitted and effective sets */
		if (as_nobody && geteuid() == 0 &&
		    (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		     setresuid(65534, 65534, 65534)))
			_exit(2);
		a.rc = privdrop_apply(&needs, a.said, sizeof(a.said));
		a.eff = status_field("CapEff", 16);
		a.prm = status_field("CapPrm", 16);
		a.bnd = status_field("CapBnd", 16);
		a.inh = status_field("CapInh", 16);
		a.amb = status_field("CapAmb", 16);
		a.nnp = (int)status_field("NoNewPrivs", 10);
		_exit(write(fds[1], &a, sizeof(a)) == (ssize_t)sizeof(a) ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &a, sizeof(a)), (ssize_t)sizeof(a));
	close(fds[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return a;
}

static struct after drop_in_child(bool conntrack, bool uprobe)
{
	return drop_in_child_as(conntrack, uprobe, false);
}

static void need_root_with_setpcap(void)
{
	if (geteuid() != 0 || !(status_field("CapEff", 16) & SETPCAP))
		skip();
}

static void assert_only(const struct after *a, unsigned long long want)
{
	assert_int_equal(a->rc, 0);
	assert_int_equal(a->eff, want);
	assert_int_equal(a->prm, want);
	assert_int_equal(a->bnd, 0);
	assert_int_equal(a->inh, 0);
	assert_int_equal(a->amb, 0);
	assert_int_equal(a->nnp, 1);
}

static void test_privdrop_without_correlation_keeps_dac_read_search_alone(void **state)
{
	need_root_with_setpcap();
	struct after a = drop_in_child(false, false);
	assert_only(&a, DAC_READ_SEARCH);
	assert_string_equal(a.said,
			    "privileges: capabilities kept: CAP_DAC_READ_SEARCH (read audit "
			    "logs, rules and tokens whoever owns them); all others dropped, "
			    "bounding set emptied, ambient set cleared, no_new_privs set");
}

static void test_privdrop_connection_tracking_adds_sys_ptrace(void **state)
{
	need_root_with_setpcap();
	struct after a = drop_in_child(true, false);
	assert_only(&a, DAC_READ_SEARCH | SYS_PTRACE);
}

static void test_privdrop_uprobe_adds_bpf_perfmon_sys_admin(void **state)
{
	need_root_with_setpcap();
	struct after a = drop_in_child(true, true);
	assert_only(&a, DAC_READ_SEARCH | SYS_PTRACE | SYS_ADMIN | PERFMON | CAP_BPF_BIT);
	assert_non_null(strstr(a.said,
			       "CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN (attach the uprobe again "
			       "when the API server restarts)"));
}

/* a process without capabilities (root's test child becomes nobody first): nothing to drop,
 * no_new_privs still set */
static void test_privdrop_without_capabilities_sets_no_new_privs(void **state)
{
	struct after a = drop_in_child_as(false, false, true);
	assert_int_equal(a.rc, 0);
	assert_int_equal(a.eff, 0);
	assert_int_equal(a.prm, 0);
	assert_int_equal(a.nnp, 1);
	assert_string_equal(a.said, "privileges: no capabilities held; no_new_privs set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_privdrop_without_correlation_keeps_dac_read_search_alone),
	    cmocka_unit_test(test_privdrop_connection_tracking_adds_sys_ptrace),
	    cmocka_unit_test(test_privdrop_uprobe_adds_bpf_perfmon_sys_admin),
	    cmocka_unit_test(test_privdrop_without_capabilities_sets_no_new_privs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
