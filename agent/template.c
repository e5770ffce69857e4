#include "template.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "value.h"

struct tmpl_part {
	char *lit;      /* literal text, or NULL for a hole */
	struct ref ref; /* the hole's key */
	char *dflt;     /* text for a falsy value, or NULL: print whatever is there */
};

struct tmpl {
	struct tmpl_part *parts;
	size_t n;
	char *text;
};

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->parts[i].lit);
		free(t->parts[i].dflt);
		if (!t->parts[i].lit)
			ref_free(&t->parts[i].ref);
	}
	free(t->parts);
	free(t->text);
	free(t);
}

static struct tmpl_part *add_part(struct tmpl *t)
{
	struct tmpl_part *np = realloc(t->parts, (t->n + 1) * sizeof(*np));
	if (!np)
		return NULL;
	t->parts = np;
	memset(&t->parts[t->n], 0, sizeof(t->parts[t->n]));
	return &t->parts[t->n++];
}

static int add_literal(struct tmpl *t, struct sbuf *lit)
{
	if (lit->len == 0)
		return 0;
	struct tmpl_part *p = add_part(t);
	if (!p)
		return -ENOMEM;
	p->lit = sbuf_take(lit);
	return 0;
}

int tmpl_compile(struct tmpl **out, const char *s, struct udm_names *names, char *err,
		 size_t errsz)
{
	struct sbuf lit;
	struct tmpl *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	sbuf_init(&lit, 0);
	t->text = strdup(s);
	if (!t->text)
		goto fail;
	for (const char *p = s; *p;) {
		if (p[0] == '{' && p[1] == '{') {
			if (sbuf_putc(&lit, '{'))
				goto fail;
			p += 2;
		} else if (p[0] == '}' && p[1] == '}') {
			if (sbuf_putc(&lit, '}'))
				goto fail;
			p += 2;
		} else if (p[0] == '}') {
			snprintf(err, errsz, "template '%s': unmatched '}'", s);
			rc = -EINVAL;
			goto fail;
		} else if (p[0] == '{') {
			const char *close = strchr(p, '}');
			if (!close) {
				snprintf(err, errsz, "template '%s': unterminated '{'", s);
				rc = -EINVAL;
				goto fail;
			}
			if (add_literal(t, &lit))
				goto fail;
			char *inner = strndup(p + 1, (size_t)(close - p - 1));
			if (!inner)
				goto fail;
			char *bar = strchr(inner, '|');
			struct tmpl_part *part = add_part(t);
			if (!part) {
				free(inner);
				goto fail;
			}
			if (bar) {
				*bar = '\0';
				part->dflt = strdup(bar + 1);
				if (!part->dflt) {
					free(inner);
					goto fail;
				}
			}
			rc = ref_compile(&part->ref, inner, names, err, errsz);
			free(inner);
			if (rc) {
				/* keep the part consistent for tmpl_free: make it a literal */
				part->lit = strdup("");
				goto fail;
			}
			rc = -ENOMEM;
			p = close + 1;
		} else {
			if (sbuf_putc(&lit, *p))
				goto fail;
			p++;
		}
	}
	if (add_literal(t, &lit))
		goto fail;
	sbuf_free(&lit);
	*out = t;
	return 0;
fail:
	sbuf_free(&lit);
	tmpl_free(t);
	return rc;
}

int tmpl_render(const struct tmpl *t, struct event *ev, struct sbuf *out)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct tmpl_part *p = &t->parts[i];
		int rc;
		if (p->lit) {
			rc = sbuf_puts(out, p->lit);
		} else {
			const cJSON *v = event_ref(ev, &p->ref, NULL);
			if (p->dflt && !value_truthy(v))
				rc = sbuf_puts(out, p->dflt);
			else
				rc = value_to_text(v, out);
		}
		if (rc)
			return rc;
	}
	return 0;
}

const char *tmpl_text(const struct tmpl *t)
{
	return t->text;
}
