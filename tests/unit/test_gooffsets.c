/* gooffsets: the DWARF of tests/data/goserver built now with the local go gives exactly the
 * table's row for that Go version (and, with KAA_TEST_GO naming more go commands, for each of
 * them); without DWARF the table answers; versions parse by their minor number; versions the
 * table lacks, and files that are not Go binaries, fail cleanly with a message. */
#include "unit.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "goelf.h"
#include "gooffsets.h"

static void dwarf_ok(const char *path, struct gooffsets *o)
{
	char err[256] = "";
	int rc = gooffsets_from_dwarf(path, o, err, sizeof(err));
	if (rc)
		fail_msg("gooffsets_from_dwarf %s: %s (%d)", path, err, rc);
	assert_string_equal(o->source, "DWARF");
}

static void table_ok(const char *version, struct gooffsets *o)
{
	if (gooffsets_from_table(version, o))
		fail_msg("gooffsets_from_table(\"%s\") failed", version);
}

/* Field by field, so a failure names the field. */
static void assert_offsets_equal(const struct http_offsets *a, const struct http_offsets *b)
{
	assert_int_equal(a->req_method, b->req_method);
	assert_int_equal(a->req_header, b->req_header);
	assert_int_equal(a->req_remote_addr, b->req_remote_addr);
	assert_int_equal(a->req_request_uri, b->req_request_uri);
	assert_int_equal(a->req_tls, b->req_tls);
	assert_int_equal(a->tls_peer_certs, b->tls_peer_certs);
	assert_int_equal(a->map_layout, b->map_layout);
	assert_int_equal(a->req_reg, b->req_reg);
}

/* "table go1.N" for version "go1.N..." */
static void table_source(const char *version, char *buf, size_t n)
{
	unsigned minor = 0;
	assert_int_equal(sscanf(version, "go1.%u", &minor), 1);
	snprintf(buf, n, "table go1.%u", minor);
}

/* --- real Go binaries ----------------------------------------------------------------------- */

static void test_gooffsets_dwarf_of_local_go_build_equals_its_table_row(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct gooffsets d, t;
	dwarf_ok(b->bin, &d);
	table_ok(b->version, &t);
	assert_offsets_equal(&d.off, &t.off);
	assert_string_equal(d.go_version, b->version); /* from the compile units' producer */
	print_message("# %s: DWARF = %s (Method %u Header %u RemoteAddr %u RequestURI %u TLS %u "
		      "PeerCertificates %u map layout %u)\n",
		      b->version, t.source, d.off.req_method, d.off.req_header,
		      d.off.req_remote_addr, d.off.req_request_uri, d.off.req_tls,
		      d.off.tls_peer_certs, d.off.map_layout);
}

static void test_gooffsets_find_prefers_dwarf(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct goelf *g = unit_goelf_open(b->bin);
	struct gooffsets o, d;
	char err[256] = "";
	assert_int_equal(gooffsets_find(g, b->bin, &o, err, sizeof(err)), 0);
	assert_string_equal(o.source, "DWARF");
	assert_string_equal(o.go_version, b->version);
	dwarf_ok(b->bin, &d);
	assert_offsets_equal(&o.off, &d.off);
	goelf_free(&g);
}

static void test_gooffsets_stripped_build_has_no_dwarf_and_find_uses_the_table(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct gooffsets o, t;
	char err[256] = "", source[48];
	assert_int_equal(gooffsets_from_dwarf(b->stripped, &o, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no DWARF"));

	struct goelf *g = unit_goelf_open(b->stripped);
	err[0] = '\0';
	assert_int_equal(gooffsets_find(g, b->stripped, &o, err, sizeof(err)), 0);
	table_source(b->version, source, sizeof(source));
	assert_string_equal(o.source, source); /* "table go1.19" with go1.19.8 */
	assert_string_equal(o.go_version, b->version);
	table_ok(b->version, &t);
	assert_offsets_equal(&o.off, &t.off);
	goelf_free(&g);
}

/* objcopy rewrites Go's SHF_COMPRESSED sections as GNU .zdebug_* ones (older Go linkers wrote
 * those) or plain ones: libdw reads all three to the same offsets. */
static void test_gooffsets_zdebug_and_uncompressed_dwarf_read_alike(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	const char *modes[] = {"--compress-debug-sections=zlib-gnu", "--decompress-debug-sections"};
	char out[256], cmd[512], path[160];
	struct gooffsets d, o;
	if (unit_run("command -v objcopy", out, sizeof(out))) {
		print_message("# objcopy (binutils) is not on PATH: skipped\n");
		skip();
	}
	dwarf_ok(b->bin, &d);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/goserver-objcopy%zu", b->dir, i);
		snprintf(cmd, sizeof(cmd), "objcopy %s '%s' '%s' 2>&1", modes[i], b->bin, path);
		if (unit_run(cmd, out, sizeof(out)))
			fail_msg("%s: %s", cmd, out);
		dwarf_ok(path, &o);
		assert_offsets_equal(&o.off, &d.off);
	}
}

/* A copy of the binary at path, its Go version's minor number changed to minor (two digits). */
static void copy_with_go_minor(struct unit_gobins *b, const char *path, const char *minor,
			       const char *copy)
{
	size_t len;
	char *data = unit_read_file(path, &len);
	char *bi = memmem(data, len, "\xff Go buildinf:", 14);
	assert_non_null(bi);
	char *v = memmem(bi, len - (size_t)(bi - data), b->version, strlen(b->version));
	assert_non_null(v);
	assert_true(strlen(b->version) >= 6 && v[4] >= '0' && v[4] <= '9' && v[5] >= '0' &&
		    v[5] <= '9');
	memcpy(v + 4, minor, 2);
	unit_write_file(copy, data, len);
	free(data);
}

static void test_gooffsets_find_without_dwarf_for_go_the_table_lacks_is_enotsup(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	char copy[160], err[512] = "";
	struct gooffsets o;
	snprintf(copy, sizeof(copy), "%s/goserver-go199", b->dir);
	copy_with_go_minor(b, b->stripped, "99", copy);
	struct goelf *g = unit_goelf_open(copy);
	assert_int_equal(gooffsets_find(g, copy, &o, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "go1.99"));
	assert_non_null(strstr(err, "connections only"));
	assert_non_null(strstr(err, "agent/gooffsets.c"));
	assert_non_null(strstr(err, "no DWARF"));
	assert_null(strchr(err, '\n'));
	goelf_free(&g);
}

static void test_gooffsets_find_with_dwarf_supports_go_the_table_lacks(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	char copy[160], err[512] = "";
	struct gooffsets o, d;
	snprintf(copy, sizeof(copy), "%s/goserver-go199-dwarf", b->dir);
	copy_with_go_minor(b, b->bin, "99", copy);
	struct goelf *g = unit_goelf_open(copy);
	assert_int_equal(gooffsets_find(g, copy, &o, err, sizeof(err)), 0);
	assert_string_equal(o.source, "DWARF");
	assert_memory_equal(o.go_version, "go1.99", 6); /* the build info's version */
	dwarf_ok(b->bin, &d);
	assert_offsets_equal(&o.off, &d.off);
	goelf_free(&g);
}

static void test_gooffsets_find_refuses_go_before_the_register_abi(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	char copy[160], err[512] = "";
	struct gooffsets o;
	snprintf(copy, sizeof(copy), "%s/goserver-go116", b->dir);
	copy_with_go_minor(b, b->bin, "16", copy); /* even with DWARF */
	struct goelf *g = unit_goelf_open(copy);
	assert_int_equal(gooffsets_find(g, copy, &o, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "go1.16"));
	assert_non_null(strstr(err, "connections only"));
	goelf_free(&g);
}

/* Go's version in KAA_TEST_GO's builds: from the binary, which carries " X:noswissmap". */
static void binary_version(const char *path, char *v, size_t n)
{
	struct goelf *g = unit_goelf_open(path);
	if (goelf_go_version(g, v, n))
		fail_msg("%s: %s", path, goelf_error(g));
	goelf_free(&g);
}

/* KAA_TEST_GO="/usr/lib/go-1.24/bin/go /usr/lib/go-1.25/bin/go": each go builds goserver (and,
 * where the experiment exists, with GOEXPERIMENT=noswissmap) and its DWARF must equal its row. */
static void test_gooffsets_dwarf_equals_table_for_every_go_in_kaa_test_go(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	const char *list = getenv("KAA_TEST_GO");
	char gos[1024], path[192], version[128];
	const char *envs[] = {"", "GOEXPERIMENT=noswissmap"};
	int n = 0;

	if (!list || !*list) {
		print_message(
		    "# KAA_TEST_GO (go commands to check the table with) unset: skipped\n");
		skip();
	}
	snprintf(gos, sizeof(gos), "%s", list);
	for (char *save = NULL, *go = strtok_r(gos, " ", &save); go;
	     go = strtok_r(NULL, " ", &save)) {
		for (size_t e = 0; e < 2; e++) {
			struct gooffsets d, t;
			snprintf(path, sizeof(path), "%s/goserver-extra%d", b->dir, n++);
			int rc = unit_go_build(b, go, envs[e], "", path);
			if (rc && e == 1)
				continue; /* no noswissmap experiment in this release */
			if (rc)
				fail_msg("%s build failed (%d): %s", go, rc, b->output);
			binary_version(path, version, sizeof(version));
			dwarf_ok(path, &d);
			if (gooffsets_from_table(version, &t))
				fail_msg("%s (%s): not in the table", go, version);
			print_message("# %s: DWARF = %s%s (map layout %u)\n", version, t.source,
				      memcmp(&d.off, &t.off, sizeof(d.off)) ? " NOT" : "",
				      d.off.map_layout);
			assert_offsets_equal(&d.off, &t.off);
		}
	}
}

/* --- the table ------------------------------------------------------------------------------ */

static void test_gooffsets_go119_row_is_the_measured_one(void **state)
{
	struct gooffsets o;
	table_ok("go1.19.8", &o);
	assert_int_equal(o.off.req_method, 0);
	assert_int_equal(o.off.req_header, 56);
	assert_int_equal(o.off.req_remote_addr, 176);
	assert_int_equal(o.off.req_request_uri, 192);
	assert_int_equal(o.off.req_tls, 208);
	assert_int_equal(o.off.tls_peer_certs, 48);
	assert_int_equal(o.off.map_layout, HTTP_MAP_BUCKETS);
	assert_int_equal(o.off.req_reg, 3);
	assert_string_equal(o.source, "table go1.19");
	assert_string_equal(o.go_version, "go1.19.8");
}

static void test_gooffsets_table_covers_go119_to_go127_with_swiss_maps_from_go124(void **state)
{
	struct gooffsets o, first;
	char v[16], source[48];
	table_ok("go1.19", &first);
	for (unsigned minor = 19; minor <= 27; minor++) {
		snprintf(v, sizeof(v), "go1.%u.1", minor);
		table_ok(v, &o);
		snprintf(source, sizeof(source), "table go1.%u", minor);
		assert_string_equal(o.source, source);
		assert_int_equal(o.off.map_layout, minor >= 24 ? HTTP_MAP_SWISS : HTTP_MAP_BUCKETS);
		o.off.map_layout = first.off.map_layout;
		assert_memory_equal(&o.off, &first.off, sizeof(o.off)); /* no field moved yet */
	}
}

static void expect_row(const char *version, const char *source, unsigned layout)
{
	struct gooffsets o;
	memset(&o, 0, sizeof(o));
	if (gooffsets_from_table(version, &o))
		fail_msg("\"%s\" is not supported", version);
	if (strcmp(o.source, source))
		fail_msg("\"%s\": source \"%s\", expected \"%s\"", version, o.source, source);
	if (o.off.map_layout != layout)
		fail_msg("\"%s\": map layout %u, expected %u", version, o.off.map_layout, layout);
}

static void test_gooffsets_versions_parse_by_their_minor_number(void **state)
{
	expect_row("go1.21.3", "table go1.21", HTTP_MAP_BUCKETS);
	expect_row("go1.19", "table go1.19", HTTP_MAP_BUCKETS);
	expect_row("go1.22rc1", "table go1.22", HTTP_MAP_BUCKETS);
	expect_row("go1.21beta2", "table go1.21", HTTP_MAP_BUCKETS);
	expect_row("go1.23.12", "table go1.23", HTTP_MAP_BUCKETS);
	expect_row("go1.24.0 X:boringcrypto", "table go1.24", HTTP_MAP_SWISS);
	expect_row("devel go1.25-1d4f3c1 Tue Jan 7 10:00:00 2025 +0000", "table go1.25",
		   HTTP_MAP_SWISS);
	expect_row("go1.27.3", "table go1.27", HTTP_MAP_SWISS);
}

static void test_gooffsets_noswissmap_experiment_means_bucket_maps_where_it_exists(void **state)
{
	expect_row("go1.24.4 X:noswissmap", "table go1.24", HTTP_MAP_BUCKETS);
	expect_row("go1.25.1 X:boringcrypto,noswissmap", "table go1.25", HTTP_MAP_BUCKETS);
	expect_row("go1.24.4 X:noswissmapx", "table go1.24", HTTP_MAP_SWISS);
	expect_row("go1.24.4 X:boringcrypto", "table go1.24", HTTP_MAP_SWISS);
	expect_row("go1.26.0 X:noswissmap", "table go1.26", HTTP_MAP_SWISS); /* gone in 1.26 */
}

static void test_gooffsets_versions_outside_the_table_are_enotsup(void **state)
{
	const char *bad[] = {
	    "go1.18.10",
	    "go1.16",
	    "go1.28.0",
	    "go1.100",
	    "go2.0",
	    "go1",
	    "go1.",
	    "go1.x",
	    "go1.019",
	    "go1.21x",
	    "1.21.3",
	    "",
	    "go1.99999999999",
	    "devel +a4c5e1 Tue Jan 7 10:00:00 2025",
	    "gccgo1.21",
	    "go1.-1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gooffsets o;
		memset(&o, 0x5a, sizeof(o));
		if (gooffsets_from_table(bad[i], &o) != -ENOTSUP)
			fail_msg("\"%s\" is supported", bad[i]);
		assert_int_equal(((unsigned char *)&o)[0], 0x5a); /* left alone */
	}
	struct gooffsets o;
	assert_int_equal(gooffsets_from_table(NULL, &o), -ENOTSUP);
}

/* --- not Go binaries ------------------------------------------------------------------------ */

static void expect_dwarf_fails(const char *path, int expected, const char *message)
{
	char err[256] = "";
	struct gooffsets o;
	int rc = gooffsets_from_dwarf(path, &o, err, sizeof(err));
	if (rc != expected || !strstr(err, message))
		fail_msg("%s: %d \"%s\", expected %d \"%s\"", path, rc, err, expected, message);
}

static void test_gooffsets_text_file_empty_file_and_directory_are_not_elf(void **state)
{
	char dir[64], path[128];
	unit_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/text", dir);
	unit_write_file(path, "#!/bin/sh\necho hello\n", 21);
	expect_dwarf_fails(path, -EINVAL, "not an ELF file");
	snprintf(path, sizeof(path), "%s/empty", dir);
	unit_write_file(path, "", 0);
	expect_dwarf_fails(path, -EINVAL, "not an ELF file");
	expect_dwarf_fails(dir, -EINVAL, "not a regular file");
	snprintf(path, sizeof(path), "%s/missing", dir);
	expect_dwarf_fails(path, -ENOENT, "No such file");
	unit_remove_tree(dir);
}

static void test_gooffsets_elf_without_go_types_is_enoent(void **state)
{
	char self[512];
	/* this very test binary: an x86-64 ELF file with DWARF (-g), of C */
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	expect_dwarf_fails(self, -ENOENT, "no net/http.Request");
}

/* The file offset of section name's header in ELF image data, its header to *sh. */
static size_t section_header(const uint8_t *data, size_t len, const char *name, Elf64_Shdr *sh)
{
	Elf64_Ehdr eh;
	Elf64_Shdr names;
	assert_true(len >= sizeof(eh));
	memcpy(&eh, data, sizeof(eh));
	assert_true(eh.e_shoff + (size_t)eh.e_shnum * sizeof(*sh) <= len);
	memcpy(&names, data + eh.e_shoff + eh.e_shstrndx * sizeof(*sh), sizeof(names));
	for (size_t i = 1; i < eh.e_shnum; i++) {
		size_t at = eh.e_shoff + i * sizeof(*sh);
		memcpy(sh, data + at, sizeof(*sh));
		if (names.sh_offset + sh->sh_name < len &&
		    !strcmp((const char *)data + names.sh_offset + sh->sh_name, name))
			return at;
	}
	fail_msg("no section %s", name);
	return 0;
}

static void truncated_copy_fails(struct unit_gobins *b, const char *data, size_t len)
{
	char path[160], err[256] = "";
	struct gooffsets o;
	snprintf(path, sizeof(path), "%s/truncated", b->dir);
	unit_write_file(path, data, len);
	int rc = gooffsets_from_dwarf(path, &o, err, sizeof(err));
	if (rc != -EINVAL || !strstr(err, "truncated?"))
		fail_msg("truncated to %zu bytes: %d \"%s\"", len, rc, err);
}

static void test_gooffsets_truncated_binaries_fail_cleanly(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	size_t len;
	char *data = unit_read_file(b->bin, &len);
	Elf64_Shdr sh;
	section_header((const uint8_t *)data, len, ".debug_info", &sh);
	truncated_copy_fails(b, data, 4096);
	truncated_copy_fails(b, data, len / 2);
	truncated_copy_fails(b, data, sh.sh_offset + sh.sh_size / 2); /* within .debug_info */
	free(data);
}

static void test_gooffsets_dwarf_inflating_past_the_limit_is_refused(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	size_t len;
	uint8_t *data = (uint8_t *)unit_read_file(b->bin, &len);
	Elf64_Shdr sh;
	char path[160];
	section_header(data, len, ".debug_info", &sh);
	assert_true(sh.sh_flags & SHF_COMPRESSED);
	uint64_t huge = (uint64_t)1 << 40; /* Elf64_Chdr.ch_size */
	memcpy(data + sh.sh_offset + 8, &huge, sizeof(huge));
	snprintf(path, sizeof(path), "%s/dwarf-bomb", b->dir);
	unit_write_file(path, data, len);
	expect_dwarf_fails(path, -EFBIG, "DWARF sections over 1024 MiB");
	free(data);
}

/* Damaged DWARF (uncompressed, so the damage reaches libdw's parser, not just zlib): whatever
 * the damage, no crash, hang or leak (ASan checks), and a failure says why. */
static void test_gooffsets_corrupted_dwarf_never_crashes(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	const char *sections[] = {".debug_info", ".debug_abbrev"};
	char plain[160], path[160], cmd[512], out[256];
	size_t len;
	if (unit_run("command -v objcopy", out, sizeof(out))) {
		print_message("# objcopy (binutils) is not on PATH: skipped\n");
		skip();
	}
	snprintf(plain, sizeof(plain), "%s/goserver-plain", b->dir);
	snprintf(cmd, sizeof(cmd), "objcopy --decompress-debug-sections '%s' '%s' 2>&1", b->bin,
		 plain);
	if (unit_run(cmd, out, sizeof(out)))
		fail_msg("%s: %s", cmd, out);
	uint8_t *good = (uint8_t *)unit_read_file(plain, &len);
	uint8_t *data = malloc(len);
	assert_non_null(data);
	snprintf(path, sizeof(path), "%s/corrupt", b->dir);
	srandom(11);
	for (int i = 0; i < 24; i++) {
		Elf64_Shdr sh;
		memcpy(data, good, len);
		section_header(data, len, sections[i % 2], &sh);
		assert_true(sh.sh_size > 0 && sh.sh_offset + sh.sh_size <= len);
		for (int k = 0; k < 1 + i % 8; k++) {
			size_t at = sh.sh_offset + (size_t)random() % sh.sh_size;
			data[at] = k % 2 ? (uint8_t)random() : 0xff;
		}
		unit_write_file(path, data, len);
		char err[256] = "";
		struct gooffsets o;
		int rc = gooffsets_from_dwarf(path, &o, err, sizeof(err));
		if (rc)
			assert_true(err[0] != '\0');
		else
			assert_true(o.off.req_tls < 4096 && o.off.tls_peer_certs < 4096);
	}
	free(good);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gooffsets_dwarf_of_local_go_build_equals_its_table_row),
	    cmocka_unit_test(test_gooffsets_find_prefers_dwarf),
	    cmocka_unit_test(test_gooffsets_stripped_build_has_no_dwarf_and_find_uses_the_table),
	    cmocka_unit_test(test_gooffsets_zdebug_and_uncompressed_dwarf_read_alike),
	    cmocka_unit_test(test_gooffsets_find_without_dwarf_for_go_the_table_lacks_is_enotsup),
	    cmocka_unit_test(test_gooffsets_find_with_dwarf_supports_go_the_table_lacks),
	    cmocka_unit_test(test_gooffsets_find_refuses_go_before_the_register_abi),
	    cmocka_unit_test(test_gooffsets_dwarf_equals_table_for_every_go_in_kaa_test_go),
	    cmocka_unit_test(test_gooffsets_go119_row_is_the_measured_one),
	    cmocka_unit_test(test_gooffsets_table_covers_go119_to_go127_with_swiss_maps_from_go124),
	    cmocka_unit_test(test_gooffsets_versions_parse_by_their_minor_number),
	    cmocka_unit_test(
		test_gooffsets_noswissmap_experiment_means_bucket_maps_where_it_exists),
	    cmocka_unit_test(test_gooffsets_versions_outside_the_table_are_enotsup),
	    cmocka_unit_test(test_gooffsets_text_file_empty_file_and_directory_are_not_elf),
	    cmocka_unit_test(test_gooffsets_elf_without_go_types_is_enoent),
	    cmocka_unit_test(test_gooffsets_truncated_binaries_fail_cleanly),
	    cmocka_unit_test(test_gooffsets_dwarf_inflating_past_the_limit_is_refused),
	    cmocka_unit_test(test_gooffsets_corrupted_dwarf_never_crashes),
	};
	return cmocka_run_group_tests(tests, unit_gobins_setup, unit_gobins_teardown);
}
