/* Why skipping is sound.
 *
 * Terms. A line is the raw bytes the engine would decode. A "safe" byte is printable ASCII
 * (0x20..0x7e) other than '"', '\\' and '/': JSON can write a safe byte only as itself or as a
 * \uXXXX escape, never with a short escape (\" \\ \/ \b \f \n \r \t spell only '"', '\\', '/'
 * and control bytes). A literal is a run of safe bytes, at least PF_MIN_LIT long, taken from a
 * rule's Value. D is the set of "risky" code points: every byte of every literal, the bytes of
 * "p_log_type", '\\', 'u' and the hex digits. A line has a risky escape when somewhere in it
 * (inside a string or not, escape or not) a backslash is followed by 'u' and then not by four
 * hex digits naming a code point outside D.
 *
 * Lemma (verbatim copy). If a line has no risky escape, then a literal or "p_log_type" that
 * occurs in a string value or key decoded from it, at any depth of JSON held in JSON strings
 * (AKS keeps the Event in properties.log and the data model decodes it), also occurs in the
 * line's bytes. Proof, one level: cJSON decodes a string byte by byte; each decoded byte is an
 * unescaped raw byte or comes from an escape. The occurrence's bytes are safe and in D: a
 * short escape yields no safe byte, and a \u escape yielding a byte in D is risky. So each of
 * them is a raw byte, and neighbours stay neighbours (an escape between two of them would have
 * yielded a byte between them). Next level: the decoded text T1 has no risky escape either. A
 * "\u" in T1 has its '\\' from a raw "\\\\" (\u005c is risky) and its 'u' raw (\u0075 is
 * risky); each of the four bytes after it is raw too, or the raw line would hold a backslash
 * right after that "\u" (risky: not a hex digit). So T1's "\uXXXX" is the raw "\\\\uXXXX",
 * whose last six bytes the scan of the raw line judged with the same XXXX. Induction.
 * (\u0000 becomes \uFFFD before parsing: a non-ASCII code point, never part of a literal.)
 *
 * Covers. expr_cover() gives for each expression a set S of literals such that every decoded
 * line making it true holds a string with some member of S as a substring, read through a key
 * whose value is copied from the line: an event path, or a data-model field built only from
 * Path (from the event, or from a Root read by an event path), KeyPath, Coalesce, Cases, Index
 * and AsList, never Template or Split, which build new strings. Constants a field may take
 * instead (Value, Default) are tested against the condition at load time; if one could
 * satisfy it there is no cover. Only Equals, StartsWith, EndsWith, Contains and IsIn with
 * string values give literals: each holds only for a string containing the value
 * (case-sensitive); the literal is the value's longest safe run. All keeps one child's cover
 * (any one is required), Any and OnlyOne need every child's (the union); None, negations,
 * case-insensitive and other conditions give none; AlwaysFalse gives the empty set. AnyElement
 * and OnlyOneElement need one element making their Expressions true.
 *
 * The skip. The log type comes from the decoded p_log_type, else the default. By the lemma, a
 * line without the bytes "p_log_type" and no risky escape has no such key, so the default's
 * cover decides; otherwise the union over every log type does. A rule with no cover leaves
 * its log types (and lines that may name them) without a prefilter. A line holding no member
 * of the deciding set and no risky escape therefore makes no rule's Detection true, and
 * skipping it changes no match, no alert and no event time. A line that would not decode is
 * skipped alike: it is counted as prefiltered, not as a decode error. */
#include "prefilter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytesearch.h"
#include "datamodel.h"
#include "hex.h"
#include "ruleset.h"
#include "value.h"

#define PF_MAX_MODEL_DEPTH 8 /* KeyPath p_udm.X chains followed before giving up */

struct pf_logtype {
	const char *name;    /* borrowed from the rule set */
	struct pf_set set;   /* any enabled rule of this log type needs one of these */
	const char *blocker; /* the first rule without a cover, when set.any_line */
};

struct prefilter {
	struct pf_logtype *lts;
	size_t nlts;
	struct pf_set all; /* for lines that may carry p_log_type: the union of every log type */
	bool risky[128];   /* D: code points a \u escape must not spell */
};

static const struct pf_set pf_nothing_matches = {false, 0, {{NULL, 0}}};

void pf_set_any_line(struct pf_set *s)
{
	s->any_line = true;
	s->n = 0;
}

void pf_set_empty(struct pf_set *s)
{
	s->any_line = false;
	s->n = 0;
}

static bool safe_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/';
}

static void set_add(struct pf_set *set, const char *s, size_t len)
{
	if (set->any_line)
		return;
	for (size_t i = 0; i < set->n; i++)
		if (set->lits[i].len == len && !memcmp(set->lits[i].s, s, len))
			return;
	if (set->n == PF_MAX_LITS) {
		pf_set_any_line(set);
		return;
	}
	set->lits[set->n++] = (struct pf_lit){s, len};
}

void pf_set_add_value(struct pf_set *set, const char *s)
{
	size_t best = 0, best_at = 0, run = 0;
	for (size_t i = 0; s[i]; i++) {
		run = safe_byte((unsigned char)s[i]) ? run + 1 : 0;
		if (run > best) {
			best = run;
			best_at = i + 1 - run;
		}
	}
	if (best < PF_MIN_LIT)
		pf_set_any_line(set);
	else
		set_add(set, s + best_at, best);
}

void pf_set_union(struct pf_set *into, const struct pf_set *other)
{
	if (other->any_line) {
		pf_set_any_line(into);
		return;
	}
	for (size_t i = 0; i < other->n && !into->any_line; i++)
		set_add(into, other->lits[i].s, other->lits[i].len);
}

static size_t shortest(const struct pf_set *s)
{
	size_t m = (size_t)-1;
	for (size_t i = 0; i < s->n; i++)
		if (s->lits[i].len < m)
			m = s->lits[i].len;
	return m;
}

/* Longer literals are rarer in audit lines and fewer of them cost fewer scans. */
const struct pf_set *pf_set_better(const struct pf_set *a, const struct pf_set *b)
{
	if (a->any_line)
		return b;
	if (b->any_line)
		return a;
	if (a->n == 0 || b->n == 0)
		return a->n == 0 ? a : b;
	size_t sa = shortest(a), sb = shortest(b);
	if (sa != sb)
		return sa > sb ? a : b;
	return b->n < a->n ? b : a;
}

/* ---- what a key's value can be besides a copy from the line --------------------------- */

static int push_const(const cJSON **out, size_t max, size_t *n, const cJSON *v)
{
	if (!v)
		return 0;
	if (*n == max)
		return -1;
	out[(*n)++] = v;
	return 0;
}

static int field_consts(const struct datamodel *dm, int id, int depth, const cJSON **out,
			size_t max, size_t *n);

/* Constants spec may yield (appended to out), or -1 when it builds strings. */
static int spec_consts(const struct dm_spec *s, const struct datamodel *dm, int depth,
		       const cJSON **out, size_t max, size_t *n)
{
	size_t start = *n;

	switch (s->src) {
	case DM_NONE:
		return 0; /* no source: the mapping yields nothing, not even its Default */
	case DM_PATH:
		/* from the event or its decoded Root: the line, unless the Root string itself is a
		 * data-model field, which could be a constant or built */
		if (dm->has_root && dm->root_ref.udm >= 0)
			return -1;
		break;
	case DM_KEYPATH:
		if (s->ref.udm >= 0) {
			/* p_udm.OTHER...: OTHER's constants, walked on like the event walks them */
			const cJSON *sub[PF_MAX_CONSTS];
			size_t nsub = 0;
			if (field_consts(dm, s->ref.udm, depth + 1, sub, PF_MAX_CONSTS, &nsub))
				return -1;
			for (size_t i = 0; i < nsub; i++)
				if (push_const(out, max, n,
					       keypath_walk(&s->ref.kp, 2, sub[i], true)))
					return -1;
		}
		break;
	case DM_COALESCE:
		for (size_t i = 0; i < s->nalts; i++)
			if (spec_consts(&s->alts[i], dm, depth, out, max, n))
				return -1;
		break;
	case DM_VALUE:
		if (push_const(out, max, n, s->value))
			return -1;
		break;
	case DM_TEMPLATE:
		return -1;
	}
	if (s->dflt && push_const(out, max, n, s->dflt))
		return -1;
	if (s->split)
		return -1;
	if (s->has_index) {
		size_t w = start;
		for (size_t i = start; i < *n; i++) {
			const cJSON *e = value_element(out[i], s->index);
			if (e)
				out[w++] = e;
		}
		*n = w;
	}
	if (s->as_list && *n > start)
		return -1; /* [constant] is a new value; not worth following */
	return 0;
}

static int field_consts(const struct datamodel *dm, int id, int depth, const cJSON **out,
			size_t max, size_t *n)
{
	if (depth > PF_MAX_MODEL_DEPTH)
		return -1;
	if (id < 0 || (size_t)id >= dm->nby_id || dm->by_id[id] < 0)
		return 0; /* not in the model: always absent */
	const struct dm_mapping *m = &dm->maps[dm->by_id[id]];
	for (size_t i = 0; i < m->ncases; i++)
		if (spec_consts(&m->cases[i].spec, dm, depth, out, max, n))
			return -1;
	return spec_consts(&m->spec, dm, depth, out, max, n);
}

static int ref_consts(void *arg, const struct ref *r, const cJSON **consts, size_t max, size_t *n)
{
	const struct datamodel *dm = arg;
	const cJSON *fc[PF_MAX_CONSTS];
	size_t nf = 0;

	*n = 0;
	if (r->udm < 0 || !dm)
		return 0; /* a path in the event, or p_udm without a model (always absent) */
	if (field_consts(dm, r->udm, 0, fc, PF_MAX_CONSTS, &nf))
		return -1;
	for (size_t i = 0; i < nf; i++)
		if (push_const(consts, max, n, keypath_walk(&r->kp, 2, fc[i], true)))
			return -1;
	return 0;
}

void prefilter_rule_cover(const struct rule *r, const struct datamodel *dm, struct pf_set *out)
{
	struct pf_env env = {ref_consts, (void *)dm};
	struct pf_set det, filt;

	expr_cover(r->detection, &env, &det);
	if (r->inline_filters)
		expr_cover(r->inline_filters, &env, &filt);
	else
		pf_set_any_line(&filt);
	*out = *pf_set_better(&det, &filt);
}

/* ---- the rule set's prefilter ----------------------------------------------------------- */

void prefilter_free(struct prefilter **pf)
{
	if (!pf || !*pf)
		return;
	free((*pf)->lts);
	free(*pf);
	*pf = NULL;
}

static void mark_risky(struct prefilter *pf, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 128)
			pf->risky[(unsigned char)s[i]] = true;
}

int prefilter_new(struct prefilter **out, const struct ruleset *rs)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));

	*out = NULL;
	if (!pf)
		return -ENOMEM;
	pf->lts = calloc(rs->nlts ? rs->nlts : 1, sizeof(*pf->lts));
	if (!pf->lts) {
		free(pf);
		return -ENOMEM;
	}
	pf_set_empty(&pf->all);
	for (size_t i = 0; i < rs->nlts; i++) {
		const struct rs_logtype *lt = &rs->lts[i];
		struct pf_logtype *p = &pf->lts[pf->nlts++];
		p->name = lt->name;
		pf_set_empty(&p->set);
		for (size_t k = 0; k < lt->nrules; k++) {
			struct pf_set rc;
			prefilter_rule_cover(lt->rules[k], lt->dm, &rc);
			if (rc.any_line && !p->blocker)
				p->blocker = lt->rules[k]->id;
			pf_set_union(&p->set, &rc);
		}
		pf_set_union(&pf->all, &p->set);
	}
	static const char fixed[] = "p_log_type\\u0123456789abcdefABCDEF";
	mark_risky(pf, fixed, sizeof(fixed) - 1);
	for (size_t i = 0; i < pf->all.n; i++)
		mark_risky(pf, pf->all.lits[i].s, pf->all.lits[i].len);
	*out = pf;
	return 0;
}

static const struct pf_logtype *find_lt(const struct prefilter *pf, const char *name)
{
	for (size_t i = 0; pf && name && i < pf->nlts; i++)
		if (!strcmp(pf->lts[i].name, name))
			return &pf->lts[i];
	return NULL;
}

const struct pf_set *prefilter_for(const struct prefilter *pf, const char *default_lt)
{
	const struct pf_logtype *lt = find_lt(pf, default_lt);
	/* a log type no enabled rule takes: none of its lines can match */
	return lt ? &lt->set : &pf_nothing_matches;
}

/* A backslash-u anywhere that could spell a risky code point (see the lemma above). */
static bool risky_escape(const struct prefilter *pf, const char *p, size_t n)
{
	const char *end = p + n, *q;

	while (p < end && (q = bytes_find(p, (size_t)(end - p), "\\u", 2))) {
		if (end - q < 6)
			return true;
		unsigned cp = 0;
		for (int i = 2; i < 6; i++) {
			int h = hex_digit((unsigned char)q[i]);
			if (h < 0)
				return true;
			cp = cp * 16 + (unsigned)h;
		}
		if (cp < 128 && pf->risky[cp])
			return true;
		p = q + 2;
	}
	return false;
}

static bool holds_any(const struct pf_set *s, const char *line, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (bytes_find(line, len, s->lits[i].s, s->lits[i].len))
			return true;
	return false;
}

bool prefilter_skip(const struct prefilter *pf, const struct pf_set *dflt, const char *line,
		    size_t len)
{
	const struct pf_set *set = dflt;

	if (!pf || !dflt || dflt->any_line)
		return false;
	/* the line may name its log type: then every log type's literals count (the union is
	 * dflt itself when it has as many literals, as for the shipped rules) */
	if (pf->all.any_line || pf->all.n != dflt->n) {
		if (bytes_find(line, len, "p_log_type", 10))
			set = &pf->all;
	}
	if (set->any_line || holds_any(set, line, len))
		return false;
	return !risky_escape(pf, line, len);
}

void prefilter_describe(const struct prefilter *pf, const char *default_lt, char *buf, size_t bufsz)
{
	const struct pf_logtype *lt = find_lt(pf, default_lt);
	const struct pf_set *s = prefilter_for(pf, default_lt);
	size_t off = 0;

	if (lt && lt->set.any_line) {
		snprintf(buf, bufsz, "off for %s: rule %s requires no literal string", lt->name,
			 lt->blocker ? lt->blocker : "?");
		return;
	}
	if (s->n == 0) {
		snprintf(buf, bufsz, "every %s line is skipped: no enabled rule takes it",
			 default_lt ? default_lt : "?");
		return;
	}
	off += (size_t)snprintf(buf, bufsz, "%s lines without", lt->name);
	for (size_t i = 0; i < s->n && off < bufsz; i++)
		off += (size_t)snprintf(buf + off, bufsz - off, "%s \"%.*s\"", i ? " or" : "",
					(int)s->lits[i].len, s->lits[i].s);
	if (off < bufsz)
		snprintf(buf + off, bufsz - off, " are skipped before decoding%s",
			 pf->all.any_line ? " (unless they carry p_log_type)" : "");
}
