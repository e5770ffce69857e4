// SPDX-License-Identifier: GPL-2.0
/* http: a uprobe on the entry of Go's net/http.serverHandler.ServeHTTP. Reads the *Request's
 * method, RemoteAddr, RequestURI, TLS state and whether an Authorization header is present
 * (walking the Header map), and emits one http_event; the header's credential stays here. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "http.h"
#include "lost.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Wake the reader only once this many bytes wait (0: for every request). The agent reads the
 * ring before each alert's join and every second anyway; waking it for each request of a busy
 * API server would cost both of them more than the probe itself. Set through skel->bss. */
__u32 wakeup_bytes = 0;

/* How far the Header map is searched; a larger map sets HTTP_F_HEADERS_CUT. Requests carry
 * a few dozen headers at most, well inside these bounds. */
#define BUCKETS_MAX_B	  4  /* runtime.hmap: up to 2^4 buckets in each of buckets/oldbuckets */
#define BUCKETS_MAX_CHAIN 4  /* a bucket and up to 3 overflow buckets */
#define SWISS_MAX_TABLES  4  /* directory entries */
#define SWISS_MAX_GROUPS  16 /* groups in one table (128 slots) */
#define SLOTS		  8  /* slots in a bucket (Go <= 1.23) and in a group (Go 1.24+) */

/* runtime.hmap's flags: oldbuckets is as large as buckets (a same-size grow) */
#define HMAP_SAME_SIZE_GROW 8
/* runtime tophash values below this mark empty or evacuated slots */
#define HMAP_MIN_TOPHASH 5
/* internal/runtime/maps control byte: the high bit is set for empty and deleted slots */
#define SWISS_CTRL_FREE 0x80

/* Go's string and slice headers (amd64). */
struct go_string {
	__u64 ptr;
	__s64 len;
};

struct go_slice {
	__u64 ptr;
	__s64 len;
	__s64 cap;
};

/* runtime.hmap, Go 1.19 - 1.23 (src/runtime/map.go) */
struct go_hmap {
	__s64 count;
	__u8 flags;
	__u8 B;
	__u16 noverflow;
	__u32 hash0;
	__u64 buckets;
	__u64 oldbuckets;
};

/* runtime.bmap for map[string][]string: tophash, then 8 keys, 8 elems, the overflow pointer */
struct go_bucket {
	__u8 tophash[SLOTS];
	struct go_string keys[SLOTS];
	struct go_slice elems[SLOTS];
	__u64 overflow;
};

/* internal/runtime/maps.Map, Go 1.24+ (src/internal/runtime/maps/map.go) */
struct go_swiss_map {
	__u64 used;
	__u64 seed;
	__u64 dir_ptr; /* *[dir_len]*table, or with dir_len == 0 a single group */
	__s64 dir_len;
};

/* internal/runtime/maps.table (table.go) */
struct go_swiss_table {
	__u16 used;
	__u16 capacity;
	__u16 growth_left;
	__u8 local_depth;
	__u8 pad;
	__s64 index;
	__u64 groups_data;	  /* *[lengthMask + 1]group */
	__u64 groups_length_mask; /* number of groups - 1 */
};

/* a group for map[string][]string (group.go): the control word, 8 interleaved slots */
struct go_swiss_slot {
	struct go_string key;
	struct go_slice elem;
};

struct go_swiss_group {
	__u8 ctrl[SLOTS];
	struct go_swiss_slot slots[SLOTS];
};

_Static_assert(sizeof(struct go_hmap) == 32, "runtime.hmap up to oldbuckets");
_Static_assert(sizeof(struct go_bucket) == 336, "bucket of map[string][]string");
_Static_assert(sizeof(struct go_swiss_table) == 32, "internal/runtime/maps.table");
_Static_assert(sizeof(struct go_swiss_group) == 328, "group of map[string][]string");

/* Filled by userspace before it attaches: where the fields are in the probed binary. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct http_offsets);
} offsets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HTTP_RINGBUF_BYTES);
} events SEC(".maps");

/* What one bucket or group told the Header search. */
struct slots_result {
	__u64 next;	       /* buckets: the overflow bucket, 0 at the end of the chain */
	struct go_slice value; /* the Authorization header's values, when found */
	__u32 found;
	__u32 pad;
};

/* The state of one Header search. */
struct header_search {
	bool found;
	bool cut;
	struct go_slice value;
};

static const char authorization[] = "Authorization";
#define AUTHORIZATION_LEN (sizeof(authorization) - 1)

/* Go ABIInternal on amd64 passes integer arguments in RAX, RBX, RCX, RDI, RSI, R8-R11: reg is
 * the index in that list. Every register is read at its constant offset (the verifier refuses a
 * computed offset into the context). */
static __always_inline __u64 go_arg(struct pt_regs *ctx, __u32 reg)
{
	__u64 regs[9] = {ctx->ax, ctx->bx, ctx->cx,  ctx->di, ctx->si,
			 ctx->r8, ctx->r9, ctx->r10, ctx->r11};

	return reg < 9 ? regs[reg] : 0;
}

/* The Go string at addr into dst (size a power of two): at most size - 1 bytes, NUL-terminated
 * (dst is zeroed by the caller). Returns the string's full length, 0 when unreadable. */
static __always_inline __u32 read_go_string(char *dst, __u32 size, __u64 addr)
{
	struct go_string s;
	__u64 n;

	if (bpf_probe_read_user(&s, sizeof(s), (void *)addr) || s.len <= 0)
		return 0;
	n = (__u64)s.len < size - 1 ? (__u64)s.len : size - 1;
	n &= size - 1; /* changes nothing; shows the verifier the bound */
	if (bpf_probe_read_user(dst, n, (void *)s.ptr))
		dst[0] = '\0';
	return s.len > 0xffffffffLL ? 0xffffffff : (__u32)s.len;
}

/* A map key is "Authorization": net/http canonicalises header names (HTTP/1.1 and HTTP/2). */
static __always_inline bool is_authorization(const struct go_string *key)
{
	char name[AUTHORIZATION_LEN];

	if (key->len != AUTHORIZATION_LEN)
		return false;
	if (bpf_probe_read_user(name, sizeof(name), (void *)key->ptr))
		return false;
	for (int i = 0; i < AUTHORIZATION_LEN; i++) {
		if (name[i] != authorization[i])
			return false;
	}
	return true;
}

/* The two functions that look at slots are global, so the verifier checks each of them once
 * rather than once per bucket of the walks below (which would exceed its limits). They read
 * what they need slot by slot onto the stack: a shared scratch buffer could be overwritten by
 * the program running for another thread of the server when this one is preempted. */

/* One runtime.bmap bucket at addr (Go <= 1.23). Returns 0, or -1 when it cannot be read. */
__noinline int search_bucket(__u64 addr, struct slots_result *r)
{
	__u8 tophash[SLOTS];
	struct go_string key;
	struct go_slice value;

	if (!r || bpf_probe_read_user(tophash, sizeof(tophash), (void *)addr))
		return -1;
	for (int i = 0; i < SLOTS; i++) {
		/* 0 (emptyRest): nothing more here or in the overflow buckets */
		if (tophash[i] == 0)
			return 0;
		/* 1 (emptyOne); 2-4: evacuated, the entry is in the new buckets */
		if (tophash[i] < HMAP_MIN_TOPHASH)
			continue;
		if (bpf_probe_read_user(&key, sizeof(key),
					(void *)(addr + offsetof(struct go_bucket, keys[i]))))
			return -1;
		if (!is_authorization(&key))
			continue;
		if (bpf_probe_read_user(&value, sizeof(value),
					(void *)(addr + offsetof(struct go_bucket, elems[i]))))
			return -1;
		r->found = 1;
		r->value = value;
		return 0;
	}
	if (bpf_probe_read_user(&r->next, sizeof(r->next),
				(void *)(addr + offsetof(struct go_bucket, overflow))))
		return -1;
	return 0;
}

/* One Swiss-table group at addr (Go 1.24+): a slot is full when its control byte's high bit is
 * clear. Returns 0, or -1 when it cannot be read. */
__noinline int search_group(__u64 addr, struct slots_result *r)
{
	__u8 ctrl[SLOTS];
	struct go_string key;
	struct go_slice value;

	if (!r || bpf_probe_read_user(ctrl, sizeof(ctrl), (void *)addr))
		return -1;
	for (int i = 0; i < SLOTS; i++) {
		if (ctrl[i] & SWISS_CTRL_FREE)
			continue;
		if (bpf_probe_read_user(
			&key, sizeof(key),
			(void *)(addr + offsetof(struct go_swiss_group, slots[i].key))))
			return -1;
		if (!is_authorization(&key))
			continue;
		if (bpf_probe_read_user(
			&value, sizeof(value),
			(void *)(addr + offsetof(struct go_swiss_group, slots[i].elem))))
			return -1;
		r->found = 1;
		r->value = value;
		return 0;
	}
	return 0;
}

static __always_inline void take_result(struct header_search *s, const struct slots_result *r)
{
	if (r->found) {
		s->found = true;
		s->value = r->value;
	}
}

/* One bucket and its overflow chain, at addr. */
static __always_inline void search_bucket_chain(struct header_search *s, __u64 addr)
{
	struct slots_result r = {};

	for (int depth = 0; depth < BUCKETS_MAX_CHAIN; depth++) {
		if (!addr)
			return;
		r.next = 0;
		if (search_bucket(addr, &r))
			return;
		take_result(s, &r);
		if (s->found)
			return;
		addr = r.next;
	}
	if (addr)
		s->cut = true;
}

/* An array of 2^B buckets at addr. */
static __always_inline void search_bucket_array(struct header_search *s, __u64 addr, __u8 B)
{
	__u32 n;

	if (B > BUCKETS_MAX_B) {
		s->cut = true;
		B = BUCKETS_MAX_B;
	}
	n = 1U << B;
	for (__u32 i = 0; i < (1U << BUCKETS_MAX_B); i++) {
		if (i >= n || s->found)
			return;
		search_bucket_chain(s, addr + (__u64)i * sizeof(struct go_bucket));
	}
}

/* Go <= 1.23: runtime.hmap. While the map grows, entries not yet moved are in oldbuckets. */
static __always_inline void search_buckets(struct header_search *s, __u64 addr)
{
	struct go_hmap h;

	if (bpf_probe_read_user(&h, sizeof(h), (void *)addr) || h.count <= 0)
		return;
	search_bucket_array(s, h.buckets, h.B);
	if (s->found || !h.oldbuckets)
		return;
	search_bucket_array(s, h.oldbuckets,
			    (h.flags & HMAP_SAME_SIZE_GROW) || h.B == 0 ? h.B : h.B - 1);
}

/* One table of a Swiss map's directory. */
static __always_inline void search_table(struct header_search *s, __u64 addr)
{
	struct slots_result r = {};
	struct go_swiss_table t;
	__u64 ngroups;

	if (bpf_probe_read_user(&t, sizeof(t), (void *)addr) || !t.groups_data)
		return;
	ngroups = t.groups_length_mask + 1;
	if (ngroups > SWISS_MAX_GROUPS) {
		s->cut = true;
		ngroups = SWISS_MAX_GROUPS;
	}
	for (__u32 i = 0; i < SWISS_MAX_GROUPS; i++) {
		if (i >= ngroups)
			return;
		if (search_group(t.groups_data + (__u64)i * sizeof(struct go_swiss_group), &r))
			return;
		take_result(s, &r);
		if (s->found)
			return;
	}
}

/* Go 1.24+: internal/runtime/maps.Map. A small map (dir_len 0) is a single group; otherwise a
 * directory of tables, one table filling a run of consecutive entries. */
static __always_inline void search_swiss(struct header_search *s, __u64 addr)
{
	struct slots_result r = {};
	struct go_swiss_map m;
	__u64 prev = 0, table;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)addr) || !m.used || !m.dir_ptr)
		return;
	if (m.dir_len == 0) {
		if (!search_group(m.dir_ptr, &r))
			take_result(s, &r);
		return;
	}
	if (m.dir_len > SWISS_MAX_TABLES)
		s->cut = true;
	for (__s64 i = 0; i < SWISS_MAX_TABLES; i++) {
		if (i >= m.dir_len || s->found)
			return;
		if (bpf_probe_read_user(&table, sizeof(table), (void *)(m.dir_ptr + i * 8)))
			return;
		if (!table || table == prev)
			continue;
		prev = table;
		search_table(s, table);
	}
}

/* The Authorization value's scheme ("Bearer", "Basic") into e->scheme: the bytes before the
 * first space, when that space is among the first HTTP_SCHEME_LEN bytes and the scheme is a
 * token of letters, digits and '-'. Nothing else of the value leaves this function. */
static __always_inline void read_scheme(struct http_event *e, const struct go_slice *values)
{
	struct go_string v;
	char buf[HTTP_SCHEME_LEN] = {};
	int space = -1;
	__u64 n;

	if (values->len <= 0 || bpf_probe_read_user(&v, sizeof(v), (void *)values->ptr) ||
	    v.len <= 0)
		return;
	n = (__u64)v.len < sizeof(buf) ? (__u64)v.len : sizeof(buf);
	if (bpf_probe_read_user(buf, n, (void *)v.ptr))
		goto wipe;
	for (int i = 0; i < HTTP_SCHEME_LEN; i++) {
		char c = buf[i];

		if (i >= n)
			break;
		if (c == ' ') {
			space = i;
			break;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			break;
	}
	/* space < HTTP_SCHEME_LEN, so the scheme and its NUL fit */
	for (int i = 0; i < HTTP_SCHEME_LEN - 1; i++)
		e->scheme[i] = i < space ? buf[i] : 0;
wipe:
	/* the credential: never left in memory the program does not need */
	for (int i = 0; i < HTTP_SCHEME_LEN; i++)
		((volatile char *)buf)[i] = 0;
}

static __always_inline void read_headers(struct http_event *e, const struct http_offsets *off,
					 __u64 req)
{
	struct header_search s = {};
	__u64 header;

	if (bpf_probe_read_user(&header, sizeof(header), (void *)(req + off->req_header)) ||
	    !header)
		return;
	if (off->map_layout == HTTP_MAP_BUCKETS)
		search_buckets(&s, header);
	else if (off->map_layout == HTTP_MAP_SWISS)
		search_swiss(&s, header);
	if (s.cut && !s.found)
		e->flags |= HTTP_F_HEADERS_CUT;
	if (s.found) {
		e->flags |= HTTP_F_AUTH;
		read_scheme(e, &s.value);
	}
}

static __always_inline void read_tls(struct http_event *e, const struct http_offsets *off,
				     __u64 req)
{
	__u64 tls;
	__s64 ncerts;

	if (bpf_probe_read_user(&tls, sizeof(tls), (void *)(req + off->req_tls)) || !tls)
		return;
	e->flags |= HTTP_F_TLS;
	/* PeerCertificates is a slice: its length is the second word */
	if (!bpf_probe_read_user(&ncerts, sizeof(ncerts),
				 (void *)(tls + off->tls_peer_certs + 8)) &&
	    ncerts > 0)
		e->flags |= HTTP_F_CLIENT_CERT;
}

SEC("uprobe")
int serve_http(struct pt_regs *ctx)
{
	struct http_offsets *off;
	struct http_event *e;
	__u32 zero = 0;
	__u64 req;

	off = bpf_map_lookup_elem(&offsets, &zero);
	if (!off || !off->map_layout)
		return 0;
	req = go_arg(ctx, off->req_reg);
	if (!req)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->method_len = read_go_string(e->method, sizeof(e->method), req + off->req_method);
	e->addr_len =
	    read_go_string(e->remote_addr, sizeof(e->remote_addr), req + off->req_remote_addr);
	e->uri_len = read_go_string(e->uri, sizeof(e->uri), req + off->req_request_uri);
	read_tls(e, off, req);
	read_headers(e, off, req);
	bpf_ringbuf_submit(e, wakeup_bytes && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) <
							 wakeup_bytes
				  ? BPF_RB_NO_WAKEUP
				  : wakeup_bytes ? BPF_RB_FORCE_WAKEUP : 0);
	return 0;
}
