/* template: AlertTitle-style text with {KeyPath} holes. {KeyPath|text} writes text when the
 * value is falsy in Python's sense (absent, null, false, 0, "", [], {}), as the seed's
 * `value or "<DEFAULT>"` does; "{{" and "}}" are literal braces. Values print as Python's
 * str() would. */
#ifndef KAA_TEMPLATE_H
#define KAA_TEMPLATE_H

#include "sbuf.h"

struct tmpl;
struct event;
struct udm_names;

/* Compile s. Returns 0 or -EINVAL with the reason in err. */
int tmpl_compile(struct tmpl **out, const char *s, struct udm_names *names, char *err,
		 size_t errsz);
void tmpl_free(struct tmpl *t);
/* Append the rendering for ev to out. Returns 0 or -ENOMEM. */
int tmpl_render(const struct tmpl *t, struct event *ev, struct sbuf *out);
/* The template's text as written. */
const char *tmpl_text(const struct tmpl *t);

#endif
