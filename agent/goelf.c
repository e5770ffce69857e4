/* goelf: read a Go executable's build info, symbol table and pclntab with pread. Every offset
 * and length taken from the file is checked against the file (or the section it lies in) before
 * use, every loop is bounded by a size already checked, and no section over
 * GOELF_MAX_SECTION_BYTES is read into memory. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goelf.h"

#define GOELF_MAX_SECTIONS	  65536u
#define GOELF_MAX_SHSTRTAB	  (1u << 20)
#define BUILDINFO_MAGIC		  "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN	  14
#define BUILDINFO_HDR_LEN	  32
#define BUILDINFO_FLAG_BIG_ENDIAN 0x1
#define BUILDINFO_FLAG_INLINE	  0x2 /* Go 1.18+: strings follow the header, varint-prefixed */
#define PCLN_MAGIC_GO116	  0xfffffffau
#define PCLN_MAGIC_GO118	  0xfffffff0u
#define PCLN_MAGIC_GO120	  0xfffffff1u

struct goelf_section {
	bool present;
	uint64_t addr;
	uint64_t offset;
	uint64_t size;
	uint64_t entsize;
};

struct goelf {
	int fd;
	uint64_t file_size;
	Elf64_Phdr *phdrs;
	size_t nphdrs;
	struct goelf_section buildinfo, pclntab, text, symtab, strtab;
	uint8_t *pcln; /* loaded on first use */
	uint8_t *syms;
	uint8_t *strs;
	char err[256];
};

static bool fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

__attribute__((format(printf, 3, 4))) static int fail(struct goelf *g, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Read exactly len bytes at off, which must lie inside the file. Returns 0, -EINVAL, -EIO
 * (the file shrank under us) or -errno. */
static int read_at(const struct goelf *g, uint64_t off, void *buf, size_t len)
{
	if (!fits(off, len, g->file_size))
		return -EINVAL;
	size_t done = 0;
	while (done < len) {
		ssize_t r = pread(g->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

/* A new buffer holding section s (the caller frees it). Returns 0, -EFBIG, -ENOMEM, -EIO. */
static int load_section(struct goelf *g, const struct goelf_section *s, const char *name,
			uint8_t **out)
{
	if (s->size > GOELF_MAX_SECTION_BYTES)
		return fail(g, -EFBIG, "section %s is %llu bytes, over the %u MiB limit", name,
			    (unsigned long long)s->size, GOELF_MAX_SECTION_BYTES >> 20);
	uint8_t *buf = malloc(s->size ? s->size : 1);
	if (!buf)
		return fail(g, -ENOMEM, "out of memory reading section %s", name);
	int rc = read_at(g, s->offset, buf, s->size);
	if (rc) {
		free(buf);
		return fail(g, rc, "reading section %s: %s", name, strerror(-rc));
	}
	*out = buf;
	return 0;
}

/* The file offset of virtual addresses [vaddr, vaddr+len), which must lie in the file part of
 * one PT_LOAD segment (an executable one when exec). Returns 0 or -ENOENT. */
static int vaddr_to_offset(const struct goelf *g, uint64_t vaddr, uint64_t len, bool exec,
			   uint64_t *off)
{
	for (size_t i = 0; i < g->nphdrs; i++) {
		const Elf64_Phdr *ph = &g->phdrs[i];
		if (ph->p_type != PT_LOAD || (exec && !(ph->p_flags & PF_X)))
			continue;
		if (vaddr < ph->p_vaddr || !fits(vaddr - ph->p_vaddr, len, ph->p_filesz))
			continue;
		*off = ph->p_offset + (vaddr - ph->p_vaddr); /* segment checked to fit at open */
		return 0;
	}
	return -ENOENT;
}

/* Check the ELF header in eh (the file's first bytes, len of them). Returns 0 or -EINVAL. */
static int check_ehdr(const Elf64_Ehdr *eh, size_t len, char *err, size_t errsz)
{
	if (len < SELFMAG || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errsz, "not an ELF file");
		return -EINVAL;
	}
	if (len < EI_NIDENT || eh->e_ident[EI_CLASS] != ELFCLASS64) {
		snprintf(err, errsz, "not a 64-bit ELF file");
		return -EINVAL;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errsz, "not a little-endian ELF file");
		return -EINVAL;
	}
	if (len < sizeof(*eh)) {
		snprintf(err, errsz, "truncated ELF header (%zu of %zu bytes)", len, sizeof(*eh));
		return -EINVAL;
	}
	if (eh->e_machine != EM_X86_64) {
		snprintf(err, errsz, "not an x86-64 ELF file (e_machine %u)", eh->e_machine);
		return -EINVAL;
	}
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) {
		snprintf(err, errsz, "not an executable (ELF type %u)", eh->e_type);
		return -EINVAL;
	}
	return 0;
}

/* Read and check the program headers; PT_LOAD segments must lie inside the file. */
static int read_phdrs(struct goelf *g, const Elf64_Ehdr *eh, char *err, size_t errsz)
{
	if (eh->e_phnum == 0 || eh->e_phnum == PN_XNUM || eh->e_phentsize != sizeof(Elf64_Phdr)) {
		snprintf(err, errsz, "bad program header table (%u entries of %u bytes)",
			 eh->e_phnum, eh->e_phentsize);
		return -EINVAL;
	}
	size_t bytes = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (!fits(eh->e_phoff, bytes, g->file_size)) {
		snprintf(err, errsz,
			 "program header table (%u entries at offset %llu) lies outside the file "
			 "(%llu bytes)",
			 eh->e_phnum, (unsigned long long)eh->e_phoff,
			 (unsigned long long)g->file_size);
		return -EINVAL;
	}
	g->phdrs = malloc(bytes);
	if (!g->phdrs) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	g->nphdrs = eh->e_phnum;
	int rc = read_at(g, eh->e_phoff, g->phdrs, bytes);
	if (rc) {
		snprintf(err, errsz, "reading program headers: %s", strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < g->nphdrs; i++) {
		const Elf64_Phdr *ph = &g->phdrs[i];
		if (ph->p_type == PT_LOAD && !fits(ph->p_offset, ph->p_filesz, g->file_size)) {
			snprintf(err, errsz,
				 "segment %zu (%llu bytes at offset %llu) lies outside the file "
				 "(%llu bytes): truncated?",
				 i, (unsigned long long)ph->p_filesz,
				 (unsigned long long)ph->p_offset,
				 (unsigned long long)g->file_size);
			return -EINVAL;
		}
	}
	return 0;
}

/* Read the section headers into a new array (*out, count to *n; the caller frees it). */
static int read_shdrs(struct goelf *g, const Elf64_Ehdr *eh, Elf64_Shdr **out, size_t *n, char *err,
		      size_t errsz)
{
	Elf64_Shdr first;
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr)) {
		snprintf(err, errsz, "no usable section header table (offset %llu, entry size %u)",
			 (unsigned long long)eh->e_shoff, eh->e_shentsize);
		return -EINVAL;
	}
	if (read_at(g, eh->e_shoff, &first, sizeof(first))) {
		snprintf(err, errsz,
			 "section header table at offset %llu lies outside the file "
			 "(%llu bytes)",
			 (unsigned long long)eh->e_shoff, (unsigned long long)g->file_size);
		return -EINVAL;
	}
	uint64_t count = eh->e_shnum ? eh->e_shnum : first.sh_size; /* extended numbering */
	if (count == 0 || count > GOELF_MAX_SECTIONS ||
	    !fits(eh->e_shoff, count * sizeof(Elf64_Shdr), g->file_size)) {
		snprintf(err, errsz,
			 "section header table (%llu entries at offset %llu) lies outside the file "
			 "(%llu bytes) or is too large",
			 (unsigned long long)count, (unsigned long long)eh->e_shoff,
			 (unsigned long long)g->file_size);
		return -EINVAL;
	}
	Elf64_Shdr *sh = malloc(count * sizeof(*sh));
	if (!sh) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	int rc = read_at(g, eh->e_shoff, sh, count * sizeof(*sh));
	if (rc) {
		free(sh);
		snprintf(err, errsz, "reading section headers: %s", strerror(-rc));
		return rc;
	}
	*out = sh;
	*n = count;
	return 0;
}

/* Record section sh (named name) in s; its data must lie inside the file. */
static int keep_section(struct goelf *g, struct goelf_section *s, const Elf64_Shdr *sh,
			const char *name, char *err, size_t errsz)
{
	if (s->present)
		return 0; /* the first of that name wins */
	if (sh->sh_type == SHT_NOBITS || !fits(sh->sh_offset, sh->sh_size, g->file_size)) {
		snprintf(
		    err, errsz,
		    "section %s (%llu bytes at offset %llu) lies outside the file (%llu bytes)",
		    name, (unsigned long long)sh->sh_size, (unsigned long long)sh->sh_offset,
		    (unsigned long long)g->file_size);
		return -EINVAL;
	}
	*s = (struct goelf_section){.present = true,
				    .addr = sh->sh_addr,
				    .offset = sh->sh_offset,
				    .size = sh->sh_size,
				    .entsize = sh->sh_entsize};
	return 0;
}

/* Find the sections goelf uses by name in the section headers sh[0..n). */
static int find_sections(struct goelf *g, const Elf64_Ehdr *eh, const Elf64_Shdr *sh, size_t n,
			 char *err, size_t errsz)
{
	size_t strndx = eh->e_shstrndx == SHN_XINDEX ? sh[0].sh_link : eh->e_shstrndx;
	if (strndx == SHN_UNDEF || strndx >= n || sh[strndx].sh_type != SHT_STRTAB ||
	    sh[strndx].sh_size > GOELF_MAX_SHSTRTAB ||
	    !fits(sh[strndx].sh_offset, sh[strndx].sh_size, g->file_size)) {
		snprintf(err, errsz, "bad section name table (section %zu of %zu)", strndx, n);
		return -EINVAL;
	}
	size_t names_len = sh[strndx].sh_size;
	char *names = malloc(names_len + 1);
	if (!names) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	int rc = read_at(g, sh[strndx].sh_offset, names, names_len);
	if (rc) {
		free(names);
		snprintf(err, errsz, "reading section names: %s", strerror(-rc));
		return rc;
	}
	names[names_len] = '\0'; /* an unterminated last name ends at the table's end */
	for (size_t i = 1; i < n && !rc; i++) {
		if (sh[i].sh_name >= names_len)
			continue;
		const char *name = names + sh[i].sh_name;
		if (!strcmp(name, ".go.buildinfo"))
			rc = keep_section(g, &g->buildinfo, &sh[i], name, err, errsz);
		else if (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab"))
			rc = keep_section(g, &g->pclntab, &sh[i], name, err, errsz);
		else if (!strcmp(name, ".text"))
			rc = keep_section(g, &g->text, &sh[i], name, err, errsz);
		else if (!strcmp(name, ".symtab") && sh[i].sh_type == SHT_SYMTAB &&
			 !g->symtab.present) {
			size_t link = sh[i].sh_link;
			if (link == 0 || link >= n || sh[link].sh_type != SHT_STRTAB) {
				snprintf(err, errsz,
					 "section .symtab links to section %zu, "
					 "not a string table",
					 link);
				rc = -EINVAL;
				break;
			}
			rc = keep_section(g, &g->symtab, &sh[i], name, err, errsz);
			if (!rc)
				rc = keep_section(g, &g->strtab, &sh[link], ".strtab", err, errsz);
		}
	}
	free(names);
	return rc;
}

int goelf_open(struct goelf **out, const char *path, char *err, size_t errsz)
{
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	size_t nsh = 0;
	struct stat st;
	int rc;

	*out = NULL;
	struct goelf *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	g->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (g->fd < 0 || fstat(g->fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errsz, "%s", strerror(-rc));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errsz, "not a regular file");
		goto cleanup;
	}
	g->file_size = (uint64_t)st.st_size;
	size_t head = g->file_size < sizeof(eh) ? (size_t)g->file_size : sizeof(eh);
	memset(&eh, 0, sizeof(eh));
	rc = read_at(g, 0, &eh, head);
	if (rc) {
		snprintf(err, errsz, "reading the ELF header: %s", strerror(-rc));
		goto cleanup;
	}
	rc = check_ehdr(&eh, head, err, errsz);
	if (!rc)
		rc = read_phdrs(g, &eh, err, errsz);
	if (!rc)
		rc = read_shdrs(g, &eh, &sh, &nsh, err, errsz);
	if (!rc)
		rc = find_sections(g, &eh, sh, nsh, err, errsz);
cleanup:
	free(sh);
	if (rc) {
		goelf_free(&g);
		return rc;
	}
	*out = g;
	return 0;
}

void goelf_free(struct goelf **gp)
{
	struct goelf *g = *gp;
	if (!g)
		return;
	if (g->fd >= 0)
		close(g->fd);
	free(g->phdrs);
	free(g->pcln);
	free(g->syms);
	free(g->strs);
	free(g);
	*gp = NULL;
}

bool goelf_has_symtab(const struct goelf *g)
{
	return g->symtab.present;
}

const char *goelf_error(const struct goelf *g)
{
	return g->err;
}

/* Decode the unsigned varint in p[0..len): value to *v, bytes used to *used. -EINVAL when it is
 * unterminated within len or overflows 64 bits. */
static int uvarint(const uint8_t *p, size_t len, uint64_t *v, size_t *used)
{
	uint64_t x = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		if (i == 9 && p[i] > 1)
			return -EINVAL;
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*v = x;
			*used = i + 1;
			return 0;
		}
	}
	return -EINVAL;
}

/* Go 1.18+: the version is the varint-length-prefixed string right after the header. */
static int inline_version(struct goelf *g, uint64_t *off, uint64_t *len)
{
	const struct goelf_section *s = &g->buildinfo;
	uint8_t v[10];
	size_t avail =
	    s->size - BUILDINFO_HDR_LEN < sizeof(v) ? s->size - BUILDINFO_HDR_LEN : sizeof(v);
	size_t used;
	int rc = read_at(g, s->offset + BUILDINFO_HDR_LEN, v, avail);
	if (rc)
		return fail(g, rc, "reading build info: %s", strerror(-rc));
	if (uvarint(v, avail, len, &used))
		return fail(g, -EINVAL, "build info: the version's length is not a valid varint");
	if (!fits(BUILDINFO_HDR_LEN + used, *len, s->size))
		return fail(g, -EINVAL, "build info: version length %llu runs past the end",
			    (unsigned long long)*len);
	*off = s->offset + BUILDINFO_HDR_LEN + used;
	return 0;
}

/* Go 1.13-1.17: the header points to a Go string header {data, len} in the data segment. */
static int pointed_version(struct goelf *g, const uint8_t *hdr, uint64_t *off, uint64_t *len)
{
	uint8_t str[16];
	uint64_t str_off;
	if (hdr[14] != 8 || (hdr[15] & BUILDINFO_FLAG_BIG_ENDIAN))
		return fail(g, -EINVAL, "build info: pointer size %u, flags 0x%x: not x86-64",
			    hdr[14], hdr[15]);
	uint64_t ptr = le64(hdr + 16);
	if (vaddr_to_offset(g, ptr, sizeof(str), false, &str_off) ||
	    read_at(g, str_off, str, sizeof(str)))
		return fail(g, -EINVAL, "build info: version pointer 0x%llx is outside the file",
			    (unsigned long long)ptr);
	uint64_t data = le64(str);
	*len = le64(str + 8);
	if (vaddr_to_offset(g, data, *len, false, off))
		return fail(g, -EINVAL,
			    "build info: version string (0x%llx, %llu bytes) is "
			    "outside the file",
			    (unsigned long long)data, (unsigned long long)*len);
	return 0;
}

int goelf_go_version(struct goelf *g, char *buf, size_t n)
{
	uint8_t hdr[BUILDINFO_HDR_LEN];
	uint64_t off = 0, len = 0;
	int rc;

	g->err[0] = '\0';
	if (!g->buildinfo.present)
		return fail(g, -ENOENT, "no .go.buildinfo section: not a Go 1.13+ binary");
	if (g->buildinfo.size < BUILDINFO_HDR_LEN)
		return fail(g, -EINVAL, "build info is %llu bytes, shorter than its header",
			    (unsigned long long)g->buildinfo.size);
	rc = read_at(g, g->buildinfo.offset, hdr, sizeof(hdr));
	if (rc)
		return fail(g, rc, "reading build info: %s", strerror(-rc));
	if (memcmp(hdr, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN) != 0)
		return fail(g, -EINVAL, "build info does not start with \"\\xff Go buildinf:\"");
	if (hdr[15] & BUILDINFO_FLAG_INLINE)
		rc = inline_version(g, &off, &len);
	else
		rc = pointed_version(g, hdr, &off, &len);
	if (rc)
		return rc;
	if (len == 0)
		return fail(g, -EINVAL, "build info: empty Go version");
	if (len >= n)
		return fail(g, -ERANGE, "build info: Go version of %llu bytes does not fit in %zu",
			    (unsigned long long)len, n);
	rc = read_at(g, off, buf, len);
	if (rc)
		return fail(g, rc, "reading build info: %s", strerror(-rc));
	if (memchr(buf, '\0', len)) {
		buf[0] = '\0';
		return fail(g, -EINVAL, "build info: the Go version contains a NUL byte");
	}
	buf[len] = '\0';
	return 0;
}

/* Whether the NUL-terminated name (namelen bytes before the NUL) is at off in tab[0..size). */
static bool name_at(const uint8_t *tab, uint64_t size, uint64_t off, const char *name,
		    size_t namelen)
{
	return fits(off, namelen + 1, size) && memcmp(tab + off, name, namelen + 1) == 0;
}

static int symtab_find(struct goelf *g, const char *name, uint64_t *addr)
{
	int rc;
	if (!g->symtab.present)
		return fail(g, -ENOENT, "no .symtab section (stripped binary)");
	if (g->symtab.entsize != sizeof(Elf64_Sym))
		return fail(g, -EINVAL, ".symtab entries are %llu bytes, not %zu",
			    (unsigned long long)g->symtab.entsize, sizeof(Elf64_Sym));
	if (!g->syms && (rc = load_section(g, &g->symtab, ".symtab", &g->syms)))
		return rc;
	if (!g->strs && (rc = load_section(g, &g->strtab, ".strtab", &g->strs)))
		return rc;
	size_t namelen = strlen(name);
	uint64_t nsyms = g->symtab.size / sizeof(Elf64_Sym);
	for (uint64_t i = 0; i < nsyms; i++) {
		Elf64_Sym sym;
		memcpy(&sym, g->syms + i * sizeof(sym), sizeof(sym));
		if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
			continue;
		if (name_at(g->strs, g->strtab.size, sym.st_name, name, namelen)) {
			*addr = sym.st_value;
			return 0;
		}
	}
	return fail(g, -ENOENT, "function %s not found in .symtab", name);
}

/* The pclntab header fields both layouts share, as offsets into the table. */
struct pcln {
	const uint8_t *p;
	uint64_t size;
	uint64_t nfunc;
	uint64_t funcnames; /* funcnameOffset */
	uint64_t funcs;	    /* pclnOffset: the functab, and the base of funcOff */
};

/* Go 1.18+: functab entries are {uint32 entryOff, uint32 funcOff}, entry = textStart+entryOff. */
static int pcln118_find(struct goelf *g, const struct pcln *t, uint64_t text_start,
			const char *name, uint64_t *addr)
{
	uint64_t slots = (t->size - t->funcs) / 8;
	if (slots == 0 || t->nfunc > slots - 1)
		return fail(g, -EINVAL, ".gopclntab: %llu functions do not fit in the table",
			    (unsigned long long)t->nfunc);
	size_t namelen = strlen(name);
	for (uint64_t i = 0; i < t->nfunc; i++) {
		const uint8_t *e = t->p + t->funcs + i * 8;
		uint64_t func = t->funcs + le32(e + 4);
		if (!fits(func, 8, t->size))
			return fail(g, -EINVAL, ".gopclntab: function %llu lies outside the table",
				    (unsigned long long)i);
		int32_t nameoff = (int32_t)le32(t->p + func + 4);
		if (nameoff < 0 ||
		    !name_at(t->p, t->size, t->funcnames + (uint64_t)nameoff, name, namelen))
			continue;
		uint64_t entry = le32(e);
		if (text_start > UINT64_MAX - entry)
			return fail(g, -EINVAL, ".gopclntab: entry of %s overflows", name);
		*addr = text_start + entry;
		return 0;
	}
	return fail(g, -ENOENT, "function %s not found in .gopclntab", name);
}

/* Go 1.16-1.17: functab entries are {uintptr entry, uintptr funcOff}, then the end PC. */
static int pcln116_find(struct goelf *g, const struct pcln *t, const char *name, uint64_t *addr)
{
	uint64_t room = t->size - t->funcs;
	if (room < 8 || t->nfunc > (room - 8) / 16)
		return fail(g, -EINVAL, ".gopclntab: %llu functions do not fit in the table",
			    (unsigned long long)t->nfunc);
	size_t namelen = strlen(name);
	for (uint64_t i = 0; i < t->nfunc; i++) {
		const uint8_t *e = t->p + t->funcs + i * 16;
		uint64_t funcoff = le64(e + 8);
		if (funcoff > t->size || !fits(t->funcs + funcoff, 12, t->size))
			return fail(g, -EINVAL, ".gopclntab: function %llu lies outside the table",
				    (unsigned long long)i);
		int32_t nameoff = (int32_t)le32(t->p + t->funcs + funcoff + 8);
		if (nameoff < 0 ||
		    !name_at(t->p, t->size, t->funcnames + (uint64_t)nameoff, name, namelen))
			continue;
		*addr = le64(e);
		return 0;
	}
	return fail(g, -ENOENT, "function %s not found in .gopclntab", name);
}

static int pclntab_find(struct goelf *g, const char *name, uint64_t *addr)
{
	struct pcln t;
	int rc;
	if (!g->pclntab.present)
		return fail(g, -ENOENT, "no .gopclntab section: not a Go binary");
	if (!g->pcln && (rc = load_section(g, &g->pclntab, ".gopclntab", &g->pcln)))
		return rc;
	t.p = g->pcln;
	t.size = g->pclntab.size;
	if (t.size < 8)
		return fail(g, -EINVAL, ".gopclntab is %llu bytes, shorter than its header",
			    (unsigned long long)t.size);
	uint32_t magic = le32(t.p);
	bool go118 = magic == PCLN_MAGIC_GO118 || magic == PCLN_MAGIC_GO120;
	if (!go118 && magic != PCLN_MAGIC_GO116)
		return fail(g, -ENOTSUP, ".gopclntab magic 0x%08x is not supported (Go 1.16+ only)",
			    magic);
	unsigned nfields = go118 ? 8 : 7;
	if (t.p[4] || t.p[5] || t.p[7] != 8 || t.size < 8 + 8 * nfields)
		return fail(g, -EINVAL, ".gopclntab: bad header (pointer size %u, %llu bytes)",
			    t.p[7], (unsigned long long)t.size);
	const uint8_t *f = t.p + 8;
	t.nfunc = le64(f);
	/* 1.18+: nfunc nfiles textStart funcname cu filetab pctab pcln; 1.16: no textStart */
	t.funcnames = le64(f + 8 * (go118 ? 3 : 2));
	t.funcs = le64(f + 8 * (nfields - 1));
	if (t.funcnames >= t.size || t.funcs >= t.size)
		return fail(g, -EINVAL, ".gopclntab: table offsets lie outside the section");
	if (!go118)
		return pcln116_find(g, &t, name, addr);
	/* In a PIE the header's textStart is left for a relocation to fill; .text starts there */
	uint64_t text_start = le64(f + 16);
	if (!text_start && g->text.present)
		text_start = g->text.addr;
	return pcln118_find(g, &t, text_start, name, addr);
}

int goelf_find_func_from(struct goelf *g, enum goelf_source src, const char *name, uint64_t *addr,
			 uint64_t *file_offset)
{
	uint64_t a = 0, off = 0;
	int rc;

	g->err[0] = '\0';
	if (src == GOELF_SYMTAB || (src == GOELF_ANY && g->symtab.present))
		rc = symtab_find(g, name, &a);
	else
		rc = -ENOENT;
	if (src == GOELF_PCLNTAB || (src == GOELF_ANY && rc == -ENOENT))
		rc = pclntab_find(g, name, &a);
	if (rc)
		return rc;
	if (vaddr_to_offset(g, a, 1, true, &off))
		return fail(g, -EINVAL, "function %s at 0x%llx is not in an executable segment",
			    name, (unsigned long long)a);
	if (addr)
		*addr = a;
	if (file_offset)
		*file_offset = off;
	g->err[0] = '\0';
	return 0;
}

int goelf_find_func(struct goelf *g, const char *name, uint64_t *addr, uint64_t *file_offset)
{
	return goelf_find_func_from(g, GOELF_ANY, name, addr, file_offset);
}
