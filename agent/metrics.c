#include "metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "value.h"

static bool name_ok(const char *s, bool colon)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (colon && c == ':')))
			return false;
	}
	return true;
}

void metrics_begin(struct metrics_page *p, struct sbuf *out)
{
	p->out = out;
	p->family = NULL;
	p->err = 0;
}

int metrics_escape_label(struct sbuf *out, const char *value)
{
	size_t n = strlen(value);
	int rc = 0;

	while (n > 0 && !rc) {
		size_t ok = utf8_invalid_at(value, n), start = 0;
		for (size_t i = 0; i < ok && !rc; i++) {
			const char *esc = value[i] == '\\' ? "\\\\"
					  : value[i] == '"' ? "\\\""
					  : value[i] == '\n' ? "\\n"
							     : NULL;
			if (!esc)
				continue;
			rc = sbuf_append(out, value + start, i - start);
			if (!rc)
				rc = sbuf_puts(out, esc);
			start = i + 1;
		}
		if (!rc)
			rc = sbuf_append(out, value + start, ok - start);
		/* U+FFFD for a byte that is not UTF-8 */
		if (!rc && ok < n)
			rc = sbuf_puts(out, "\xEF\xBF\xBD");
		if (ok < n)
			ok++;
		value += ok;
		n -= ok;
	}
	return rc;
}

/* HELP text: backslash and newline escaped. */
static int escape_help(struct sbuf *out, const char *help)
{
	int rc = 0;
	for (const char *s = help; *s && !rc; s++) {
		if (*s == '\\')
			rc = sbuf_puts(out, "\\\\");
		else if (*s == '\n')
			rc = sbuf_puts(out, "\\n");
		else
			rc = sbuf_putc(out, *s);
	}
	return rc;
}

void metrics_family(struct metrics_page *p, const char *name, enum metric_type type,
		    const char *help)
{
	if (p->err)
		return;
	if (!name_ok(name, true)) {
		p->err = -EINVAL;
		return;
	}
	p->family = name;
	int rc = sbuf_printf(p->out, "# HELP %s ", name);
	if (!rc)
		rc = escape_help(p->out, help);
	if (!rc)
		rc = sbuf_printf(p->out, "\n# TYPE %s %s\n", name,
				 type == METRIC_COUNTER ? "counter" : "gauge");
	p->err = rc;
}

void metrics_sample(struct metrics_page *p, const struct metric_label *labels, size_t nlabels,
		    uint64_t value)
{
	if (p->err)
		return;
	if (!p->family) {
		p->err = -EINVAL;
		return;
	}
	for (size_t i = 0; i < nlabels; i++) {
		if (!name_ok(labels[i].name, false) || !labels[i].value) {
			p->err = -EINVAL;
			return;
		}
	}
	int rc = sbuf_puts(p->out, p->family);
	for (size_t i = 0; i < nlabels && !rc; i++) {
		rc = sbuf_printf(p->out, "%c%s=\"", i ? ',' : '{', labels[i].name);
		if (!rc)
			rc = metrics_escape_label(p->out, labels[i].value);
		if (!rc)
			rc = sbuf_putc(p->out, '"');
	}
	if (!rc && nlabels)
		rc = sbuf_putc(p->out, '}');
	if (!rc)
		rc = sbuf_printf(p->out, " %llu\n", (unsigned long long)value);
	p->err = rc;
}

int metrics_end(struct metrics_page *p)
{
	return p->err;
}
