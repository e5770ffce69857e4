/* gooffsets: the byte offsets the ServeHTTP uprobe reads, from the binary's DWARF through libdw
 * (which also inflates Go's compressed .debug sections) or from a table per Go release. DWARF
 * is bounded before libdw sees it (decompressed size) and while it is walked (DIEs, members,
 * type hops), so a hostile file costs at most a bounded amount of memory and time. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "goelf.h"
#include "gooffsets.h"

#define GOOFFSETS_MAX_DWARF_BYTES (1ull << 30) /* all .debug sections together, inflated */
#define GOOFFSETS_MAX_SECTIONS	  65536u
#define GOOFFSETS_MAX_DIES	  (16u << 20) /* units and top-level DIEs walked */
#define GOOFFSETS_MAX_MEMBERS	  4096u	      /* members of one struct */
#define GOOFFSETS_MAX_TYPE_HOPS	  8  /* typedef and pointer DIEs from a member to its map */
#define GO_MIN_REGABI_MINOR	  17 /* amd64 passes arguments in registers from Go 1.17 on */
#define GO_REQ_REG_RDI		  3  /* *Request is ServeHTTP's 4th integer argument register */

/* The table: one row per Go release, amd64.
 *
 * Every row was read from the release's own sources: src/net/http/request.go (type Request),
 * src/crypto/tls/common.go (type ConnectionState) and the map implementation (src/runtime/map*.go,
 * src/internal/runtime/maps/), and, except go1.20, checked against the DWARF of
 * tests/data/goserver built with that release (tests/unit/test_gooffsets.c does it for the
 * local go, and for every go named in KAA_TEST_GO):
 *   go1.19  go1.19.8  (Debian golang-1.19-src 1.19.8-2) - also the measured reference
 *   go1.20  no go1.20 tree was at hand: api/go1.20.txt (in the go1.27.3 tree) adds no field to
 *           either struct, and go1.19 and go1.21 declare both field for field alike. NOT measured.
 *   go1.21  go1.21.13 (Debian golang-1.21-src 1.21.13-1~bpo12+1)
 *   go1.22  go1.22.12 (Debian golang-1.22-src 1.22.12-3~bpo12+1): Request gains pat, matches,
 *           otherValues, after ctx
 *   go1.23  go1.23.5  (Debian golang-1.23-src 1.23.5-1~bpo12+1): Request.Pattern after Response;
 *           ConnectionState.ECHAccepted after TLSUnique
 *   go1.24  go1.24.4  (Debian golang-1.24-src 1.24.4-1): Swiss-table maps (internal/runtime/maps);
 *           GOEXPERIMENT=noswissmap keeps runtime.hmap and shows as "X:noswissmap" in the version
 *   go1.25  go1.25.12 (Debian golang-1.25-src 1.25.12-1~bpo13+1): ConnectionState.CurveID
 *           (uint16) after CipherSuite, at 6: NegotiatedProtocol stays at 8
 *   go1.26  go1.26.10 (Debian golang-1.26-src 1.26.10-1): noswissmap removed;
 *           ConnectionState.HelloRetryRequest after ECHAccepted
 *   go1.27  go1.27.3  (Debian golang-1.27-src 1.27.3-1): ConnectionState.LocalCertificate after
 *           HelloRetryRequest
 * So far no release moved a field before Request.TLS or ConnectionState.PeerCertificates:
 * Method 0, URL 16, Proto 24, ProtoMajor 40, ProtoMinor 48, Header 56, Body 64, GetBody 80,
 * ContentLength 88, TransferEncoding 96, Close 120, Host 128, Form 144, PostForm 152,
 * MultipartForm 160, Trailer 168, RemoteAddr 176, RequestURI 192, TLS 208; Version 0,
 * HandshakeComplete 2, DidResume 3, CipherSuite 4, (CurveID 6), NegotiatedProtocol 8,
 * NegotiatedProtocolIsMutual 24, ServerName 32, PeerCertificates 48.
 *
 * How to add a Go version (1.N):
 *   1. Get its sources (go1.N.src.tar.gz, or Debian's golang-1.N-src) and read the two
 *      structs above. Sum the amd64 sizes of the fields before each one we read: string 16,
 *      slice 24, interface 16, pointer/map/chan/func/int/int64 8, uint16 2, bool 1, each field
 *      aligned to its own size (at most 8).
 *   2. Map layout: still runtime.hmap with buckets, or still internal/runtime/maps.Map? Anything
 *      else needs a new enum http_map_layout and support in bpf/http.bpf.c first. Note whether a
 *      GOEXPERIMENT can switch it back (noswissmap did in 1.24 and 1.25).
 *   3. Add the row below and its source line above, and a version case to
 *      tests/unit/test_gooffsets.c.
 *   4. Check it: KAA_TEST_GO="/path/to/go1.N/bin/go" build/san/test_gooffsets builds
 *      tests/data/goserver with that go and compares its DWARF with the row. */
struct go_row {
	unsigned minor; /* Go 1.minor */
	struct http_offsets off;
	bool has_noswissmap; /* GOEXPERIMENT=noswissmap exists and brings back the bucket maps */
};

static const struct go_row go_rows[] = {
    /* minor  Method Header RemoteAddr RequestURI TLS PeerCertificates  map layout  register */
    {19, {0, 56, 176, 192, 208, 48, HTTP_MAP_BUCKETS, GO_REQ_REG_RDI}, false},
    {20, {0, 56, 176, 192, 208, 48, HTTP_MAP_BUCKETS, GO_REQ_REG_RDI}, false},
    {21, {0, 56, 176, 192, 208, 48, HTTP_MAP_BUCKETS, GO_REQ_REG_RDI}, false},
    {22, {0, 56, 176, 192, 208, 48, HTTP_MAP_BUCKETS, GO_REQ_REG_RDI}, false},
    {23, {0, 56, 176, 192, 208, 48, HTTP_MAP_BUCKETS, GO_REQ_REG_RDI}, false},
    {24, {0, 56, 176, 192, 208, 48, HTTP_MAP_SWISS, GO_REQ_REG_RDI}, true},
    {25, {0, 56, 176, 192, 208, 48, HTTP_MAP_SWISS, GO_REQ_REG_RDI}, true},
    {26, {0, 56, 176, 192, 208, 48, HTTP_MAP_SWISS, GO_REQ_REG_RDI}, false},
    {27, {0, 56, 176, 192, 208, 48, HTTP_MAP_SWISS, GO_REQ_REG_RDI}, false},
};

#define GO_ROWS (sizeof(go_rows) / sizeof(go_rows[0]))

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *err, size_t errsz,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return rc;
}

/* Copy src into dst (n bytes), cut to fit: a long version ("go1.24.1 X:a,b,c") shows shorter. */
static void copy_cut(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The minor version in a Go version string: "go1.21.3", "go1.22rc1", "go1.21beta2",
 * "go1.24.0 X:boringcrypto", "devel go1.25-1d4f3c1 Tue Jan 7 ..." (a build of the release under
 * development). Returns 0 or -EINVAL ("devel +abcdef ...", "go2.0", anything else). */
static int go_minor(const char *v, unsigned *minor)
{
	unsigned m = 0;
	size_t n;

	if (!strncmp(v, "devel ", 6))
		v += 6;
	if (strncmp(v, "go1.", 4))
		return -EINVAL;
	v += 4;
	for (n = 0; v[n] >= '0' && v[n] <= '9'; n++) {
		if (n == 4)
			return -EINVAL;
		m = m * 10 + (unsigned)(v[n] - '0');
	}
	if (n == 0 || (n > 1 && v[0] == '0'))
		return -EINVAL;
	v += n;
	if (*v && *v != '.' && *v != ' ' && *v != '-' && strncmp(v, "rc", 2) &&
	    strncmp(v, "beta", 4))
		return -EINVAL;
	*minor = m;
	return 0;
}

/* Whether the version lists GOEXPERIMENT exp after " X:" ("go1.24.1 X:boringcrypto,noswissmap"). */
static bool go_experiment(const char *v, const char *exp)
{
	const char *p = strstr(v, " X:");
	size_t len = strlen(exp);

	if (!p)
		return false;
	for (p += 3; *p && *p != ' ';) {
		size_t n = strcspn(p, ", ");
		if (n == len && !strncmp(p, exp, len))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

int gooffsets_from_table(const char *go_version, struct gooffsets *out)
{
	unsigned minor;

	if (!go_version || go_minor(go_version, &minor))
		return -ENOTSUP;
	for (size_t i = 0; i < GO_ROWS; i++) {
		const struct go_row *r = &go_rows[i];
		if (r->minor != minor)
			continue;
		out->off = r->off;
		if (r->has_noswissmap && go_experiment(go_version, "noswissmap"))
			out->off.map_layout = HTTP_MAP_BUCKETS;
		copy_cut(out->go_version, sizeof(out->go_version), go_version);
		snprintf(out->source, sizeof(out->source), "table go1.%u", minor);
		return 0;
	}
	return -ENOTSUP;
}

/* --- DWARF ------------------------------------------------------------------------------------ */

/* The size of debug section scn once libdw has inflated it: SHF_COMPRESSED sections say it in
 * their Elf64_Chdr, GNU .zdebug_* ones after "ZLIB" as a big-endian 64-bit number. */
static int debug_section_size(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, bool gnu, uint64_t *size)
{
	*size = sh->sh_size;
	if (sh->sh_flags & SHF_COMPRESSED) {
		GElf_Chdr ch;
		if (!gelf_getchdr(scn, &ch))
			return -EINVAL;
		*size = ch.ch_size;
	} else if (gnu && sh->sh_size >= 12) {
		Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)sh->sh_offset, 12, ELF_T_BYTE);
		if (!d)
			return -EINVAL;
		const uint8_t *p = d->d_buf;
		if (!memcmp(p, "ZLIB", 4)) {
			*size = 0;
			for (int i = 4; i < 12; i++)
				*size = *size << 8 | p[i];
		}
	}
	return 0;
}

/* Whether section sh lies inside a file of file_size bytes (SHT_NOBITS ones take no room). */
static bool in_file(const GElf_Shdr *sh, uint64_t file_size)
{
	return sh->sh_type == SHT_NOBITS ||
	       (sh->sh_offset <= file_size && sh->sh_size <= file_size - sh->sh_offset);
}

/* Check that elf (file_size bytes) is an x86-64 ELF file with a .debug_info section, and that
 * its debug sections lie in the file and come to at most GOOFFSETS_MAX_DWARF_BYTES inflated.
 * Returns 0, -ENOENT without DWARF, -EINVAL or -EFBIG. */
static int check_elf(Elf *elf, uint64_t file_size, char *err, size_t errsz)
{
	GElf_Shdr names;
	GElf_Ehdr eh;
	size_t nsec, shstrndx;
	uint64_t total = 0;
	bool info = false;
	Elf_Scn *scn = NULL;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return fail(-EINVAL, err, errsz, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return fail(-EINVAL, err, errsz, "not an x86-64 ELF file");
	if (elf_getshdrnum(elf, &nsec) || elf_getshdrstrndx(elf, &shstrndx))
		return fail(-EINVAL, err, errsz, "bad section headers: %s", elf_errmsg(-1));
	if (nsec > GOOFFSETS_MAX_SECTIONS)
		return fail(-EINVAL, err, errsz, "%zu sections, over the limit of %u", nsec,
			    GOOFFSETS_MAX_SECTIONS);
	if (!gelf_getshdr(elf_getscn(elf, shstrndx), &names) || !in_file(&names, file_size))
		return fail(-EINVAL, err, errsz,
			    "the section name table lies outside the file (%llu bytes): truncated?",
			    (unsigned long long)file_size);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		uint64_t size;
		if (!gelf_getshdr(scn, &sh))
			return fail(-EINVAL, err, errsz, "bad section header: %s", elf_errmsg(-1));
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			return fail(-EINVAL, err, errsz, "bad section name: %s", elf_errmsg(-1));
		bool gnu = !strncmp(name, ".zdebug_", 8);
		if ((strncmp(name, ".debug_", 7) && !gnu) || sh.sh_type == SHT_NOBITS)
			continue;
		if (!in_file(&sh, file_size))
			return fail(-EINVAL, err, errsz,
				    "section %s lies outside the file (%llu bytes): truncated?",
				    name, (unsigned long long)file_size);
		if (debug_section_size(elf, scn, &sh, gnu, &size))
			return fail(-EINVAL, err, errsz, "section %s: bad compression header: %s",
				    name, elf_errmsg(-1));
		if (size > GOOFFSETS_MAX_DWARF_BYTES - total)
			return fail(-EFBIG, err, errsz, "DWARF sections over %llu MiB inflated",
				    GOOFFSETS_MAX_DWARF_BYTES >> 20);
		total += size;
		info |= !strcmp(name + (gnu ? 8 : 7), "info");
	}
	if (!info)
		return fail(-ENOENT, err, errsz,
			    "no DWARF (no .debug_info section: linked with -w or stripped)");
	return 0;
}

/* What the walk over the top-level DIEs found. */
struct dwarf_scan {
	Dwarf_Die request, conn_state;
	bool have_request, have_conn_state;
	unsigned header_layout; /* from Request.Header's own type, 0 until known */
	bool saw_hmap, saw_swiss_map;
	char producer_version[32]; /* "go1.19.8" from "Go cmd/compile go1.19.8; regabi" */
	unsigned long dies;
};

/* One field we read: its name, the bytes we read there, and where its offset goes. */
struct member {
	const char *name;
	unsigned size;
	__u32 *off;
	bool found;
};

/* The offsets of want[0..n) in struct st (named st_name); every member must be in it and end
 * within its byte size. Returns 0, -ENOENT (a member missing) or -EINVAL. */
static int read_members(Dwarf_Die *st, const char *st_name, struct member *want, size_t n,
			char *err, size_t errsz)
{
	Dwarf_Die m;
	unsigned count = 0;
	int bytes = dwarf_bytesize(st);
	int c;

	if (bytes <= 0)
		return fail(-EINVAL, err, errsz, "DWARF: %s has no byte size", st_name);
	for (c = dwarf_child(st, &m); c == 0; c = dwarf_siblingof(&m, &m)) {
		if (++count > GOOFFSETS_MAX_MEMBERS)
			return fail(-EINVAL, err, errsz, "DWARF: %s has over %u members", st_name,
				    GOOFFSETS_MAX_MEMBERS);
		const char *name = dwarf_diename(&m);
		if (dwarf_tag(&m) != DW_TAG_member || !name)
			continue;
		for (size_t i = 0; i < n; i++) {
			Dwarf_Attribute a;
			Dwarf_Word off;
			if (want[i].found || strcmp(name, want[i].name))
				continue;
			if (!dwarf_attr(&m, DW_AT_data_member_location, &a) ||
			    dwarf_formudata(&a, &off))
				return fail(-EINVAL, err, errsz,
					    "DWARF: %s.%s has no constant offset", st_name, name);
			if (off > (Dwarf_Word)bytes || want[i].size > (Dwarf_Word)bytes - off)
				return fail(-EINVAL, err, errsz,
					    "DWARF: %s.%s at %llu runs past the struct's %d bytes",
					    st_name, name, (unsigned long long)off, bytes);
			*want[i].off = (__u32)off;
			want[i].found = true;
		}
	}
	if (c < 0)
		return fail(-EINVAL, err, errsz, "DWARF: reading %s: %s", st_name,
			    dwarf_errmsg(-1));
	for (size_t i = 0; i < n; i++)
		if (!want[i].found)
			return fail(-ENOENT, err, errsz, "DWARF: %s has no field %s", st_name,
				    want[i].name);
	return 0;
}

/* The layout of the map that member m (of a map type) points to: Go's linker names the struct
 * behind a map "hash<K,V>" for runtime.hmap with buckets and "map<K,V>" for Swiss tables.
 * Returns an enum http_map_layout, or 0 when the types say neither. */
static unsigned map_layout_of(Dwarf_Die *m)
{
	Dwarf_Die t = *m;

	for (int i = 0; i < GOOFFSETS_MAX_TYPE_HOPS; i++) {
		Dwarf_Attribute a;
		Dwarf_Die next;
		if (!dwarf_attr(&t, DW_AT_type, &a) || !dwarf_formref_die(&a, &next))
			return 0;
		t = next;
		int tag = dwarf_tag(&t);
		if (tag == DW_TAG_structure_type) {
			const char *name = dwarf_diename(&t);
			if (name && !strncmp(name, "hash<", 5))
				return HTTP_MAP_BUCKETS;
			if (name && !strncmp(name, "map<", 4))
				return HTTP_MAP_SWISS;
			return 0;
		}
		if (tag != DW_TAG_typedef && tag != DW_TAG_pointer_type)
			return 0;
	}
	return 0;
}

/* The layout of the map net/http.Request.Header (in struct request) points to, 0 if unknown. */
static unsigned header_layout(Dwarf_Die *request)
{
	Dwarf_Die m;
	unsigned count = 0;

	for (int c = dwarf_child(request, &m); c == 0 && ++count <= GOOFFSETS_MAX_MEMBERS;
	     c = dwarf_siblingof(&m, &m)) {
		const char *name = dwarf_diename(&m);
		if (dwarf_tag(&m) == DW_TAG_member && name && !strcmp(name, "Header"))
			return map_layout_of(&m);
	}
	return 0;
}

/* Keep the Go version from a unit's producer ("Go cmd/compile go1.19.8; regabi"), the first. */
static void note_producer(Dwarf_Die *cu, struct dwarf_scan *s)
{
	static const char prefix[] = "Go cmd/compile ";
	Dwarf_Attribute a;
	const char *p;

	if (s->producer_version[0] || !dwarf_attr(cu, DW_AT_producer, &a) ||
	    !(p = dwarf_formstring(&a)) || strncmp(p, prefix, sizeof(prefix) - 1))
		return;
	p += sizeof(prefix) - 1;
	size_t n = strcspn(p, "; ");
	if (n < sizeof(s->producer_version))
		snprintf(s->producer_version, sizeof(s->producer_version), "%.*s", (int)n, p);
}

static void note_die(Dwarf_Die *die, struct dwarf_scan *s)
{
	if (dwarf_tag(die) != DW_TAG_structure_type)
		return;
	const char *name = dwarf_diename(die);
	if (!name)
		return;
	if (!s->have_request && !strcmp(name, "net/http.Request")) {
		s->request = *die;
		s->have_request = true;
		s->header_layout = header_layout(die);
	} else if (!s->have_conn_state && !strcmp(name, "crypto/tls.ConnectionState")) {
		s->conn_state = *die;
		s->have_conn_state = true;
	} else if (!strcmp(name, "runtime.hmap")) {
		s->saw_hmap = true;
	} else if (!strcmp(name, "internal/runtime/maps.Map")) {
		s->saw_swiss_map = true;
	}
}

/* Walk the top-level DIEs of every unit (the types are there) until both structs are found and
 * Request.Header's type tells the map layout, or to the end. Returns 0, -E2BIG or -EINVAL. */
static int scan_units(Dwarf *dw, struct dwarf_scan *s, char *err, size_t errsz)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, die;
	int r, c;

	while ((r = dwarf_get_units(dw, cu, &cu, NULL, NULL, &cudie, NULL)) == 0) {
		note_producer(&cudie, s);
		for (c = dwarf_child(&cudie, &die); c == 0; c = dwarf_siblingof(&die, &die)) {
			if (++s->dies > GOOFFSETS_MAX_DIES)
				return fail(-E2BIG, err, errsz, "DWARF: over %u DIEs",
					    GOOFFSETS_MAX_DIES);
			note_die(&die, s);
			if (s->have_request && s->have_conn_state && s->header_layout)
				return 0;
		}
		if (c < 0)
			return fail(-EINVAL, err, errsz, "DWARF: %s", dwarf_errmsg(-1));
		if (++s->dies > GOOFFSETS_MAX_DIES)
			return fail(-E2BIG, err, errsz, "DWARF: over %u DIEs", GOOFFSETS_MAX_DIES);
	}
	if (r < 0)
		return fail(-EINVAL, err, errsz, "DWARF: %s", dwarf_errmsg(-1));
	return 0;
}

/* The offsets from the structs scan found into out. */
static int offsets_from_scan(struct dwarf_scan *s, struct gooffsets *out, char *err, size_t errsz)
{
	struct http_offsets off = {.req_reg = GO_REQ_REG_RDI};
	int rc;

	if (!s->have_request)
		return fail(-ENOENT, err, errsz, "DWARF has no net/http.Request");
	if (!s->have_conn_state)
		return fail(-ENOENT, err, errsz, "DWARF has no crypto/tls.ConnectionState");
	struct member req[] = {
	    {"Method", 16, &off.req_method, false},
	    {"Header", 8, &off.req_header, false},
	    {"RemoteAddr", 16, &off.req_remote_addr, false},
	    {"RequestURI", 16, &off.req_request_uri, false},
	    {"TLS", 8, &off.req_tls, false},
	};
	struct member tls[] = {{"PeerCertificates", 24, &off.tls_peer_certs, false}};
	rc = read_members(&s->request, "net/http.Request", req, sizeof(req) / sizeof(req[0]), err,
			  errsz);
	if (!rc)
		rc = read_members(&s->conn_state, "crypto/tls.ConnectionState", tls, 1, err, errsz);
	if (rc)
		return rc;
	off.map_layout = s->header_layout;
	if (!off.map_layout && s->saw_hmap != s->saw_swiss_map)
		off.map_layout = s->saw_hmap ? HTTP_MAP_BUCKETS : HTTP_MAP_SWISS;
	if (!off.map_layout)
		return fail(-ENOENT, err, errsz,
			    "DWARF: cannot tell the map layout (Request.Header is neither "
			    "hash<> nor map<>, runtime.hmap %s, internal/runtime/maps.Map %s)",
			    s->saw_hmap ? "present" : "absent",
			    s->saw_swiss_map ? "present" : "absent");
	out->off = off;
	copy_cut(out->go_version, sizeof(out->go_version), s->producer_version);
	snprintf(out->source, sizeof(out->source), "DWARF");
	return 0;
}

int gooffsets_from_dwarf(const char *path, struct gooffsets *out, char *err, size_t errsz)
{
	struct dwarf_scan s = {0};
	struct stat st;
	Elf *elf = NULL;
	Dwarf *dw = NULL;
	int rc;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(-EINVAL, err, errsz, "libelf: %s", elf_errmsg(-1));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		rc = fail(-e, err, errsz, "%s: %s", path, strerror(e));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(-EINVAL, err, errsz, "%s: not a regular file", path);
		goto cleanup;
	}
	/* ELF_C_READ reads with pread as needed: no mapping to fault on if the file shrinks */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		rc = fail(-EINVAL, err, errsz, "%s: %s", path, elf_errmsg(-1));
		goto cleanup;
	}
	rc = check_elf(elf, (uint64_t)st.st_size, err, errsz);
	if (rc)
		goto cleanup;
	dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dw) {
		rc = fail(-EINVAL, err, errsz, "DWARF: %s", dwarf_errmsg(-1));
		goto cleanup;
	}
	rc = scan_units(dw, &s, err, errsz);
	if (!rc)
		rc = offsets_from_scan(&s, out, err, errsz);
cleanup:
	if (dw)
		dwarf_end(dw);
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* --- both ------------------------------------------------------------------------------------- */

int gooffsets_find(struct goelf *g, const char *path, struct gooffsets *out, char *err,
		   size_t errsz)
{
	char version[128];
	char why[192] = "";
	unsigned minor;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = goelf_go_version(g, version, sizeof(version));
	if (rc)
		return fail(rc, err, errsz, "no Go version: %s", goelf_error(g));
	if (!go_minor(version, &minor) && minor < GO_MIN_REGABI_MINOR)
		return fail(-ENOTSUP, err, errsz,
			    "Go %s passes arguments on the stack, the probe reads registers "
			    "(Go 1.%u+): HTTP correlation falls back to connections only",
			    version, GO_MIN_REGABI_MINOR);
	rc = gooffsets_from_dwarf(path, out, why, sizeof(why));
	if (!rc) {
		copy_cut(out->go_version, sizeof(out->go_version), version);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (!gooffsets_from_table(version, out))
		return 0;
	return fail(-ENOTSUP, err, errsz,
		    "Go %s is not in the offsets table (go1.%u to go1.%u) and its DWARF does not "
		    "help (%s): HTTP correlation falls back to connections only; to support it, "
		    "add a row to the table in agent/gooffsets.c",
		    version, go_rows[0].minor, go_rows[GO_ROWS - 1].minor, why);
}
