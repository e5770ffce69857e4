/* httpprobe and bpf/http.bpf.c. Without BPF: the argument checks. As root: the BPF program
 * itself, its uprobe on a function of this test standing in for ServeHTTP, handed Go structures
 * made here by hand (a *Request, its TLS state and Header map in both layouts: runtime.hmap
 * buckets, Go <= 1.23, and internal/runtime/maps Swiss tables, Go 1.24+), so that every path of
 * the map walk runs, including those no Go toolchain on this machine would produce. */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "httpprobe.h"

#include "http.skel.h"

/* Go's layouts on amd64, as bpf/http.bpf.c reads them. */
struct go_string {
	const char *ptr;
	int64_t len;
};

struct go_slice {
	void *ptr;
	int64_t len;
	int64_t cap;
};

/* the fields of net/http.Request the program reads, at offsets of this test's choosing */
struct fake_request {
	struct go_string method;
	void *header;
	struct go_string remote_addr;
	struct go_string request_uri;
	void *tls;
};

struct fake_tls { /* crypto/tls.ConnectionState up to PeerCertificates (Go 1.19: 48) */
	uint8_t before[48];
	struct go_slice peer_certificates;
};

struct fake_hmap { /* runtime.hmap */
	int64_t count;
	uint8_t flags;
	uint8_t B;
	uint16_t noverflow;
	uint32_t hash0;
	void *buckets;
	void *oldbuckets;
	uintptr_t nevacuate;
	void *extra;
};

struct fake_bucket { /* runtime.bmap of map[string][]string */
	uint8_t tophash[8];
	struct go_string keys[8];
	struct go_slice elems[8];
	struct fake_bucket *overflow;
};

struct fake_swiss_map { /* internal/runtime/maps.Map */
	uint64_t used;
	uintptr_t seed;
	void *dir_ptr;
	int64_t dir_len;
	uint8_t global_depth, global_shift, writing;
	uint64_t clear_seq;
};

struct fake_table { /* internal/runtime/maps.table */
	uint16_t used, capacity, growth_left;
	uint8_t local_depth;
	int64_t index;
	void *groups_data;
	uint64_t groups_length_mask;
};

struct fake_slot {
	struct go_string key;
	struct go_slice elem;
};

struct fake_group { /* a group of map[string][]string */
	uint8_t ctrl[8];
	struct fake_slot slots[8];
};

_Static_assert(sizeof(struct fake_bucket) == 336, "runtime.bmap of map[string][]string");
_Static_assert(sizeof(struct fake_group) == 328, "group of map[string][]string");

#define CTRL_EMPTY   0x80
#define CTRL_DELETED 0xfe
#define TOKEN	     "secret-token-123"

/* Stands in for net/http.serverHandler.ServeHTTP: the SysV ABI passes req in RDI, where Go's
 * ABIInternal passes ServeHTTP's *Request (req_reg 3). */
__attribute__((noinline)) void kaa_test_serve_http(const struct fake_request *req)
{
	__asm__ volatile("" : : "r"(req) : "memory");
}

struct probe {
	struct http_bpf *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct http_event last;
	int events;
	const char *why_not; /* set when BPF cannot run here: every BPF test skips */
};

static int on_event(void *arg, void *data, size_t size)
{
	struct probe *p = arg;

	assert_int_equal(size, sizeof(p->last));
	memcpy(&p->last, data, sizeof(p->last));
	p->events++;
	return 0;
}

static int group_setup(void **state)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "kaa_test_serve_http");
	struct probe *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	*state = p;
	if (geteuid() != 0) {
		p->why_not = "not root";
		return 0;
	}
	p->skel = http_bpf__open_and_load();
	if (!p->skel) {
		p->why_not = "this kernel does not load bpf/http.bpf.c";
		return 0;
	}
	p->link = bpf_program__attach_uprobe_opts(p->skel->progs.serve_http, 0, "/proc/self/exe", 0,
						  &opts);
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event, p, NULL);
	if (!p->link || !p->rb)
		p->why_not = "the uprobe cannot be attached here";
	return 0;
}

static int group_teardown(void **state)
{
	struct probe *p = *state;

	ring_buffer__free(p->rb);
	bpf_link__destroy(p->link);
	http_bpf__destroy(p->skel);
	free(p);
	return 0;
}

static struct probe *need_bpf(void **state)
{
	struct probe *p = *state;

	if (p->why_not) {
		print_message("# %s: skipped\n", p->why_not);
		skip();
	}
	if (unit_under_valgrind()) {
		print_message("# under valgrind the uprobe on this program never fires: skipped\n");
		skip();
	}
	return p;
}

static struct go_string gs(const char *s)
{
	return (struct go_string){s, (int64_t)strlen(s)};
}

/* A request for GET / from 10.0.0.7:40000 with this Header map, no TLS. */
static struct fake_request request(void *header)
{
	return (struct fake_request){.method = gs("GET"),
				     .header = header,
				     .remote_addr = gs("10.0.0.7:40000"),
				     .request_uri = gs("/")};
}

/* Run the program on req with the map layout given; the event it sent (exactly one). */
static const struct http_event *serve(struct probe *p, const struct fake_request *req,
				      uint32_t map_layout)
{
	struct http_offsets off = {
	    .req_method = offsetof(struct fake_request, method),
	    .req_header = offsetof(struct fake_request, header),
	    .req_remote_addr = offsetof(struct fake_request, remote_addr),
	    .req_request_uri = offsetof(struct fake_request, request_uri),
	    .req_tls = offsetof(struct fake_request, tls),
	    .tls_peer_certs = offsetof(struct fake_tls, peer_certificates),
	    .map_layout = map_layout,
	    .req_reg = 3,
	};
	__u32 zero = 0;

	assert_int_equal(bpf_map__update_elem(p->skel->maps.offsets, &zero, sizeof(zero), &off,
					      sizeof(off), BPF_ANY),
			 0);
	p->events = 0;
	kaa_test_serve_http(req);
	ring_buffer__consume(p->rb);
	assert_int_equal(p->events, 1);
	return &p->last;
}

/* Header values: one value, as net/http stores a header sent once. */
struct values {
	struct go_string v;
	struct go_slice slice;
};

static void set_values(struct values *vals, const char *value)
{
	vals->v = gs(value);
	vals->slice = (struct go_slice){&vals->v, 1, 1};
}

static void bucket_put(struct fake_bucket *b, int i, uint8_t tophash, const char *key,
		       struct values *vals)
{
	b->tophash[i] = tophash;
	b->keys[i] = gs(key);
	if (vals)
		b->elems[i] = vals->slice;
}

static void group_put(struct fake_group *g, int i, uint8_t ctrl, const char *key,
		      struct values *vals)
{
	g->ctrl[i] = ctrl;
	g->slots[i].key = gs(key);
	if (vals)
		g->slots[i].elem = vals->slice;
}

static void empty_group(struct fake_group *g)
{
	memset(g, 0, sizeof(*g));
	memset(g->ctrl, CTRL_EMPTY, sizeof(g->ctrl));
}

/* One bucket, B = 0, holding Authorization: value at slot 3 after two other headers. */
static const struct http_event *serve_with_authorization(struct probe *p, const char *value)
{
	static const char *const other[] = {"Accept", "User-Agent"};
	struct fake_bucket b = {0};
	struct fake_hmap h = {.count = 3, .buckets = &b};
	struct values vals, others;
	struct fake_request req = request(&h);

	set_values(&vals, value);
	set_values(&others, "x");
	bucket_put(&b, 0, 0x9a, other[0], &others);
	bucket_put(&b, 1, 0x17, other[1], &others);
	bucket_put(&b, 3, 0x55, "Authorization", &vals);
	bucket_put(&b, 2, 1, "X-Gone", NULL); /* emptyOne: deleted */
	return serve(p, &req, HTTP_MAP_BUCKETS);
}

static void test_open_rejects_a_relative_path_before_touching_bpf(void **state)
{
	struct httpprobe *hp = (struct httpprobe *)1;
	char err[256];

	assert_int_equal(httpprobe_open(&hp, "bin/kube-apiserver", NULL, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_null(hp);
	assert_string_equal(err, "'bin/kube-apiserver' is neither a command name nor an absolute "
				 "path");
	assert_int_equal(httpprobe_open(&hp, "", NULL, NULL, err, sizeof(err)), -EINVAL);
}

static void test_free_takes_null(void **state)
{
	struct httpprobe *hp = NULL;

	httpprobe_free(&hp);
	assert_null(hp);
}

static void test_bpf_reads_method_remote_addr_uri_and_client_certificate(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_tls tls = {.peer_certificates = {&tls, 1, 1}};
	struct fake_request req = {.method = gs("PATCH"),
				   .remote_addr = gs("[fd00::1]:52814"),
				   .request_uri = gs("/api/v1/namespaces/default/pods/x"),
				   .tls = &tls};
	const struct http_event *e = serve(p, &req, HTTP_MAP_BUCKETS);

	assert_int_equal(e->pid, getpid());
	assert_string_equal(e->method, "PATCH");
	assert_int_equal(e->method_len, 5);
	assert_string_equal(e->remote_addr, "[fd00::1]:52814");
	assert_int_equal(e->addr_len, 15);
	assert_string_equal(e->uri, "/api/v1/namespaces/default/pods/x");
	assert_int_equal(e->uri_len, 33);
	assert_int_equal(e->flags, HTTP_F_TLS | HTTP_F_CLIENT_CERT);
	assert_string_equal(e->scheme, "");
}

static void test_bpf_tls_without_peer_certificates_is_tls_only(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_tls tls = {0};
	struct fake_request req = request(NULL);

	req.tls = &tls;
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_TLS);
}

static void test_bpf_long_uri_and_method_are_cut_with_their_full_lengths(void **state)
{
	struct probe *p = need_bpf(state);
	char uri[400];
	struct fake_request req = request(NULL);
	const struct http_event *e;

	memset(uri, 'u', sizeof(uri));
	uri[0] = '/';
	req.request_uri = (struct go_string){uri, sizeof(uri)};
	req.method = gs("AVERYLONGMETHODNAME");
	e = serve(p, &req, HTTP_MAP_BUCKETS);
	assert_int_equal(e->uri_len, 400);
	assert_int_equal(strlen(e->uri), HTTP_URI_LEN - 1);
	assert_memory_equal(e->uri, uri, HTTP_URI_LEN - 1);
	assert_int_equal(e->method_len, 19);
	assert_string_equal(e->method, "AVERYLONGMETHOD");
}

static void test_bpf_scheme_is_the_token_before_the_first_space(void **state)
{
	static const struct {
		const char *value, *scheme;
	} cases[] = {
	    {"Bearer " TOKEN, "Bearer"},
	    {"Basic dXNlcjpwYXNzd29yZA==", "Basic"},
	    {"Negotiate-2 " TOKEN, "Negotiate-2"},
	    {"Basic ", "Basic"},
	    {TOKEN, ""},	    /* no space: the whole value may be the credential */
	    {"Bea.rer " TOKEN, ""}, /* not a token */
	    {"AVeryLongSchemeName " TOKEN, ""}, /* the space is beyond HTTP_SCHEME_LEN */
	    {"FifteenLetters_ x", ""},
	    {"FifteenLetters1 x", "FifteenLetters1"}, /* the space is the 16th byte */
	    {" " TOKEN, ""},
	    {"", ""},
	};
	struct probe *p = need_bpf(state);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct http_event *e = serve_with_authorization(p, cases[i].value);

		if (strcmp(e->scheme, cases[i].scheme) || !(e->flags & HTTP_F_AUTH))
			fail_msg("'%s': scheme '%s' (want '%s'), flags %#x", cases[i].value,
				 e->scheme, cases[i].scheme, e->flags);
	}
}

static void test_bpf_credential_never_reaches_the_event(void **state)
{
	static const char *const values[] = {"Bearer " TOKEN, TOKEN, "x" TOKEN, "Bea.rer " TOKEN};
	struct probe *p = need_bpf(state);

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct http_event e = *serve_with_authorization(p, values[i]);

		assert_true(e.flags & HTTP_F_AUTH);
		assert_null(memmem(&e, sizeof(e), "secret", 6));
		assert_null(memmem(&e, sizeof(e), "token", 5));
	}
}

static void test_bpf_buckets_no_authorization_is_said(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket b = {0};
	struct fake_hmap h = {.count = 1, .buckets = &b};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Bearer " TOKEN);
	bucket_put(&b, 0, 0x33, "Authorizatio", &vals); /* a near miss */
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, 0);
}

static void test_bpf_buckets_authorization_in_an_overflow_bucket(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket b[3] = {0};
	struct fake_hmap h = {.count = 17, .buckets = &b[0]};
	struct fake_request req = request(&h);
	struct values vals, other;
	const struct http_event *e;

	set_values(&vals, "Bearer " TOKEN);
	set_values(&other, "x");
	for (int i = 0; i < 8; i++) {
		bucket_put(&b[0], i, (uint8_t)(10 + i), "X-Other", &other);
		bucket_put(&b[1], i, (uint8_t)(20 + i), "X-Other", &other);
	}
	b[0].overflow = &b[1];
	b[1].overflow = &b[2];
	bucket_put(&b[2], 0, 0x40, "Authorization", &vals);
	e = serve(p, &req, HTTP_MAP_BUCKETS);
	assert_int_equal(e->flags, HTTP_F_AUTH);
	assert_string_equal(e->scheme, "Bearer");
}

static void test_bpf_buckets_authorization_in_the_last_of_16_buckets(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket *b = calloc(16, sizeof(*b));
	struct fake_hmap h = {.count = 1, .B = 4, .buckets = b};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Basic x");
	bucket_put(&b[15], 0, 0xff, "Authorization", &vals);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_AUTH);
	free(b);
}

/* During a grow, entries not yet evacuated are only in oldbuckets (2^(B-1) of them). */
static void test_bpf_buckets_authorization_still_in_oldbuckets(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket nb[4] = {0}, ob[2] = {0};
	struct fake_hmap h = {.count = 9, .B = 2, .buckets = nb, .oldbuckets = ob};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Bearer " TOKEN);
	bucket_put(&ob[0], 0, 2, "Accept", NULL); /* evacuatedX: moved to nb */
	bucket_put(&nb[1], 0, 0x61, "Accept", NULL);
	bucket_put(&ob[1], 0, 0x77, "Authorization", &vals);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_AUTH);
}

/* A same-size grow (many deletions) keeps 2^B old buckets. */
static void test_bpf_buckets_same_size_grow_searches_every_old_bucket(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket nb[2] = {0}, ob[2] = {0};
	struct fake_hmap h = {.count = 1, .flags = 8, .B = 1, .buckets = nb, .oldbuckets = ob};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Bearer " TOKEN);
	bucket_put(&ob[1], 0, 0x77, "Authorization", &vals);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_AUTH);
}

/* Slots whose tophash is below 5 hold nothing (anymore): empty, or evacuated to the new
 * buckets; an emptyRest (0) slot ends the bucket and its overflow chain. */
static void test_bpf_buckets_empty_and_evacuated_slots_are_not_read(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket b[2] = {0};
	struct fake_hmap h = {.count = 1, .buckets = &b[0]};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Bearer " TOKEN);
	bucket_put(&b[0], 0, 1, "Authorization", &vals); /* emptyOne */
	bucket_put(&b[0], 1, 3, "Authorization", &vals); /* evacuatedY */
	bucket_put(&b[0], 2, 4, "Authorization", &vals); /* evacuatedEmpty */
	bucket_put(&b[0], 3, 0, "Authorization", &vals); /* emptyRest */
	bucket_put(&b[0], 4, 0x50, "Authorization", &vals);
	b[0].overflow = &b[1];
	bucket_put(&b[1], 0, 0x50, "Authorization", &vals);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, 0);
}

static void test_bpf_buckets_more_than_2_4_buckets_say_the_search_was_cut(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket *b = calloc(32, sizeof(*b));
	struct fake_hmap h = {.count = 120, .B = 5, .buckets = b};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Bearer " TOKEN);
	bucket_put(&b[3], 0, 0x50, "X-Other", NULL);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_HEADERS_CUT);
	/* found within the buckets searched: found, not cut */
	bucket_put(&b[3], 1, 0x50, "Authorization", &vals);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_AUTH);
	free(b);
}

static void test_bpf_buckets_overflow_chain_beyond_4_says_the_search_was_cut(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_bucket b[5] = {0};
	struct fake_hmap h = {.count = 33, .buckets = &b[0]};
	struct fake_request req = request(&h);
	struct values vals;

	set_values(&vals, "Bearer " TOKEN);
	for (int i = 0; i < 4; i++) {
		for (int j = 0; j < 8; j++)
			bucket_put(&b[i], j, 0x50, "X-Other", NULL);
		b[i].overflow = &b[i + 1];
	}
	bucket_put(&b[4], 0, 0x50, "Authorization", &vals);
	assert_int_equal(serve(p, &req, HTTP_MAP_BUCKETS)->flags, HTTP_F_HEADERS_CUT);
}

/* A map of up to 8 entries is one group: only slots whose control byte has the high bit clear
 * hold an entry (0x80 empty, 0xfe deleted). */
static void test_bpf_swiss_small_map_reads_full_slots_only(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_group g;
	struct fake_swiss_map m = {.used = 2, .dir_ptr = &g};
	struct fake_request req = request(&m);
	struct values vals;
	const struct http_event *e;

	empty_group(&g);
	set_values(&vals, "Bearer " TOKEN);
	group_put(&g, 0, CTRL_EMPTY, "Authorization", &vals);
	group_put(&g, 1, CTRL_DELETED, "Authorization", &vals);
	group_put(&g, 2, 0x12, "Accept", NULL);
	assert_int_equal(serve(p, &req, HTTP_MAP_SWISS)->flags, 0);

	set_values(&vals, "Basic " TOKEN);
	group_put(&g, 7, 0x7f, "Authorization", &vals);
	e = serve(p, &req, HTTP_MAP_SWISS);
	assert_int_equal(e->flags, HTTP_F_AUTH);
	assert_string_equal(e->scheme, "Basic");
}

static void test_bpf_swiss_directory_searches_each_table_and_group(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_group g0[2], g1[4];
	struct fake_table t0 = {.groups_data = g0, .groups_length_mask = 1, .local_depth = 1};
	struct fake_table t1 = {.groups_data = g1, .groups_length_mask = 3, .local_depth = 1};
	/* globalDepth 2, both tables at localDepth 1: each fills two directory entries */
	struct fake_table *dir[4] = {&t0, &t0, &t1, &t1};
	struct fake_swiss_map m = {.used = 3, .dir_ptr = dir, .dir_len = 4, .global_depth = 2};
	struct fake_request req = request(&m);
	struct values vals;
	const struct http_event *e;

	for (int i = 0; i < 2; i++)
		empty_group(&g0[i]);
	for (int i = 0; i < 4; i++)
		empty_group(&g1[i]);
	set_values(&vals, "Bearer " TOKEN);
	group_put(&g0[1], 0, 0x01, "Accept", NULL);
	group_put(&g1[0], 3, 0x02, "User-Agent", NULL);
	assert_int_equal(serve(p, &req, HTTP_MAP_SWISS)->flags, 0);

	group_put(&g1[3], 5, 0x03, "Authorization", &vals);
	e = serve(p, &req, HTTP_MAP_SWISS);
	assert_int_equal(e->flags, HTTP_F_AUTH);
	assert_string_equal(e->scheme, "Bearer");
}

static void test_bpf_swiss_large_table_or_directory_says_the_search_was_cut(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_group *g = calloc(32, sizeof(*g));
	struct fake_table t = {.groups_data = g, .groups_length_mask = 31};
	struct fake_table *dir[8] = {&t, &t, &t, &t, &t, &t, &t, &t};
	struct fake_swiss_map m = {.used = 1, .dir_ptr = dir, .dir_len = 1};
	struct fake_request req = request(&m);

	for (int i = 0; i < 32; i++)
		empty_group(&g[i]);
	group_put(&g[0], 0, 0x05, "Accept", NULL);
	assert_int_equal(serve(p, &req, HTTP_MAP_SWISS)->flags, HTTP_F_HEADERS_CUT);

	t.groups_length_mask = 0;
	m.dir_len = 8;
	assert_int_equal(serve(p, &req, HTTP_MAP_SWISS)->flags, HTTP_F_HEADERS_CUT);
	free(g);
}

static void test_bpf_unreadable_header_map_sends_the_request_anyway(void **state)
{
	struct probe *p = need_bpf(state);
	struct fake_request req = request((void *)8); /* not mapped */
	const struct http_event *e;

	e = serve(p, &req, HTTP_MAP_SWISS);
	assert_int_equal(e->flags, 0);
	assert_string_equal(e->method, "GET");
	e = serve(p, &req, HTTP_MAP_BUCKETS);
	assert_int_equal(e->flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_rejects_a_relative_path_before_touching_bpf),
	    cmocka_unit_test(test_free_takes_null),
	    cmocka_unit_test(test_bpf_reads_method_remote_addr_uri_and_client_certificate),
	    cmocka_unit_test(test_bpf_tls_without_peer_certificates_is_tls_only),
	    cmocka_unit_test(test_bpf_long_uri_and_method_are_cut_with_their_full_lengths),
	    cmocka_unit_test(test_bpf_scheme_is_the_token_before_the_first_space),
	    cmocka_unit_test(test_bpf_credential_never_reaches_the_event),
	    cmocka_unit_test(test_bpf_buckets_no_authorization_is_said),
	    cmocka_unit_test(test_bpf_buckets_authorization_in_an_overflow_bucket),
	    cmocka_unit_test(test_bpf_buckets_authorization_in_the_last_of_16_buckets),
	    cmocka_unit_test(test_bpf_buckets_authorization_still_in_oldbuckets),
	    cmocka_unit_test(test_bpf_buckets_same_size_grow_searches_every_old_bucket),
	    cmocka_unit_test(test_bpf_buckets_empty_and_evacuated_slots_are_not_read),
	    cmocka_unit_test(test_bpf_buckets_more_than_2_4_buckets_say_the_search_was_cut),
	    cmocka_unit_test(test_bpf_buckets_overflow_chain_beyond_4_says_the_search_was_cut),
	    cmocka_unit_test(test_bpf_swiss_small_map_reads_full_slots_only),
	    cmocka_unit_test(test_bpf_swiss_directory_searches_each_table_and_group),
	    cmocka_unit_test(test_bpf_swiss_large_table_or_directory_says_the_search_was_cut),
	    cmocka_unit_test(test_bpf_unreadable_header_map_sends_the_request_anyway),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
