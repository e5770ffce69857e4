/* goelf: in real Go binaries (tests/data/goserver built now, normal and -s -w) the Go version is
 * `go env GOVERSION` and ServeHTTP is found at the same address and file offset through .symtab
 * and .gopclntab; small synthetic ELF files pin down both build info and pclntab layouts; every
 * malformed or truncated file is refused with a message, never read outside of. */
#include "unit.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "goelf.h"

#define SERVE_HTTP "net/http.serverHandler.ServeHTTP"

static void find_ok(struct goelf *g, enum goelf_source src, uint64_t *addr, uint64_t *off)
{
	int rc = goelf_find_func_from(g, src, SERVE_HTTP, addr, off);
	if (rc)
		fail_msg("goelf_find_func_from(%d): %s (%d)", src, goelf_error(g), rc);
}

/* --- real Go binaries ----------------------------------------------------------------------- */

static void test_goelf_version_is_go_env_goversion(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	const char *bins[] = {b->bin, b->stripped};
	for (size_t i = 0; i < 2; i++) {
		struct goelf *g = unit_goelf_open(bins[i]);
		char v[64];
		assert_int_equal(goelf_go_version(g, v, sizeof(v)), 0);
		assert_string_equal(v, b->version);
		goelf_free(&g);
		assert_null(g);
	}
}

static void test_goelf_version_too_long_for_buffer_is_erange(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct goelf *g = unit_goelf_open(b->bin);
	char v[4];
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), -ERANGE);
	assert_non_null(strstr(goelf_error(g), "does not fit"));
	goelf_free(&g);
}

static void test_goelf_stripped_binary_has_no_symtab(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct goelf *g = unit_goelf_open(b->bin);
	struct goelf *s = unit_goelf_open(b->stripped);
	assert_true(goelf_has_symtab(g));
	assert_false(goelf_has_symtab(s));
	assert_int_equal(goelf_find_func_from(s, GOELF_SYMTAB, SERVE_HTTP, NULL, NULL), -ENOENT);
	assert_non_null(strstr(goelf_error(s), "no .symtab"));
	goelf_free(&g);
	goelf_free(&s);
}

static void test_goelf_serve_http_at_same_address_in_both_binaries(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct goelf *g = unit_goelf_open(b->bin);
	struct goelf *s = unit_goelf_open(b->stripped);
	uint64_t a1 = 0, o1 = 0, a2 = 0, o2 = 0;
	assert_int_equal(goelf_find_func(g, SERVE_HTTP, &a1, &o1), 0);
	assert_int_equal(goelf_find_func(s, SERVE_HTTP, &a2, &o2), 0);
	assert_true(a1 != 0);
	assert_int_equal(a1, a2);
	assert_int_equal(o1, o2);
	assert_string_equal(goelf_error(g), "");
	goelf_free(&g);
	goelf_free(&s);
}

static void test_goelf_symtab_and_pclntab_agree(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	struct goelf *g = unit_goelf_open(b->bin);
	uint64_t a1 = 0, o1 = 0, a2 = 0, o2 = 0;
	find_ok(g, GOELF_SYMTAB, &a1, &o1);
	find_ok(g, GOELF_PCLNTAB, &a2, &o2);
	assert_int_equal(a1, a2);
	assert_int_equal(o1, o2);
	goelf_free(&g);
}

/* Go on amd64 (1.17+) opens a function with its stack check: cmp rsp or r12 (rsp minus the
 * frame, from lea) against g.stackguard0 at [r14+16]. */
static bool is_go_prologue(const uint8_t *p)
{
	static const uint8_t cmp_rsp[] = {0x49, 0x3b, 0x66, 0x10};
	static const uint8_t lea8[] = {0x4c, 0x8d, 0x64, 0x24}, lea32[] = {0x4c, 0x8d, 0xa4, 0x24};
	static const uint8_t cmp_r12[] = {0x4d, 0x3b, 0x66, 0x10};
	return !memcmp(p, cmp_rsp, 4) || (!memcmp(p, lea8, 4) && !memcmp(p + 5, cmp_r12, 4)) ||
	       (!memcmp(p, lea32, 4) && !memcmp(p + 8, cmp_r12, 4));
}

static void test_goelf_file_offset_holds_the_function_entry(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	size_t len1, len2;
	uint8_t *f1 = (uint8_t *)unit_read_file(b->bin, &len1);
	uint8_t *f2 = (uint8_t *)unit_read_file(b->stripped, &len2);
	struct goelf *g = unit_goelf_open(b->bin);
	struct goelf *s = unit_goelf_open(b->stripped);
	uint64_t a, o_sym, o_pcln;
	find_ok(g, GOELF_SYMTAB, &a, &o_sym);
	find_ok(s, GOELF_PCLNTAB, &a, &o_pcln);
	assert_true(o_sym + 16 <= len1 && o_pcln + 16 <= len2);
	assert_memory_equal(f1 + o_sym, f2 + o_pcln, 16);
	if (!is_go_prologue(f1 + o_sym))
		fail_msg("no Go stack-check prologue at offset 0x%llx", (unsigned long long)o_sym);
	goelf_free(&g);
	goelf_free(&s);
	free(f1);
	free(f2);
}

static void test_goelf_missing_function_is_enoent(void **state)
{
	struct unit_gobins *b = unit_need_go(state);
	const char *bins[] = {b->bin, b->stripped};
	for (size_t i = 0; i < 2; i++) {
		struct goelf *g = unit_goelf_open(bins[i]);
		uint64_t a = 7;
		assert_int_equal(goelf_find_func(g, "net/http.noSuchFunc", &a, NULL), -ENOENT);
		assert_non_null(strstr(goelf_error(g), "net/http.noSuchFunc not found"));
		assert_int_equal(a, 7);
		/* a prefix of a real name is not that name */
		assert_int_equal(goelf_find_func(g, "net/http.serverHandler.Serve", NULL, NULL),
				 -ENOENT);
		goelf_free(&g);
	}
}

static void expect_open_fails(const char *path, const char *message)
{
	char err[256] = "";
	struct goelf *g = NULL;
	assert_int_equal(goelf_open(&g, path, err, sizeof(err)), -EINVAL);
	assert_null(g);
	if (!strstr(err, message))
		fail_msg("error \"%s\" does not say \"%s\"", err, message);
}

static void truncated_copy_is_refused(void **state, bool half)
{
	struct unit_gobins *b = unit_need_go(state);
	size_t len;
	char *data = unit_read_file(b->bin, &len);
	char path[160];
	snprintf(path, sizeof(path), "%s/truncated", b->dir);
	unit_write_file(path, data, half ? len / 2 : 4096);
	expect_open_fails(path, "lies outside the file");
	free(data);
}

static void test_goelf_first_4k_of_real_binary_is_refused(void **state)
{
	truncated_copy_is_refused(state, false);
}

static void test_goelf_first_half_of_real_binary_is_refused(void **state)
{
	truncated_copy_is_refused(state, true);
}

/* --- synthetic files ------------------------------------------------------------------------ */

/* A minimal x86-64 executable: one RWX PT_LOAD mapping the whole file at SYNTH_VADDR, sections
 * .shstrtab, .text (SYNTH_TEXT_LEN bytes at SYNTH_TEXT_OFF), and when given .gopclntab and
 * .go.buildinfo, then the section headers. */
#define SYNTH_VADDR    0x400000u
#define SYNTH_TEXT_OFF 0x200u
#define SYNTH_TEXT_LEN 0x100u
#define SYNTH_NAMES    "\0.shstrtab\0.text\0.gopclntab\0.go.buildinfo"

struct synth {
	uint8_t data[8192];
	size_t len;
	size_t pcln_off; /* file offsets of the section data */
	size_t bi_off;
	Elf64_Ehdr *eh;
	char path[64];
};

static void synth_section(Elf64_Shdr *sh, uint32_t name, size_t off, size_t len)
{
	*sh = (Elf64_Shdr){.sh_name = name,
			   .sh_type = SHT_PROGBITS,
			   .sh_flags = SHF_ALLOC,
			   .sh_addr = SYNTH_VADDR + off,
			   .sh_offset = off,
			   .sh_size = len};
}

static void synth_build(struct synth *s, const void *pcln, size_t pcln_len, const void *bi,
			size_t bi_len)
{
	memset(s, 0, sizeof(*s));
	Elf64_Shdr sh[5] = {{0}};
	size_t n = 1, off = SYNTH_TEXT_OFF + SYNTH_TEXT_LEN;

	memcpy(s->data + 0x100, SYNTH_NAMES, sizeof(SYNTH_NAMES));
	sh[n++] = (Elf64_Shdr){.sh_name = 1,
			       .sh_type = SHT_STRTAB,
			       .sh_offset = 0x100,
			       .sh_size = sizeof(SYNTH_NAMES)};
	memset(s->data + SYNTH_TEXT_OFF, 0xcc, SYNTH_TEXT_LEN);
	synth_section(&sh[n++], 11, SYNTH_TEXT_OFF, SYNTH_TEXT_LEN);
	sh[n - 1].sh_flags |= SHF_EXECINSTR;
	if (pcln) {
		s->pcln_off = off;
		memcpy(s->data + off, pcln, pcln_len);
		synth_section(&sh[n++], 17, off, pcln_len);
		off = (off + pcln_len + 15) & ~(size_t)15;
	}
	if (bi) {
		s->bi_off = off;
		memcpy(s->data + off, bi, bi_len);
		synth_section(&sh[n++], 28, off, bi_len);
		off = (off + bi_len + 15) & ~(size_t)15;
	}
	memcpy(s->data + off, sh, n * sizeof(sh[0]));
	s->len = off + n * sizeof(sh[0]);
	assert_true(s->len <= sizeof(s->data));

	s->eh = (Elf64_Ehdr *)s->data;
	memcpy(s->eh->e_ident, ELFMAG, SELFMAG);
	s->eh->e_ident[EI_CLASS] = ELFCLASS64;
	s->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	s->eh->e_ident[EI_VERSION] = EV_CURRENT;
	s->eh->e_type = ET_EXEC;
	s->eh->e_machine = EM_X86_64;
	s->eh->e_version = EV_CURRENT;
	s->eh->e_entry = SYNTH_VADDR + SYNTH_TEXT_OFF;
	s->eh->e_phoff = sizeof(Elf64_Ehdr);
	s->eh->e_shoff = off;
	s->eh->e_ehsize = sizeof(Elf64_Ehdr);
	s->eh->e_phentsize = sizeof(Elf64_Phdr);
	s->eh->e_phnum = 1;
	s->eh->e_shentsize = sizeof(Elf64_Shdr);
	s->eh->e_shnum = n;
	s->eh->e_shstrndx = 1;
	Elf64_Phdr ph = {.p_type = PT_LOAD,
			 .p_flags = PF_R | PF_W | PF_X,
			 .p_offset = 0,
			 .p_vaddr = SYNTH_VADDR,
			 .p_paddr = SYNTH_VADDR,
			 .p_filesz = s->len,
			 .p_memsz = s->len,
			 .p_align = 0x1000};
	memcpy(s->data + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
}

/* Write s (its first len bytes) to a temp file and open it: goelf_open's rc, *g, err. */
static int synth_open(struct synth *s, size_t len, struct goelf **g, char *err, size_t errsz)
{
	unit_write_temp(s->path, sizeof(s->path), "");
	unit_write_file(s->path, s->data, len);
	int rc = goelf_open(g, s->path, err, errsz);
	unlink(s->path);
	return rc;
}

static struct goelf *synth_open_ok(struct synth *s)
{
	char err[256] = "";
	struct goelf *g = NULL;
	int rc = synth_open(s, s->len, &g, err, sizeof(err));
	if (rc)
		fail_msg("goelf_open of a synthetic ELF: %s (%d)", err, rc);
	return g;
}

static void synth_open_fails(struct synth *s, size_t len, const char *message)
{
	char err[256] = "";
	struct goelf *g = NULL;
	assert_int_equal(synth_open(s, len, &g, err, sizeof(err)), -EINVAL);
	assert_null(g);
	if (!strstr(err, message))
		fail_msg("error \"%s\" does not say \"%s\"", err, message);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* A Go 1.20 pclntab of main.a (entry .text+0) and main.b (entry .text+0x10). */
static size_t pcln118(uint8_t *p, uint32_t magic)
{
	memset(p, 0, 128);
	put32(p, magic);
	p[6] = 1;
	p[7] = 8;
	put64(p + 8, 2);			     /* nfunc */
	put64(p + 24, SYNTH_VADDR + SYNTH_TEXT_OFF); /* textStart */
	put64(p + 32, 72);			     /* funcnameOffset */
	put64(p + 64, 88);			     /* pclnOffset */
	memcpy(p + 72, "main.a\0main.b", 14);
	uint32_t functab[] = {0, 24, 0x10, 32, 0x20, 0};
	memcpy(p + 88, functab, sizeof(functab));
	uint32_t funcs[] = {0, 0, 0x10, 7};
	memcpy(p + 112, funcs, sizeof(funcs));
	return 128;
}

/* The same two functions in the Go 1.16-1.17 layout. */
static size_t pcln116(uint8_t *p)
{
	memset(p, 0, 144);
	put32(p, 0xfffffffa);
	p[6] = 1;
	p[7] = 8;
	put64(p + 8, 2);   /* nfunc */
	put64(p + 16, 0);  /* nfiles */
	put64(p + 24, 64); /* funcnameOffset */
	put64(p + 56, 80); /* pclnOffset */
	memcpy(p + 64, "main.a\0main.b", 14);
	uint64_t base = SYNTH_VADDR + SYNTH_TEXT_OFF;
	uint64_t functab[] = {base, 40, base + 0x10, 52, base + 0x20};
	memcpy(p + 80, functab, sizeof(functab));
	put64(p + 120, base);
	put32(p + 128, 0);
	put64(p + 132, base + 0x10);
	put32(p + 140, 7);
	return 144;
}

/* Go 1.18+ build info: the version inline, varint-prefixed; 0x80 as len makes it unterminated. */
static size_t buildinfo_inline(uint8_t *p, const char *version, int len)
{
	memset(p, 0, 64);
	memcpy(p, "\xff Go buildinf:", 14);
	p[14] = 8;
	p[15] = 0x2;
	p[32] = (uint8_t)len;
	memcpy(p + 33, version, strlen(version));
	return 33 + strlen(version) + 1; /* and an empty module info */
}

static void test_goelf_synthetic_go120_pclntab(void **state)
{
	uint8_t pcln[144], bi[64];
	struct synth s;
	synth_build(&s, pcln, pcln118(pcln, 0xfffffff1), bi, buildinfo_inline(bi, "go1.21.13", 9));
	struct goelf *g = synth_open_ok(&s);
	uint64_t a = 0, o = 0;
	assert_int_equal(goelf_find_func(g, "main.b", &a, &o), 0);
	assert_int_equal(a, SYNTH_VADDR + SYNTH_TEXT_OFF + 0x10);
	assert_int_equal(o, SYNTH_TEXT_OFF + 0x10);
	assert_int_equal(goelf_find_func(g, "main.a", &a, &o), 0);
	assert_int_equal(o, SYNTH_TEXT_OFF);
	assert_int_equal(goelf_find_func(g, "main.c", &a, &o), -ENOENT);
	char v[32];
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), 0);
	assert_string_equal(v, "go1.21.13");
	goelf_free(&g);
}

static void test_goelf_synthetic_go116_pclntab(void **state)
{
	uint8_t pcln[144];
	struct synth s;
	synth_build(&s, pcln, pcln116(pcln), NULL, 0);
	struct goelf *g = synth_open_ok(&s);
	uint64_t a = 0, o = 0;
	assert_int_equal(goelf_find_func(g, "main.b", &a, &o), 0);
	assert_int_equal(a, SYNTH_VADDR + SYNTH_TEXT_OFF + 0x10);
	assert_int_equal(o, SYNTH_TEXT_OFF + 0x10);
	char v[32];
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), -ENOENT);
	assert_non_null(strstr(goelf_error(g), "no .go.buildinfo"));
	goelf_free(&g);
}

static void test_goelf_go115_pclntab_is_enotsup_naming_the_magic(void **state)
{
	uint8_t pcln[144];
	struct synth s;
	synth_build(&s, pcln, pcln118(pcln, 0xfffffffb), NULL, 0);
	struct goelf *g = synth_open_ok(&s);
	assert_int_equal(goelf_find_func(g, "main.a", NULL, NULL), -ENOTSUP);
	assert_non_null(strstr(goelf_error(g), "0xfffffffb"));
	goelf_free(&g);
}

static void test_goelf_pclntab_with_2_to_40_functions_is_refused(void **state)
{
	uint8_t pcln[144];
	struct synth s;
	pcln118(pcln, 0xfffffff1);
	put64(pcln + 8, (uint64_t)1 << 40);
	synth_build(&s, pcln, 128, NULL, 0);
	struct goelf *g = synth_open_ok(&s);
	assert_int_equal(goelf_find_func(g, "main.a", NULL, NULL), -EINVAL);
	assert_non_null(strstr(goelf_error(g), "1099511627776 functions do not fit"));
	goelf_free(&g);

	pcln116(pcln);
	put64(pcln + 8, (uint64_t)1 << 40);
	synth_build(&s, pcln, 144, NULL, 0);
	g = synth_open_ok(&s);
	assert_int_equal(goelf_find_func(g, "main.a", NULL, NULL), -EINVAL);
	goelf_free(&g);
}

static void test_goelf_pclntab_offsets_outside_the_table_are_refused(void **state)
{
	uint8_t pcln[144];
	struct synth s;
	pcln118(pcln, 0xfffffff1);
	put32(pcln + 88 + 4, 0xfffffff0); /* main.a's funcOff */
	synth_build(&s, pcln, 128, NULL, 0);
	struct goelf *g = synth_open_ok(&s);
	assert_int_equal(goelf_find_func(g, "main.b", NULL, NULL), -EINVAL);
	assert_non_null(strstr(goelf_error(g), "outside the table"));
	goelf_free(&g);

	pcln118(pcln, 0xfffffff1);
	put64(pcln + 64, 1u << 30); /* pclnOffset */
	synth_build(&s, pcln, 128, NULL, 0);
	g = synth_open_ok(&s);
	assert_int_equal(goelf_find_func(g, "main.b", NULL, NULL), -EINVAL);
	goelf_free(&g);
}

static void test_goelf_function_outside_executable_segment_is_refused(void **state)
{
	uint8_t pcln[144];
	struct synth s;
	pcln118(pcln, 0xfffffff1);
	put64(pcln + 24, 0x7f0000000000); /* textStart nowhere near the segment */
	synth_build(&s, pcln, 128, NULL, 0);
	struct goelf *g = synth_open_ok(&s);
	assert_int_equal(goelf_find_func(g, "main.b", NULL, NULL), -EINVAL);
	assert_non_null(strstr(goelf_error(g), "not in an executable segment"));
	goelf_free(&g);
}

static void test_goelf_buildinfo_varint_length_past_the_end_is_refused(void **state)
{
	uint8_t bi[64];
	struct synth s;
	synth_build(&s, NULL, 0, bi, buildinfo_inline(bi, "go1.21", 100));
	struct goelf *g = synth_open_ok(&s);
	char v[256];
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), -EINVAL);
	assert_non_null(strstr(goelf_error(g), "length 100 runs past the end"));
	goelf_free(&g);

	/* a varint whose continuation bit runs off the end of the section */
	size_t n = buildinfo_inline(bi, "", 0);
	memset(bi + 32, 0xff, 32);
	synth_build(&s, NULL, 0, bi, n > 40 ? n : 40);
	g = synth_open_ok(&s);
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), -EINVAL);
	assert_non_null(strstr(goelf_error(g), "not a valid varint"));
	goelf_free(&g);
}

/* Go 1.13-1.17 build info: pointers to Go string headers, read through the PT_LOAD mapping. */
static void test_goelf_old_buildinfo_pointers_are_followed(void **state)
{
	uint8_t bi[80] = {0};
	struct synth s;
	memcpy(bi, "\xff Go buildinf:", 14);
	bi[14] = 8;
	bi[15] = 0;
	memcpy(bi + 64, "go1.16.15", 9);
	synth_build(&s, NULL, 0, bi, sizeof(bi));
	uint64_t base = SYNTH_VADDR + s.bi_off;
	put64(s.data + s.bi_off + 16, base + 32); /* -> {data, len} */
	put64(s.data + s.bi_off + 32, base + 64);
	put64(s.data + s.bi_off + 40, 9);
	struct goelf *g = synth_open_ok(&s);
	char v[32];
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), 0);
	assert_string_equal(v, "go1.16.15");
	goelf_free(&g);

	put64(s.data + s.bi_off + 40, (uint64_t)1 << 62); /* a length far past the file */
	g = synth_open_ok(&s);
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), -EINVAL);
	assert_non_null(strstr(goelf_error(g), "outside the file"));
	goelf_free(&g);

	put64(s.data + s.bi_off + 16, 0x10); /* the string header pointer: not mapped */
	g = synth_open_ok(&s);
	assert_int_equal(goelf_go_version(g, v, sizeof(v)), -EINVAL);
	goelf_free(&g);
}

static void test_goelf_empty_file_is_refused(void **state)
{
	struct synth s;
	synth_build(&s, NULL, 0, NULL, 0);
	synth_open_fails(&s, 0, "not an ELF file");
}

static void test_goelf_random_bytes_are_refused(void **state)
{
	struct synth s;
	synth_build(&s, NULL, 0, NULL, 0);
	srandom(42);
	for (size_t i = 0; i < sizeof(s.data); i++)
		s.data[i] = (uint8_t)random();
	synth_open_fails(&s, sizeof(s.data), "not an ELF file");
}

static void test_goelf_32_bit_big_endian_and_other_machines_are_refused(void **state)
{
	struct synth s;
	synth_build(&s, NULL, 0, NULL, 0);
	s.eh->e_ident[EI_CLASS] = ELFCLASS32;
	synth_open_fails(&s, s.len, "not a 64-bit ELF file");
	synth_build(&s, NULL, 0, NULL, 0);
	s.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	synth_open_fails(&s, s.len, "not a little-endian ELF file");
	synth_build(&s, NULL, 0, NULL, 0);
	s.eh->e_machine = EM_AARCH64;
	synth_open_fails(&s, s.len, "not an x86-64 ELF file");
	synth_build(&s, NULL, 0, NULL, 0);
	synth_open_fails(&s, 40, "truncated ELF header");
}

static void test_goelf_section_table_past_the_end_is_refused(void **state)
{
	struct synth s;
	synth_build(&s, NULL, 0, NULL, 0);
	s.eh->e_shoff = s.len + 1;
	synth_open_fails(&s, s.len, "section header table at offset");
	s.eh->e_shoff = UINT64_MAX - 8;
	synth_open_fails(&s, s.len, "section header table at offset");
}

static void test_goelf_absurd_section_counts_are_refused(void **state)
{
	struct synth s;
	synth_build(&s, NULL, 0, NULL, 0);
	s.eh->e_shnum = 0xffff;
	synth_open_fails(&s, s.len, "section header table (65535 entries");
	/* extended numbering: the count comes from section 0's sh_size */
	synth_build(&s, NULL, 0, NULL, 0);
	s.eh->e_shnum = 0;
	Elf64_Shdr *sh0 = (Elf64_Shdr *)(s.data + s.eh->e_shoff);
	sh0->sh_size = (uint64_t)1 << 40;
	synth_open_fails(&s, s.len, "section header table (1099511627776 entries");
	s.eh->e_phnum = 0xffff;
	synth_open_fails(&s, s.len, "bad program header table");
}

static void test_goelf_section_outside_the_file_is_refused(void **state)
{
	uint8_t pcln[144];
	struct synth s;
	synth_build(&s, pcln, pcln118(pcln, 0xfffffff1), NULL, 0);
	Elf64_Shdr *sh = (Elf64_Shdr *)(s.data + s.eh->e_shoff);
	sh[3].sh_size = UINT64_MAX;
	synth_open_fails(&s, s.len, "section .gopclntab");
	synth_build(&s, pcln, pcln118(pcln, 0xfffffff1), NULL, 0);
	sh = (Elf64_Shdr *)(s.data + s.eh->e_shoff);
	sh[1].sh_offset = s.len; /* .shstrtab */
	synth_open_fails(&s, s.len, "bad section name table");
}

/* Thousands of corrupted copies: whatever the damage, no crash, hang, leak or read outside
 * the file (ASan checks), and a failure always says why. */
static void test_goelf_corrupted_files_never_crash(void **state)
{
	uint8_t pcln[144], bi[64];
	struct synth good, s;
	synth_build(&good, pcln, pcln118(pcln, 0xfffffff1), bi, buildinfo_inline(bi, "go1.2", 5));
	srandom(7);
	for (int i = 0; i < 3000; i++) {
		s = good;
		s.eh = (Elf64_Ehdr *)s.data;
		int flips = 1 + (int)(random() % 8);
		for (int k = 0; k < flips; k++) {
			size_t at = (size_t)random() % s.len;
			s.data[at] = k % 2 ? (uint8_t)random() : 0xff;
		}
		size_t len = random() % 4 ? s.len : (size_t)random() % s.len;
		char err[256] = "";
		struct goelf *g = NULL;
		int rc = synth_open(&s, len, &g, err, sizeof(err));
		if (rc) {
			assert_null(g);
			assert_true(err[0] != '\0');
			continue;
		}
		char v[16];
		if (goelf_go_version(g, v, sizeof(v)))
			assert_true(goelf_error(g)[0] != '\0');
		if (goelf_find_func(g, "main.b", NULL, NULL))
			assert_true(goelf_error(g)[0] != '\0');
		goelf_free(&g);
	}
}

static void test_goelf_free_takes_null(void **state)
{
	struct goelf *g = NULL;
	goelf_free(&g);
	assert_null(g);
}

static void test_goelf_missing_file_is_enoent(void **state)
{
	char err[256] = "";
	struct goelf *g = NULL;
	assert_int_equal(goelf_open(&g, "/nonexistent/kaa-goelf", err, sizeof(err)), -ENOENT);
	assert_null(g);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_goelf_version_is_go_env_goversion),
	    cmocka_unit_test(test_goelf_version_too_long_for_buffer_is_erange),
	    cmocka_unit_test(test_goelf_stripped_binary_has_no_symtab),
	    cmocka_unit_test(test_goelf_serve_http_at_same_address_in_both_binaries),
	    cmocka_unit_test(test_goelf_symtab_and_pclntab_agree),
	    cmocka_unit_test(test_goelf_file_offset_holds_the_function_entry),
	    cmocka_unit_test(test_goelf_missing_function_is_enoent),
	    cmocka_unit_test(test_goelf_first_4k_of_real_binary_is_refused),
	    cmocka_unit_test(test_goelf_first_half_of_real_binary_is_refused),
	    cmocka_unit_test(test_goelf_synthetic_go120_pclntab),
	    cmocka_unit_test(test_goelf_synthetic_go116_pclntab),
	    cmocka_unit_test(test_goelf_go115_pclntab_is_enotsup_naming_the_magic),
	    cmocka_unit_test(test_goelf_pclntab_with_2_to_40_functions_is_refused),
	    cmocka_unit_test(test_goelf_pclntab_offsets_outside_the_table_are_refused),
	    cmocka_unit_test(test_goelf_function_outside_executable_segment_is_refused),
	    cmocka_unit_test(test_goelf_buildinfo_varint_length_past_the_end_is_refused),
	    cmocka_unit_test(test_goelf_old_buildinfo_pointers_are_followed),
	    cmocka_unit_test(test_goelf_empty_file_is_refused),
	    cmocka_unit_test(test_goelf_random_bytes_are_refused),
	    cmocka_unit_test(test_goelf_32_bit_big_endian_and_other_machines_are_refused),
	    cmocka_unit_test(test_goelf_section_table_past_the_end_is_refused),
	    cmocka_unit_test(test_goelf_absurd_section_counts_are_refused),
	    cmocka_unit_test(test_goelf_section_outside_the_file_is_refused),
	    cmocka_unit_test(test_goelf_corrupted_files_never_crash),
	    cmocka_unit_test(test_goelf_free_takes_null),
	    cmocka_unit_test(test_goelf_missing_file_is_enoent),
	};
	return cmocka_run_group_tests(tests, unit_gobins_setup, unit_gobins_teardown);
}
