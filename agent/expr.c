#include "expr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "prefilter.h"
#include "value.h"

enum op {
	OP_ALL,
	OP_ANY,
	OP_ONLY_ONE,
	OP_NONE,
	OP_COND,      /* key + condition (+ value / values) */
	OP_MULTI_KEY, /* condition over two keys */
	OP_LIST,      /* AnyElement ... over a list key */
	OP_CONST,     /* AlwaysTrue / AlwaysFalse */
};

enum cond {
	C_EQUALS,
	C_IEQUALS,
	C_CONTAINS,
	C_ICONTAINS,
	C_STARTS,
	C_ISTARTS,
	C_ENDS,
	C_IENDS,
	C_GT,
	C_GE,
	C_LT,
	C_LE,
	C_IS_IN,
	C_IIS_IN,
	C_EXISTS,
	C_IS_NULL,
	C_IS_NULL_OR_EMPTY,
	C_IS_IP,
	C_IS_IPV4,
	C_IS_IPV6,
	C_IP_PUBLIC,
	C_IP_PRIVATE,
	C_IP_IN_CIDR,
	C_ANY_ELEMENT,
	C_ALL_ELEMENTS,
	C_ONLY_ONE_ELEMENT,
	C_NO_ELEMENT,
	C_ALWAYS_TRUE,
};

enum argkind { ARG_NONE, ARG_VALUE, ARG_VALUES, ARG_LIST };

static const struct cond_name {
	const char *name;
	enum cond cond;
	bool negate;
	enum argkind arg;
	bool binary; /* usable as a two-key comparison */
} conds[] = {
	{"Equals", C_EQUALS, false, ARG_VALUE, true},
	{"DoesNotEqual", C_EQUALS, true, ARG_VALUE, true},
	{"IEquals", C_IEQUALS, false, ARG_VALUE, true},
	{"IDoesNotEqual", C_IEQUALS, true, ARG_VALUE, true},
	{"Contains", C_CONTAINS, false, ARG_VALUE, true},
	{"DoesNotContain", C_CONTAINS, true, ARG_VALUE, true},
	{"IContains", C_ICONTAINS, false, ARG_VALUE, true},
	{"IDoesNotContain", C_ICONTAINS, true, ARG_VALUE, true},
	{"StartsWith", C_STARTS, false, ARG_VALUE, true},
	{"DoesNotStartWith", C_STARTS, true, ARG_VALUE, true},
	{"IStartsWith", C_ISTARTS, false, ARG_VALUE, true},
	{"IDoesNotStartWith", C_ISTARTS, true, ARG_VALUE, true},
	{"EndsWith", C_ENDS, false, ARG_VALUE, true},
	{"DoesNotEndWith", C_ENDS, true, ARG_VALUE, true},
	{"IEndsWith", C_IENDS, false, ARG_VALUE, true},
	{"IDoesNotEndWith", C_IENDS, true, ARG_VALUE, true},
	{"IsGreaterThan", C_GT, false, ARG_VALUE, true},
	{"IsGreaterThanOrEqual", C_GE, false, ARG_VALUE, true},
	{"IsLessThan", C_LT, false, ARG_VALUE, true},
	{"IsLessThanOrEqual", C_LE, false, ARG_VALUE, true},
	{"IsIn", C_IS_IN, false, ARG_VALUES, false},
	{"IsNotIn", C_IS_IN, true, ARG_VALUES, false},
	{"IIsIn", C_IIS_IN, false, ARG_VALUES, false},
	{"IIsNotIn", C_IIS_IN, true, ARG_VALUES, false},
	{"Exists", C_EXISTS, false, ARG_NONE, false},
	{"DoesNotExist", C_EXISTS, true, ARG_NONE, false},
	{"IsNull", C_IS_NULL, false, ARG_NONE, false},
	{"IsNotNull", C_IS_NULL, true, ARG_NONE, false},
	{"IsNullOrEmpty", C_IS_NULL_OR_EMPTY, false, ARG_NONE, false},
	{"IsNotNullOrEmpty", C_IS_NULL_OR_EMPTY, true, ARG_NONE, false},
	{"IsIPAddress", C_IS_IP, false, ARG_NONE, false},
	{"IsNotIPAddress", C_IS_IP, true, ARG_NONE, false},
	{"IsIPv4Address", C_IS_IPV4, false, ARG_NONE, false},
	{"IsIPv6Address", C_IS_IPV6, false, ARG_NONE, false},
	{"IsIPAddressPublic", C_IP_PUBLIC, false, ARG_NONE, false},
	{"IsIPAddressPrivate", C_IP_PRIVATE, false, ARG_NONE, false},
	{"IsIPAddressInCIDR", C_IP_IN_CIDR, false, ARG_VALUES, false},
	{"IsIPAddressNotInCIDR", C_IP_IN_CIDR, true, ARG_VALUES, false},
	{"AnyElement", C_ANY_ELEMENT, false, ARG_LIST, false},
	{"AllElements", C_ALL_ELEMENTS, false, ARG_LIST, false},
	{"OnlyOneElement", C_ONLY_ONE_ELEMENT, false, ARG_LIST, false},
	{"NoElement", C_NO_ELEMENT, false, ARG_LIST, false},
	{"AlwaysTrue", C_ALWAYS_TRUE, false, ARG_NONE, false},
	{"AlwaysFalse", C_ALWAYS_TRUE, true, ARG_NONE, false},
};

struct cidr {
	int family;
	unsigned char addr[16];
	int bits;
};

struct expr {
	enum op op;
	const struct cond_name *cond;
	struct ref key;
	struct ref key2; /* OP_MULTI_KEY */
	cJSON *value;    /* ARG_VALUE: the value; ARG_VALUES: an array */
	struct cidr *cidrs;
	size_t ncidrs;
	struct expr **kids; /* combinators and list Expressions */
	size_t nkids;
};

int compile_error(struct compile_ctx *cx, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(cx->err, cx->errsz, "%s:%d: %s", cx->doc && cx->doc->path ? cx->doc->path : "?",
		 ydoc_line(at), msg);
	return -EINVAL;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nkids; i++)
		expr_free(e->kids[i]);
	free(e->kids);
	ref_free(&e->key);
	ref_free(&e->key2);
	cJSON_Delete(e->value);
	free(e->cidrs);
	free(e);
}

static struct expr *expr_new(enum op op)
{
	struct expr *e = calloc(1, sizeof(*e));
	if (e) {
		e->op = op;
		e->key.udm = -1;
		e->key2.udm = -1;
	}
	return e;
}

static int add_kid(struct expr *e, struct expr *k)
{
	struct expr **nk = realloc(e->kids, (e->nkids + 1) * sizeof(*nk));
	if (!nk)
		return -ENOMEM;
	e->kids = nk;
	e->kids[e->nkids++] = k;
	return 0;
}

static int parse_cidr(const char *s, struct cidr *c)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		c->bits = 128;
	} else {
		return -EINVAL;
	}
	if (slash) {
		char *end;
		long b = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || b < 0 || b > c->bits)
			return -EINVAL;
		c->bits = (int)b;
	}
	return 0;
}

static bool prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Parse a textual IP; returns AF_INET, AF_INET6 or 0. */
static int parse_ip(const cJSON *v, unsigned char addr[16])
{
	if (!v || !cJSON_IsString(v))
		return 0;
	if (inet_pton(AF_INET, v->valuestring, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, v->valuestring, addr) == 1)
		return AF_INET6;
	return 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address for ranges, as in Go. */
static int unmap_v4(unsigned char addr[16], int fam)
{
	static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (fam != AF_INET6 || memcmp(addr, prefix, sizeof(prefix)) != 0)
		return fam;
	memmove(addr, addr + 12, 4);
	return AF_INET;
}

static bool ip_in(const unsigned char *a, int fam, const char *cidr)
{
	struct cidr c;
	return parse_cidr(cidr, &c) == 0 && c.family == fam && prefix_match(a, c.addr, c.bits);
}

/* Private: RFC 1918 and RFC 4193 (as Go's net.IP.IsPrivate). */
static bool ip_private(const unsigned char *a, int fam)
{
	if (fam == AF_INET)
		return ip_in(a, fam, "10.0.0.0/8") || ip_in(a, fam, "172.16.0.0/12") ||
		       ip_in(a, fam, "192.168.0.0/16");
	return ip_in(a, fam, "fc00::/7");
}

/* Public: a global unicast address that is not private, shared, loopback, link-local,
 * documentation, multicast or unspecified. */
static bool ip_public(const unsigned char *a, int fam)
{
	static const char *v4_special[] = {"0.0.0.0/8",	     "10.0.0.0/8",	"100.64.0.0/10",
					   "127.0.0.0/8",    "169.254.0.0/16",	"172.16.0.0/12",
					   "192.0.0.0/24",   "192.0.2.0/24",	"192.168.0.0/16",
					   "198.18.0.0/15",  "198.51.100.0/24", "203.0.113.0/24",
					   "224.0.0.0/4",    "240.0.0.0/4"};
	static const char *v6_special[] = {"::/128",   "::1/128",	"::ffff:0:0/96",
					   "fc00::/7", "fe80::/10",	"ff00::/8",
					   "2001:db8::/32", "64:ff9b::/96", "100::/64"};
	const char **list = fam == AF_INET ? v4_special : v6_special;
	size_t n = fam == AF_INET ? sizeof(v4_special) / sizeof(*v4_special)
				  : sizeof(v6_special) / sizeof(*v6_special);
	for (size_t i = 0; i < n; i++)
		if (ip_in(a, fam, list[i]))
			return false;
	return true;
}

static bool str_pair(const cJSON *a, const cJSON *b, const char **sa, const char **sb)
{
	if (!a || !b || !cJSON_IsString(a) || !cJSON_IsString(b))
		return false;
	*sa = a->valuestring;
	*sb = b->valuestring;
	return true;
}

static bool ends_with(const char *s, const char *suf, bool ci)
{
	size_t ls = strlen(s), lf = strlen(suf);
	if (lf > ls)
		return false;
	return ci ? strcasecmp(s + ls - lf, suf) == 0 : strcmp(s + ls - lf, suf) == 0;
}

/* The two-operand conditions, before negation. */
static bool compare(enum cond c, const cJSON *a, const cJSON *b)
{
	const char *sa, *sb;
	switch (c) {
	case C_EQUALS:
		return value_equal(a, b);
	case C_IEQUALS:
		if (str_pair(a, b, &sa, &sb))
			return strcasecmp(sa, sb) == 0;
		return value_equal(a, b);
	case C_CONTAINS:
		return str_pair(a, b, &sa, &sb) && strstr(sa, sb) != NULL;
	case C_ICONTAINS:
		return str_pair(a, b, &sa, &sb) && strcasestr(sa, sb) != NULL;
	case C_STARTS:
		return str_pair(a, b, &sa, &sb) && strncmp(sa, sb, strlen(sb)) == 0;
	case C_ISTARTS:
		return str_pair(a, b, &sa, &sb) && strncasecmp(sa, sb, strlen(sb)) == 0;
	case C_ENDS:
		return str_pair(a, b, &sa, &sb) && ends_with(sa, sb, false);
	case C_IENDS:
		return str_pair(a, b, &sa, &sb) && ends_with(sa, sb, true);
	case C_GT:
	case C_GE:
	case C_LT:
	case C_LE:
		if (!a || !b || !cJSON_IsNumber(a) || !cJSON_IsNumber(b))
			return false;
		if (c == C_GT)
			return a->valuedouble > b->valuedouble;
		if (c == C_GE)
			return a->valuedouble >= b->valuedouble;
		if (c == C_LT)
			return a->valuedouble < b->valuedouble;
		return a->valuedouble <= b->valuedouble;
	default:
		return false;
	}
}

static bool eval_cond(const struct expr *e, struct event *ev, const cJSON *elem)
{
	const cJSON *v = event_ref(ev, &e->key, elem);
	unsigned char addr[16];
	int fam;

	switch (e->cond->cond) {
	case C_IS_IN:
	case C_IIS_IN:
		for (const cJSON *c = e->value->child; c; c = c->next)
			if (compare(e->cond->cond == C_IS_IN ? C_EQUALS : C_IEQUALS, v, c))
				return true;
		return false;
	case C_EXISTS:
		return v != NULL;
	case C_IS_NULL:
		return !v || cJSON_IsNull(v);
	case C_IS_NULL_OR_EMPTY:
		if (!v || cJSON_IsNull(v))
			return true;
		if (cJSON_IsString(v))
			return v->valuestring[0] == '\0';
		if (cJSON_IsArray(v) || cJSON_IsObject(v))
			return v->child == NULL;
		return false;
	case C_IS_IP:
		return parse_ip(v, addr) != 0;
	case C_IS_IPV4:
		return parse_ip(v, addr) == AF_INET;
	case C_IS_IPV6:
		return parse_ip(v, addr) == AF_INET6;
	case C_IP_PUBLIC:
		fam = unmap_v4(addr, parse_ip(v, addr));
		return fam && ip_public(addr, fam);
	case C_IP_PRIVATE:
		fam = unmap_v4(addr, parse_ip(v, addr));
		return fam && ip_private(addr, fam);
	case C_IP_IN_CIDR:
		fam = unmap_v4(addr, parse_ip(v, addr));
		for (size_t i = 0; fam && i < e->ncidrs; i++)
			if (e->cidrs[i].family == fam && prefix_match(addr, e->cidrs[i].addr,
								      e->cidrs[i].bits))
				return true;
		return false;
	case C_ALWAYS_TRUE:
		return true;
	default:
		return compare(e->cond->cond, v, e->value);
	}
}

static bool eval_list(const struct expr *e, struct event *ev, const cJSON *elem)
{
	const cJSON *v = event_ref(ev, &e->key, elem);
	size_t hits = 0, total = 0;
	enum cond c = e->cond->cond;

	if (!v || !cJSON_IsArray(v))
		return c == C_NO_ELEMENT;
	for (const cJSON *it = v->child; it; it = it->next) {
		bool ok = true;
		for (size_t i = 0; ok && i < e->nkids; i++)
			ok = expr_eval(e->kids[i], ev, it);
		total++;
		if (ok) {
			hits++;
			if (c == C_ANY_ELEMENT)
				return true;
			if (c == C_NO_ELEMENT)
				return false;
		} else if (c == C_ALL_ELEMENTS) {
			return false;
		}
		if (c == C_ONLY_ONE_ELEMENT && hits > 1)
			return false;
	}
	switch (c) {
	case C_ANY_ELEMENT:
		return false;
	case C_ALL_ELEMENTS:
		return true;
	case C_ONLY_ONE_ELEMENT:
		return hits == 1;
	default:
		return hits == 0;
	}
}

bool expr_eval(const struct expr *e, struct event *ev, const cJSON *elem)
{
	size_t hits = 0;
	bool r;

	switch (e->op) {
	case OP_ALL:
		for (size_t i = 0; i < e->nkids; i++)
			if (!expr_eval(e->kids[i], ev, elem))
				return false;
		return true;
	case OP_ANY:
		for (size_t i = 0; i < e->nkids; i++)
			if (expr_eval(e->kids[i], ev, elem))
				return true;
		return false;
	case OP_ONLY_ONE:
		for (size_t i = 0; i < e->nkids; i++)
			if (expr_eval(e->kids[i], ev, elem) && ++hits > 1)
				return false;
		return hits == 1;
	case OP_NONE:
		for (size_t i = 0; i < e->nkids; i++)
			if (expr_eval(e->kids[i], ev, elem))
				return false;
		return true;
	case OP_MULTI_KEY:
		r = compare(e->cond->cond, event_ref(ev, &e->key, elem),
			    event_ref(ev, &e->key2, elem));
		return e->cond->negate ? !r : r;
	case OP_LIST:
		return eval_list(e, ev, elem);
	case OP_CONST:
	case OP_COND:
		r = eval_cond(e, ev, elem);
		return e->cond->negate ? !r : r;
	}
	return false;
}

/* ---- prefilter covers (the argument is in prefilter.c) ---------------------------------- */

/* The positive condition of e holds on the constant v (only for what cover_cond accepts). */
static bool cond_holds_on(const struct expr *e, const cJSON *v)
{
	if (e->cond->cond == C_IS_IN) {
		for (const cJSON *c = e->value->child; c; c = c->next)
			if (compare(C_EQUALS, v, c))
				return true;
		return false;
	}
	return compare(e->cond->cond, v, e->value);
}

/* A key + condition: a literal when the condition holds only for a string holding the
 * (case-sensitive) value and the key reads a string copied from the line. elem: the key walks
 * from a list element (itself a copy from the line). */
static void cover_cond(const struct expr *e, const struct pf_env *env, bool elem,
		       struct pf_set *out)
{
	enum cond c = e->cond->cond;
	const cJSON *consts[PF_MAX_CONSTS];
	size_t nc = 0;

	pf_set_any_line(out);
	if (e->cond->negate || (c != C_EQUALS && c != C_CONTAINS && c != C_STARTS &&
				c != C_ENDS && c != C_IS_IN))
		return;
	if (!elem && env->ref_consts(env->arg, &e->key, consts, PF_MAX_CONSTS, &nc))
		return;
	for (size_t i = 0; i < nc; i++)
		if (cond_holds_on(e, consts[i]))
			return; /* a Default or Value of the data model could satisfy it */
	struct pf_set s;
	pf_set_empty(&s);
	if (c == C_IS_IN) {
		for (const cJSON *v = e->value->child; v; v = v->next) {
			if (!cJSON_IsString(v))
				return; /* 5 also equals 5.0 and 5e0 */
			pf_set_add_value(&s, v->valuestring);
		}
	} else {
		if (!cJSON_IsString(e->value))
			return;
		pf_set_add_value(&s, e->value->valuestring);
	}
	*out = s;
}

static void cover(const struct expr *e, const struct pf_env *env, bool elem, struct pf_set *out);

/* All of kids: any one child's cover will do; keep the best. */
static void cover_all(struct expr *const *kids, size_t n, const struct pf_env *env, bool elem,
		      struct pf_set *out)
{
	pf_set_any_line(out);
	for (size_t i = 0; i < n; i++) {
		struct pf_set k;
		cover(kids[i], env, elem, &k);
		if (pf_set_better(out, &k) == &k)
			*out = k;
	}
}

static void cover(const struct expr *e, const struct pf_env *env, bool elem, struct pf_set *out)
{
	const cJSON *consts[PF_MAX_CONSTS];
	size_t nc = 0;

	switch (e->op) {
	case OP_ALL:
		cover_all(e->kids, e->nkids, env, elem, out);
		return;
	case OP_ANY:
	case OP_ONLY_ONE:
		/* true only when some child is: every child's literals are needed */
		pf_set_empty(out);
		for (size_t i = 0; i < e->nkids && !out->any_line; i++) {
			struct pf_set k;
			cover(e->kids[i], env, elem, &k);
			pf_set_union(out, &k);
		}
		return;
	case OP_CONST:
		if (e->cond->negate)
			pf_set_empty(out); /* AlwaysFalse: never true, no line needed */
		else
			pf_set_any_line(out);
		return;
	case OP_COND:
		cover_cond(e, env, elem, out);
		return;
	case OP_LIST:
		/* AnyElement / OnlyOneElement: some element of a list copied from the line makes
		 * every expression true */
		pf_set_any_line(out);
		if (e->cond->cond != C_ANY_ELEMENT && e->cond->cond != C_ONLY_ONE_ELEMENT)
			return;
		if (!elem && (env->ref_consts(env->arg, &e->key, consts, PF_MAX_CONSTS, &nc) ||
			      nc > 0))
			return;
		cover_all(e->kids, e->nkids, env, true, out);
		return;
	case OP_NONE:
	case OP_MULTI_KEY:
		break;
	}
	pf_set_any_line(out);
}

void expr_cover(const struct expr *e, const struct pf_env *env, struct pf_set *out)
{
	cover(e, env, false, out);
}

static const struct cond_name *find_cond(const char *s)
{
	for (size_t i = 0; i < sizeof(conds) / sizeof(*conds); i++)
		if (strcmp(conds[i].name, s) == 0)
			return &conds[i];
	return NULL;
}

int keyspec_compile(struct compile_ctx *cx, yaml_node_t *kind_n, yaml_node_t *v, struct ref *r)
{
	const char *kind = ydoc_str(kind_n);
	char msg[256];
	int rc = 0;

	if (kind && !strcmp(kind, "DeepKey")) {
		if (!ydoc_is_seq(v) || v->data.sequence.items.top == v->data.sequence.items.start)
			return compile_error(cx, v, "DeepKey must be a non-empty list");
		size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		size_t i = 0;
		char **keys = calloc(n, sizeof(*keys));
		long *idx = calloc(n, sizeof(*idx));
		bool *isidx = calloc(n, sizeof(*isidx));
		if (!keys || !idx || !isidx)
			rc = -ENOMEM;
		YDOC_FOREACH_ITEM(cx->doc, v, it)
		{
			yaml_node_t *in = ydoc_node(cx->doc, *it);
			if (rc)
				break;
			if (!ydoc_is_scalar(in))
				rc = compile_error(cx, in, "DeepKey items must be keys or indexes");
			else if (ydoc_long(in, &idx[i]) == 0)
				isidx[i] = true;
			else
				keys[i] = (char *)ydoc_str(in);
			i++;
		}
		struct keypath kp;
		if (!rc) {
			rc = keypath_from_parts(&kp, keys, idx, isidx, n);
			if (rc == -E2BIG)
				rc = compile_error(cx, v, "DeepKey has %zu steps; at most %d", n,
						   KEYPATH_MAX_SEGS);
		}
		if (!rc)
			rc = ref_from_keypath(r, &kp, cx->names);
		free(keys);
		free(idx);
		free(isidx);
		return rc;
	}
	const char *s = ydoc_str(v);
	if (!kind || (strcmp(kind, "Key") && strcmp(kind, "KeyPath")))
		return compile_error(cx, kind_n, "expected one of Key, KeyPath or DeepKey");
	if (!s)
		return compile_error(cx, v, "%s must be a string", kind);
	if (!strcmp(kind, "Key")) {
		char *parts[1] = {(char *)s};
		long idx0 = 0;
		bool isidx0 = false;
		struct keypath kp;
		rc = keypath_from_parts(&kp, parts, &idx0, &isidx0, 1);
		return rc ? rc : ref_from_keypath(r, &kp, cx->names);
	}
	if (ref_compile(r, s, cx->names, msg, sizeof(msg)))
		return compile_error(cx, v, "%s", msg);
	return 0;
}

/* Key, DeepKey or KeyPath of map into r. Returns 0, 1 when none is present, or -EINVAL. */
static int compile_key(struct compile_ctx *cx, yaml_node_t *map, struct ref *r)
{
	yaml_node_t *found = NULL, *fkey = NULL;

	YDOC_FOREACH_PAIR(cx->doc, map, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		if (ks && (!strcmp(ks, "Key") || !strcmp(ks, "KeyPath") || !strcmp(ks, "DeepKey"))) {
			if (found)
				return compile_error(cx, k, "only one of Key, KeyPath, DeepKey");
			found = ydoc_node(cx->doc, p->value);
			fkey = k;
		}
	}
	if (!found)
		return 1;
	return keyspec_compile(cx, fkey, found, r);
}

static int compile_one(struct expr **out, struct compile_ctx *cx, yaml_node_t *n);

static int compile_seq_into(struct expr *e, struct compile_ctx *cx, yaml_node_t *seq)
{
	if (!ydoc_is_seq(seq))
		return compile_error(cx, seq, "expected a list of match expressions");
	YDOC_FOREACH_ITEM(cx->doc, seq, it)
	{
		struct expr *k;
		int rc = compile_one(&k, cx, ydoc_node(cx->doc, *it));
		if (rc)
			return rc;
		if (add_kid(e, k)) {
			expr_free(k);
			return -ENOMEM;
		}
	}
	return 0;
}

static const char *const known_keys[] = {"Key",	   "KeyPath", "DeepKey", "Condition",
					 "Value",  "Values",  "Expressions"};

static int compile_one(struct expr **out, struct compile_ctx *cx, yaml_node_t *n)
{
	static const struct {
		const char *name;
		enum op op;
	} combos[] = {{"All", OP_ALL}, {"Any", OP_ANY}, {"OnlyOne", OP_ONLY_ONE}, {"None", OP_NONE}};
	yaml_node_t *cond_n = NULL, *value_n = NULL, *values_n = NULL, *exprs_n = NULL;
	struct expr *e = NULL;
	int rc;

	*out = NULL;
	if (!ydoc_is_map(n))
		return compile_error(cx, n, "a match expression must be a mapping");

	/* a combinator is a mapping with exactly one key */
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start == 1) {
		yaml_node_pair_t *p = n->data.mapping.pairs.start;
		const char *ks = ydoc_str(ydoc_node(cx->doc, p->key));
		for (size_t i = 0; ks && i < sizeof(combos) / sizeof(*combos); i++) {
			if (strcmp(ks, combos[i].name))
				continue;
			e = expr_new(combos[i].op);
			if (!e)
				return -ENOMEM;
			rc = compile_seq_into(e, cx, ydoc_node(cx->doc, p->value));
			if (rc) {
				expr_free(e);
				return rc;
			}
			*out = e;
			return 0;
		}
	}

	YDOC_FOREACH_PAIR(cx->doc, n, p)
	{
		yaml_node_t *k = ydoc_node(cx->doc, p->key);
		const char *ks = ydoc_str(k);
		yaml_node_t *v = ydoc_node(cx->doc, p->value);
		bool known = false;
		for (size_t i = 0; ks && i < sizeof(known_keys) / sizeof(*known_keys); i++)
			known |= strcmp(ks, known_keys[i]) == 0;
		if (!known) {
			for (size_t i = 0; ks && i < sizeof(combos) / sizeof(*combos); i++)
				if (!strcmp(ks, combos[i].name))
					return compile_error(cx, k,
							     "'%s' must be the only key of its "
							     "mapping",
							     ks);
			if (ks && !strcmp(ks, "Enrichment"))
				return compile_error(cx, k, "Enrichment (lookup tables) is not "
							    "supported by this agent");
			return compile_error(cx, k, "unknown key '%s' in match expression",
					     ks ? ks : "?");
		}
		if (!strcmp(ks, "Condition"))
			cond_n = v;
		else if (!strcmp(ks, "Value"))
			value_n = v;
		else if (!strcmp(ks, "Values"))
			values_n = v;
		else if (!strcmp(ks, "Expressions"))
			exprs_n = v;
	}
	if (!cond_n)
		return compile_error(cx, n, "match expression without Condition");
	const char *cs = ydoc_str(cond_n);
	const struct cond_name *cn = cs ? find_cond(cs) : NULL;
	if (!cn)
		return compile_error(cx, cond_n, "unknown Condition '%s'", cs ? cs : "?");

	e = expr_new(OP_COND);
	if (!e)
		return -ENOMEM;
	e->cond = cn;
	rc = compile_key(cx, n, &e->key);
	if (rc < 0)
		goto fail;
	bool has_key = rc == 0;
	rc = 0;

	if (cn->cond == C_ALWAYS_TRUE) {
		e->op = OP_CONST;
		if (has_key || value_n || values_n || exprs_n) {
			rc = compile_error(cx, n, "%s takes no key and no value", cn->name);
			goto fail;
		}
		*out = e;
		return 0;
	}

	/* two keys compared: Values: [{KeyPath: a}, {KeyPath: b}] */
	if (!has_key && values_n && cn->binary) {
		if (!ydoc_is_seq(values_n) ||
		    values_n->data.sequence.items.top - values_n->data.sequence.items.start != 2) {
			rc = compile_error(cx, values_n, "a two-key %s needs Values with exactly "
							 "two key specifiers",
					   cn->name);
			goto fail;
		}
		yaml_node_t *a = ydoc_node(cx->doc, values_n->data.sequence.items.start[0]);
		yaml_node_t *b = ydoc_node(cx->doc, values_n->data.sequence.items.start[1]);
		if (!ydoc_is_map(a) || !ydoc_is_map(b)) {
			rc = compile_error(cx, values_n, "two-key Values must be key specifiers");
			goto fail;
		}
		rc = compile_key(cx, a, &e->key);
		if (rc == 0)
			rc = compile_key(cx, b, &e->key2);
		if (rc == 1)
			rc = compile_error(cx, values_n, "two-key Values must be key specifiers");
		if (rc)
			goto fail;
		e->op = OP_MULTI_KEY;
		*out = e;
		return 0;
	}

	if (!has_key) {
		rc = compile_error(cx, n, "Condition %s needs Key, KeyPath or DeepKey", cn->name);
		goto fail;
	}

	switch (cn->arg) {
	case ARG_NONE:
		if (value_n || values_n || exprs_n) {
			rc = compile_error(cx, n, "Condition %s takes no Value", cn->name);
			goto fail;
		}
		break;
	case ARG_VALUE:
		if (!value_n || values_n || exprs_n || !ydoc_is_scalar(value_n)) {
			rc = compile_error(cx, n, "Condition %s needs one scalar Value", cn->name);
			goto fail;
		}
		e->value = ydoc_to_json(cx->doc, value_n);
		if (!e->value) {
			rc = -ENOMEM;
			goto fail;
		}
		break;
	case ARG_VALUES:
		if (cn->cond == C_IP_IN_CIDR && value_n && !values_n) {
			values_n = value_n;
			value_n = NULL;
		}
		if (!values_n || value_n || exprs_n) {
			rc = compile_error(cx, n, "Condition %s needs Values", cn->name);
			goto fail;
		}
		e->value = ydoc_to_json(cx->doc, values_n);
		if (e->value && !cJSON_IsArray(e->value)) {
			cJSON *arr = cJSON_CreateArray();
			if (arr)
				cJSON_AddItemToArray(arr, e->value);
			else
				cJSON_Delete(e->value);
			e->value = arr;
		}
		if (!e->value) {
			rc = -ENOMEM;
			goto fail;
		}
		for (const cJSON *c = e->value->child; c; c = c->next) {
			if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
				rc = compile_error(cx, values_n, "Values must be scalars");
				goto fail;
			}
		}
		if (cn->cond == C_IP_IN_CIDR) {
			size_t cnt = (size_t)cJSON_GetArraySize(e->value);
			e->cidrs = calloc(cnt ? cnt : 1, sizeof(*e->cidrs));
			if (!e->cidrs) {
				rc = -ENOMEM;
				goto fail;
			}
			for (const cJSON *c = e->value->child; c; c = c->next) {
				if (!cJSON_IsString(c) || parse_cidr(c->valuestring,
								     &e->cidrs[e->ncidrs])) {
					rc = compile_error(cx, values_n, "'%s' is not a CIDR range",
							   cJSON_IsString(c) ? c->valuestring
									     : "?");
					goto fail;
				}
				e->ncidrs++;
			}
		}
		break;
	case ARG_LIST:
		if (!exprs_n || value_n || values_n) {
			rc = compile_error(cx, n, "Condition %s needs Expressions", cn->name);
			goto fail;
		}
		e->op = OP_LIST;
		rc = compile_seq_into(e, cx, exprs_n);
		if (rc)
			goto fail;
		break;
	}
	*out = e;
	return 0;
fail:
	expr_free(e);
	return rc;
}

int expr_compile_list(struct expr **out, struct compile_ctx *cx, yaml_node_t *seq)
{
	struct expr *e = expr_new(OP_ALL);
	*out = NULL;
	if (!e)
		return -ENOMEM;
	int rc = compile_seq_into(e, cx, seq);
	if (rc) {
		expr_free(e);
		return rc;
	}
	*out = e;
	return 0;
}
