/* procinfo: container and pod ids read from every cgroup layout kubelet, containerd, CRI-O and
 * Docker produce (and nothing read from garbage), and processes found by comm or executable in
 * a fixture proc root and in the real /proc. */
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procinfo.h"

#define ID     "ec5404e28c6a6f7d5707b7c6653a725cad0909253f3d8ee0b29aaac221360ea3"
#define ID2    "eba50e89e69e8931e59be92eca2c6a3fa6e02f673d6b09b076866a2e9670882b"
#define UID    "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b"
#define UID_   "1b2c3d4e_5f60_4718_9a2b_3c4d5e6f7a8b" /* as the systemd driver writes it */
#define UID2   "9692aa0e-748e-11e8-8dfa-76d458035df6"
#define UID2_  "9692aa0e_748e_11e8_8dfa_76d458035df6"
#define STATIC "36b6d6be73b1065af369b3985edafa09" /* a static pod: md5 of its manifest */
#define BURST  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice"

_Static_assert(sizeof(ID) == PROCINFO_CONTAINER_ID_LEN, "ID is 64 hex digits");
_Static_assert(sizeof(ID2) == PROCINFO_CONTAINER_ID_LEN, "ID2 is 64 hex digits");
_Static_assert(sizeof(UID) == PROCINFO_POD_UID_LEN, "UID is 8-4-4-4-12");

/* container_of(path) must say exactly this (runtime NULL for none); true iff id is not "". */
static void assert_container(const char *path, const char *id, const char *pod, const char *runtime)
{
	struct procinfo_container c;
	memset(&c, 'x', sizeof(c)); /* whatever was there before must not show through */
	bool found = procinfo_container_of(path, &c);
	assert_string_equal(c.container_id, id);
	assert_string_equal(c.pod_uid, pod);
	if (runtime)
		assert_string_equal(c.runtime, runtime);
	else
		assert_null(c.runtime);
	assert_int_equal(found, id[0] != '\0');
}

static void assert_no_container(const char *path)
{
	assert_container(path, "", "", NULL);
}

/* --- containerd --- */

static void test_procinfo_containerd_systemd_burstable_gives_id_and_dashed_pod_uid(void **state)
{
	assert_container(BURST "/cri-containerd-" ID ".scope", ID, UID, "containerd");
}

static void test_procinfo_containerd_systemd_besteffort(void **state)
{
	assert_container("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID2_
			 ".slice/cri-containerd-" ID ".scope",
			 ID, UID2, "containerd");
}

static void test_procinfo_containerd_systemd_guaranteed_pod_sits_under_kubepods(void **state)
{
	assert_container("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
			 ID, UID, "containerd");
}

static void test_procinfo_containerd_cgroupfs_burstable(void **state)
{
	assert_container("/kubepods/burstable/pod" UID "/" ID, ID, UID, "containerd");
}

static void test_procinfo_containerd_cgroupfs_guaranteed(void **state)
{
	assert_container("/kubepods/pod" UID "/" ID, ID, UID, "containerd");
}

static void test_procinfo_static_pod_uid_of_32_hex_digits_is_taken_as_is(void **state)
{
	assert_container("/kubepods/burstable/pod" STATIC "/" ID, ID, STATIC, "containerd");
	assert_container("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC
			 ".slice/cri-containerd-" ID ".scope",
			 ID, STATIC, "containerd");
}

static void test_procinfo_containerd_slice_colon_prefix_colon_id_form(void **state)
{
	/* containerd asked for systemd cgroups where no systemd manages them (k3s, kind) */
	assert_container("/system.slice/containerd.service/kubepods-burstable-pod" UID_
			 ".slice:cri-containerd:" ID,
			 ID, UID, "containerd");
	assert_container("/system.slice/containerd.service/kubepods-burstable-pod" STATIC
			 ".slice:cri-containerd:" ID,
			 ID, STATIC, "containerd");
}

static void test_procinfo_pod_cgroup_without_a_container_gives_only_the_pod(void **state)
{
	assert_container(BURST, "", UID, NULL);
	assert_container("/kubepods/besteffort/pod" UID, "", UID, NULL);
}

/* --- CRI-O --- */

static void test_procinfo_crio_systemd_scope(void **state)
{
	assert_container(BURST "/crio-" ID ".scope", ID, UID, "cri-o");
}

static void test_procinfo_crio_cgroupfs(void **state)
{
	assert_container("/kubepods/besteffort/pod" UID "/crio-" ID, ID, UID, "cri-o");
}

static void test_procinfo_crio_container_subcgroup_stays_in_the_container(void **state)
{
	assert_container(BURST "/crio-" ID ".scope/container", ID, UID, "cri-o");
}

static void test_procinfo_crio_conmon_is_in_the_pod_but_not_in_the_container(void **state)
{
	assert_container(BURST "/crio-conmon-" ID ".scope", "", UID, "cri-o");
	assert_container("/kubepods/besteffort/pod" UID "/crio-conmon-" ID, "", UID, "cri-o");
}

/* --- Docker --- */

static void test_procinfo_docker_cgroupfs(void **state)
{
	assert_container("/docker/" ID, ID, "", "docker");
}

static void test_procinfo_docker_systemd_scope(void **state)
{
	assert_container("/system.slice/docker-" ID ".scope", ID, "", "docker");
}

static void test_procinfo_dockershim_systemd_pod(void **state)
{
	assert_container(BURST "/docker-" ID ".scope", ID, UID, "docker");
}

/* --- nesting: kind, k3s, cgroup namespaces --- */

static void test_procinfo_kind_pod_inside_a_node_container_gives_the_inner_ids(void **state)
{
	assert_container("/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
			 "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
			 ".slice/cri-containerd-" ID ".scope",
			 ID, UID, "containerd");
}

static void test_procinfo_kind_node_process_outside_pods_is_in_the_node_container(void **state)
{
	assert_container("/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet.service", ID2,
			 "", "docker");
}

static void test_procinfo_kind_pod_cgroup_inside_a_node_clears_the_node_container(void **state)
{
	assert_container("/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
			 "kubelet-kubepods-pod" UID_ ".slice",
			 "", UID, NULL);
}

static void test_procinfo_old_kind_cgroupfs_under_docker(void **state)
{
	assert_container("/docker/" ID2 "/kubepods/besteffort/pod" UID "/" ID, ID, UID,
			 "containerd");
}

static void test_procinfo_kubepods_under_containerd_service_prefix(void **state)
{
	assert_container("/system.slice/containerd.service/kubepods/besteffort/pod" UID "/" ID, ID,
			 UID, "containerd");
}

static void test_procinfo_cgroup_namespace_dotdot_prefix_is_passed_over(void **state)
{
	assert_container("/../../.." BURST "/cri-containerd-" ID ".scope", ID, UID, "containerd");
	assert_no_container("/../..");
}

static void test_procinfo_docker_in_docker_inside_a_pod_keeps_the_pod(void **state)
{
	assert_container("/kubepods/burstable/pod" UID "/" ID2 "/docker/" ID, ID, UID, "docker");
}

static void test_procinfo_bare_id_elsewhere_is_a_container_of_unknown_runtime(void **state)
{
	assert_container("/default/" ID, ID, "", NULL); /* ctr/nerdctl namespace "default" */
}

/* --- not containers --- */

static void test_procinfo_host_cgroups_are_not_containers(void **state)
{
	assert_no_container("/");
	assert_no_container("/init.scope");
	assert_no_container("/system.slice/containerd.service");
	assert_no_container("/user.slice/user-1000.slice/session-3.scope");
	assert_no_container("/kubepods.slice/kubepods-burstable.slice");
	assert_no_container("/kubelet.slice/kubelet-kubepods.slice");
}

static void test_procinfo_empty_and_null_paths_give_nothing(void **state)
{
	assert_no_container("");
	assert_no_container("//");
	struct procinfo_container c;
	memset(&c, 'x', sizeof(c));
	assert_false(procinfo_container_of(NULL, &c));
	assert_string_equal(c.container_id, "");
}

static void test_procinfo_ids_of_63_or_65_hex_digits_are_rejected(void **state)
{
	const char *id63 = ID + 1;
	char path[256];
	snprintf(path, sizeof(path), "/docker/%s", id63);
	assert_no_container(path);
	snprintf(path, sizeof(path), "/docker/%s0", ID);
	assert_no_container(path);
	snprintf(path, sizeof(path), BURST "/cri-containerd-%s.scope", id63);
	assert_container(path, "", UID, NULL);
	snprintf(path, sizeof(path), BURST "/cri-containerd-%sa.scope", ID);
	assert_container(path, "", UID, NULL);
	snprintf(path, sizeof(path), BURST "/crio-%s.scope", id63);
	assert_container(path, "", UID, NULL);
	snprintf(path, sizeof(path), "/system.slice/docker-%s0.scope", ID);
	assert_no_container(path);
	snprintf(path, sizeof(path), "/kubepods/pod" UID "/%s", id63);
	assert_container(path, "", UID, NULL);
}

static void test_procinfo_upper_case_and_almost_hex_ids_are_rejected(void **state)
{
	char id[] = ID;
	id[10] = 'E'; /* upper case */
	char path[256];
	snprintf(path, sizeof(path), "/docker/%s", id);
	assert_no_container(path);
	snprintf(path, sizeof(path), BURST "/cri-containerd-%s.scope", id);
	assert_container(path, "", UID, NULL);
	id[10] = 'g'; /* not hex */
	snprintf(path, sizeof(path), "/docker/%s", id);
	assert_no_container(path);
	id[10] = '-';
	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	assert_no_container(path);
}

static void test_procinfo_wrong_suffixes_around_an_id_are_rejected(void **state)
{
	assert_no_container("/system.slice/docker-" ID ".scopex");
	assert_no_container("/system.slice/docker-" ID ".scope.scope");
	assert_no_container("/system.slice/docker-" ID ".service");
	assert_no_container("/docker/" ID ".scope"); /* a bare id never has .scope */
	assert_no_container("/system.slice/podman-" ID ".scope");
	assert_no_container("/system.slice/cri-containerd" ID ".scope");
}

static void test_procinfo_malformed_pod_uids_are_not_pods(void **state)
{
	assert_no_container("/kubepods/pod" UID_);			  /* cgroupfs uses dashes */
	assert_no_container("/kubepods.slice/kubepods-pod" UID ".slice"); /* systemd: no dashes */
	assert_no_container("/kubepods/pod1B2C3D4E-5F60-4718-9A2B-3C4D5E6F7A8B");  /* upper */
	assert_no_container("/kubepods/pod1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8");   /* short */
	assert_no_container("/kubepods/pod1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b0"); /* long */
	assert_no_container("/kubepods/pod1b2c3d4e5-f60-4718-9a2b-3c4d5e6f7a8b");  /* dash moved */
	assert_no_container("/kubepods/pod1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8g");  /* not hex */
	assert_no_container("/system.slice/system-pod" UID_ ".slice"); /* not under kubepods */
	assert_no_container("/kubepods/pod");
	assert_no_container("/kubepods.slice/kubepods-pod.slice");
	/* a malformed pod does not spoil the container below it */
	assert_container("/kubepods/podX/" ID, ID, "", NULL);
}

static void test_procinfo_very_long_paths_are_read_to_the_end(void **state)
{
	size_t n = 1 << 20;
	char *path = malloc(n + sizeof(BURST "/cri-containerd-" ID ".scope"));
	assert_non_null(path);
	for (size_t i = 0; i < n; i += 2)
		memcpy(path + i, "/a", 2);
	path[n] = '\0';
	assert_no_container(path);
	strcpy(path + n, BURST "/cri-containerd-" ID ".scope");
	assert_container(path, ID, UID, "containerd");

	memset(path, 'a', n); /* one enormous hex name */
	path[0] = '/';
	path[n] = '\0';
	assert_no_container(path);
	memset(path, ':', n); /* nothing but separators */
	path[n] = '\0';
	assert_no_container(path);
	free(path);
}

/* --- the fixture proc root --- */

/* A fake PROC/pid: each of comm, exe (a symlink) and cgroup only when not NULL. */
static void add_proc(const char *root, const char *pid, const char *comm, const char *exe,
		     const char *cgroup)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, pid);
	assert_int_equal(mkdir(path, 0755), 0);
	if (comm) {
		snprintf(path, sizeof(path), "%s/%s/comm", root, pid);
		unit_write_file(path, comm, strlen(comm));
	}
	if (exe) {
		snprintf(path, sizeof(path), "%s/%s/exe", root, pid);
		assert_int_equal(symlink(exe, path), 0);
	}
	if (cgroup) {
		snprintf(path, sizeof(path), "%s/%s/cgroup", root, pid);
		unit_write_file(path, cgroup, strlen(cgroup));
	}
}

#define HYBRID_CGROUP                                                                              \
	"12:memory:/kubepods/burstable/pod" UID "/" ID "\n"                                        \
	"1:name=systemd:/kubepods/burstable/pod" UID "/" ID "\n"                                   \
	"0::" BURST "/cri-containerd-" ID ".scope\n"

static int make_proc(void **state)
{
	char *root = malloc(PATH_MAX);
	if (!root)
		return -1;
	unit_temp_dir(root, PATH_MAX);
	*state = root;
	/* created out of order: readdir's order is not the answer's */
	add_proc(root, "3000", "kube-controller\n", "/usr/local/bin/kube-controller-manager", NULL);
	add_proc(root, "250", "sshd\n", "/usr/sbin/sshd (deleted)",
		 "0::/system.slice/ssh.service\n");
	add_proc(root, "100", "sshd\n", "/usr/sbin/sshd", HYBRID_CGROUP);
	add_proc(root, "7", "sshd\n", "/usr/sbin/sshd", "0::/system.slice/ssh.service\n");
	add_proc(root, "20", "bash\n", "/usr/bin/bash", "2:cpu:/0::/not-this\n1:name=systemd:/\n");
	add_proc(root, "55", "kworker/0:1\n", NULL, "0::/\n");
	add_proc(root, "61", "sshd", "/usr/sbin/sshd", "0::/no/newline");
	add_proc(root, "4000", NULL, NULL, NULL); /* exited while we looked */
	add_proc(root, "12abc", "sshd\n", "/usr/sbin/sshd", NULL);
	add_proc(root, "0", "sshd\n", "/usr/sbin/sshd", NULL);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/self", root);
	assert_int_equal(symlink("100", path), 0);
	return 0;
}

static int remove_proc(void **state)
{
	unit_remove_tree(*state);
	free(*state);
	return 0;
}

static void test_procinfo_find_by_comm_gives_pids_lowest_first(void **state)
{
	pid_t out[8];
	assert_int_equal(procinfo_find(*state, "sshd", out, 8), 4);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 61);
	assert_int_equal(out[2], 100);
	assert_int_equal(out[3], 250);
}

static void test_procinfo_find_counts_all_but_keeps_only_max_lowest(void **state)
{
	pid_t out[3] = {-1, -1, -1};
	assert_int_equal(procinfo_find(*state, "sshd", out, 2), 4);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 61);
	assert_int_equal(out[2], -1);
	assert_int_equal(procinfo_find(*state, "sshd", NULL, 0), 4);
}

static void test_procinfo_find_keeps_the_lowest_whatever_order_the_directory_gives(void **state)
{
	char pid[16];
	for (unsigned i = 0; i < 40; i++) { /* pids 1000..1039, made in a scrambled order */
		snprintf(pid, sizeof(pid), "%u", 1000 + (i * 17) % 40);
		add_proc(*state, pid, "worker\n", NULL, NULL);
	}
	for (size_t max = 1; max <= 5; max++) {
		pid_t out[5];
		assert_int_equal(procinfo_find(*state, "worker", out, max), 40);
		for (size_t i = 0; i < max; i++)
			assert_int_equal(out[i], 1000 + (pid_t)i);
	}
}

static void test_procinfo_find_compares_only_the_15_bytes_the_kernel_keeps(void **state)
{
	pid_t out[2];
	assert_int_equal(procinfo_find(*state, "kube-controller-manager", out, 2), 1);
	assert_int_equal(out[0], 3000);
	assert_int_equal(procinfo_find(*state, "kube-controller", out, 2), 1);
	assert_int_equal(procinfo_find(*state, "kube-controlle", out, 2), 0);
	assert_int_equal(procinfo_find(*state, "ssh", out, 2), 0);
	assert_int_equal(procinfo_find(*state, "sshd2", out, 2), 0);
}

static void test_procinfo_find_by_exe_skips_deleted_executables(void **state)
{
	pid_t out[8];
	assert_int_equal(procinfo_find(*state, "/usr/sbin/sshd", out, 8), 3);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 61);
	assert_int_equal(out[2], 100);
	assert_int_equal(procinfo_find(*state, "/usr/local/bin/kube-controller-manager", out, 8),
			 1);
	assert_int_equal(out[0], 3000);
	assert_int_equal(procinfo_find(*state, "/usr/sbin", out, 8), 0);
}

static void test_procinfo_find_of_nothing_there_gives_zero(void **state)
{
	pid_t out[1];
	assert_int_equal(procinfo_find(*state, "nginx", out, 1), 0);
	assert_int_equal(procinfo_find(*state, "/usr/sbin/nginx", out, 1), 0);
}

static void test_procinfo_find_rejects_empty_and_relative_path_names(void **state)
{
	pid_t out[1];
	assert_int_equal(procinfo_find(*state, "", out, 1), -EINVAL);
	assert_int_equal(procinfo_find(*state, "sbin/sshd", out, 1), -EINVAL);
}

static void test_procinfo_find_in_a_missing_proc_root_is_an_error(void **state)
{
	char path[PATH_MAX];
	pid_t out[1];
	snprintf(path, sizeof(path), "%s/missing", (const char *)*state);
	assert_int_equal(procinfo_find(path, "sshd", out, 1), -ENOENT);
}

static void test_procinfo_exe_reads_the_link_deleted_suffix_and_all(void **state)
{
	char buf[PATH_MAX];
	assert_int_equal(procinfo_exe(*state, 100, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/usr/sbin/sshd");
	assert_int_equal(procinfo_exe(*state, 250, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/usr/sbin/sshd (deleted)");
}

static void test_procinfo_exe_too_long_for_the_buffer_is_erange(void **state)
{
	char buf[15]; /* "/usr/sbin/sshd" + NUL: exactly enough */
	assert_int_equal(procinfo_exe(*state, 100, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/usr/sbin/sshd");
	assert_int_equal(procinfo_exe(*state, 100, buf, 14), -ERANGE);
	assert_int_equal(procinfo_exe(*state, 100, buf, 0), -ERANGE);
}

static void test_procinfo_exe_of_a_gone_process_is_enoent(void **state)
{
	char buf[64];
	assert_int_equal(procinfo_exe(*state, 4000, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(procinfo_exe(*state, 4001, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(procinfo_exe(*state, 55, buf, sizeof(buf)), -ENOENT);
}

static void test_procinfo_cgroup_reads_a_v2_only_file(void **state)
{
	char buf[256];
	assert_int_equal(procinfo_cgroup(*state, 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/system.slice/ssh.service");
	assert_int_equal(procinfo_cgroup(*state, 55, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/");
}

static void test_procinfo_cgroup_finds_the_v2_line_after_v1_lines(void **state)
{
	char buf[256];
	struct procinfo_container c;
	assert_int_equal(procinfo_cgroup(*state, 100, buf, sizeof(buf)), 0);
	assert_string_equal(buf, BURST "/cri-containerd-" ID ".scope");
	assert_true(procinfo_container_of(buf, &c));
	assert_string_equal(c.container_id, ID);
}

static void test_procinfo_cgroup_last_line_without_newline(void **state)
{
	char buf[256];
	assert_int_equal(procinfo_cgroup(*state, 61, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/no/newline");
}

static void test_procinfo_cgroup_without_a_v2_line_is_enoent(void **state)
{
	char buf[256];
	assert_int_equal(procinfo_cgroup(*state, 20, buf, sizeof(buf)), -ENOENT);
}

static void test_procinfo_cgroup_too_long_for_the_buffer_is_erange(void **state)
{
	char buf[sizeof("/system.slice/ssh.service")];
	assert_int_equal(procinfo_cgroup(*state, 7, buf, sizeof(buf)), 0);
	assert_int_equal(procinfo_cgroup(*state, 7, buf, sizeof(buf) - 1), -ERANGE);
	assert_int_equal(procinfo_cgroup(*state, 7, buf, 0), -ERANGE);
}

static void test_procinfo_cgroup_of_a_gone_process_is_enoent(void **state)
{
	char buf[64];
	assert_int_equal(procinfo_cgroup(*state, 4000, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(procinfo_cgroup(*state, 0, buf, sizeof(buf)), -EINVAL);
}

static void test_procinfo_cgroup_lines_longer_than_any_read_chunk(void **state)
{
	/* v1 lines of 10000 bytes (to be skipped) around a v2 line of 10000 */
	size_t n = 10000;
	char *text = malloc(3 * (n + 16)), *want = malloc(n + 1), *buf = malloc(n + 1);
	assert_non_null(text);
	assert_non_null(want);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i += 2)
		memcpy(want + i, "/b", 2);
	want[n] = '\0';
	snprintf(text, 3 * (n + 16), "3:cpu:%s\n0::%s\n2:memory:%s\n", want, want, want);
	add_proc(*state, "90", NULL, NULL, text);
	assert_int_equal(procinfo_cgroup(*state, 90, buf, n + 1), 0);
	assert_string_equal(buf, want);
	assert_int_equal(procinfo_cgroup(*state, 90, buf, n), -ERANGE);
	free(text);
	free(want);
	free(buf);
}

/* --- the real /proc --- */

static void test_procinfo_real_proc_finds_this_process_by_comm(void **state)
{
	char *comm = unit_read_file("/proc/self/comm", NULL);
	comm[strcspn(comm, "\n")] = '\0';
	pid_t out[64];
	int n = procinfo_find("/proc", comm, out, 64);
	assert_true(n >= 1);
	bool self = false;
	for (int i = 0; i < n && i < 64; i++) {
		self |= out[i] == getpid();
		if (i > 0)
			assert_true(out[i - 1] < out[i]);
	}
	assert_true(self);
	free(comm);
}

static void test_procinfo_real_proc_finds_this_process_by_exe(void **state)
{
	char exe[PATH_MAX];
	if (unit_under_valgrind()) {
		print_message("# under valgrind: /proc/PID/exe is not this program: skipped\n");
		skip();
	}
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';
	pid_t out[64];
	int n = procinfo_find("/proc", exe, out, 64);
	assert_true(n >= 1);
	bool self = false;
	for (int i = 0; i < n && i < 64; i++)
		self |= out[i] == getpid();
	assert_true(self);

	char buf[PATH_MAX];
	assert_int_equal(procinfo_exe("/proc", getpid(), buf, sizeof(buf)), 0);
	assert_string_equal(buf, exe);
}

static void test_procinfo_real_proc_cgroup_of_this_process_is_a_path(void **state)
{
	char buf[PATH_MAX];
	struct procinfo_container c;
	assert_int_equal(procinfo_cgroup("/proc", getpid(), buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], '/');
	procinfo_container_of(buf, &c); /* whatever it is, it is read without harm */
}

#define FIXTURE(t) cmocka_unit_test_setup_teardown(t, make_proc, remove_proc)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_procinfo_containerd_systemd_burstable_gives_id_and_dashed_pod_uid),
	    cmocka_unit_test(test_procinfo_containerd_systemd_besteffort),
	    cmocka_unit_test(test_procinfo_containerd_systemd_guaranteed_pod_sits_under_kubepods),
	    cmocka_unit_test(test_procinfo_containerd_cgroupfs_burstable),
	    cmocka_unit_test(test_procinfo_containerd_cgroupfs_guaranteed),
	    cmocka_unit_test(test_procinfo_static_pod_uid_of_32_hex_digits_is_taken_as_is),
	    cmocka_unit_test(test_procinfo_containerd_slice_colon_prefix_colon_id_form),
	    cmocka_unit_test(test_procinfo_pod_cgroup_without_a_container_gives_only_the_pod),
	    cmocka_unit_test(test_procinfo_crio_systemd_scope),
	    cmocka_unit_test(test_procinfo_crio_cgroupfs),
	    cmocka_unit_test(test_procinfo_crio_container_subcgroup_stays_in_the_container),
	    cmocka_unit_test(test_procinfo_crio_conmon_is_in_the_pod_but_not_in_the_container),
	    cmocka_unit_test(test_procinfo_docker_cgroupfs),
	    cmocka_unit_test(test_procinfo_docker_systemd_scope),
	    cmocka_unit_test(test_procinfo_dockershim_systemd_pod),
	    cmocka_unit_test(test_procinfo_kind_pod_inside_a_node_container_gives_the_inner_ids),
	    cmocka_unit_test(test_procinfo_kind_node_process_outside_pods_is_in_the_node_container),
	    cmocka_unit_test(test_procinfo_kind_pod_cgroup_inside_a_node_clears_the_node_container),
	    cmocka_unit_test(test_procinfo_old_kind_cgroupfs_under_docker),
	    cmocka_unit_test(test_procinfo_kubepods_under_containerd_service_prefix),
	    cmocka_unit_test(test_procinfo_cgroup_namespace_dotdot_prefix_is_passed_over),
	    cmocka_unit_test(test_procinfo_docker_in_docker_inside_a_pod_keeps_the_pod),
	    cmocka_unit_test(test_procinfo_bare_id_elsewhere_is_a_container_of_unknown_runtime),
	    cmocka_unit_test(test_procinfo_host_cgroups_are_not_containers),
	    cmocka_unit_test(test_procinfo_empty_and_null_paths_give_nothing),
	    cmocka_unit_test(test_procinfo_ids_of_63_or_65_hex_digits_are_rejected),
	    cmocka_unit_test(test_procinfo_upper_case_and_almost_hex_ids_are_rejected),
	    cmocka_unit_test(test_procinfo_wrong_suffixes_around_an_id_are_rejected),
	    cmocka_unit_test(test_procinfo_malformed_pod_uids_are_not_pods),
	    cmocka_unit_test(test_procinfo_very_long_paths_are_read_to_the_end),
	    FIXTURE(test_procinfo_find_by_comm_gives_pids_lowest_first),
	    FIXTURE(test_procinfo_find_counts_all_but_keeps_only_max_lowest),
	    FIXTURE(test_procinfo_find_keeps_the_lowest_whatever_order_the_directory_gives),
	    FIXTURE(test_procinfo_find_compares_only_the_15_bytes_the_kernel_keeps),
	    FIXTURE(test_procinfo_find_by_exe_skips_deleted_executables),
	    FIXTURE(test_procinfo_find_of_nothing_there_gives_zero),
	    FIXTURE(test_procinfo_find_rejects_empty_and_relative_path_names),
	    FIXTURE(test_procinfo_find_in_a_missing_proc_root_is_an_error),
	    FIXTURE(test_procinfo_exe_reads_the_link_deleted_suffix_and_all),
	    FIXTURE(test_procinfo_exe_too_long_for_the_buffer_is_erange),
	    FIXTURE(test_procinfo_exe_of_a_gone_process_is_enoent),
	    FIXTURE(test_procinfo_cgroup_reads_a_v2_only_file),
	    FIXTURE(test_procinfo_cgroup_finds_the_v2_line_after_v1_lines),
	    FIXTURE(test_procinfo_cgroup_last_line_without_newline),
	    FIXTURE(test_procinfo_cgroup_without_a_v2_line_is_enoent),
	    FIXTURE(test_procinfo_cgroup_too_long_for_the_buffer_is_erange),
	    FIXTURE(test_procinfo_cgroup_of_a_gone_process_is_enoent),
	    FIXTURE(test_procinfo_cgroup_lines_longer_than_any_read_chunk),
	    cmocka_unit_test(test_procinfo_real_proc_finds_this_process_by_comm),
	    cmocka_unit_test(test_procinfo_real_proc_finds_this_process_by_exe),
	    cmocka_unit_test(test_procinfo_real_proc_cgroup_of_this_process_is_a_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
