#include "redact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* Where the authority of a URL ends: the path, query or fragment, or (in running text) a space
 * or a quote. */
#define AUTHORITY_END "/?#\\\"'<> \t\r\n"

/* The userinfo of the URL whose "://" is at sep: its length (up to the authority's last '@';
 * a password may hold an unescaped '@'), or 0 when there is none. */
static size_t userinfo_len(const char *sep)
{
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, AUTHORITY_END);
	for (size_t i = alen; i > 0; i--)
		if (auth[i - 1] == '@')
			return i - 1;
	return 0;
}

char *redact_url(const char *url)
{
	const char *sep = strstr(url, "://");
	size_t ui = sep ? userinfo_len(sep) : 0;
	if (!ui)
		return strdup(url);
	size_t head = (size_t)(sep + 3 - url), len = strlen(url);
	char *out = malloc(len - ui + sizeof(REDACT_MASK));
	if (!out)
		return NULL;
	memcpy(out, url, head);
	memcpy(out + head, REDACT_MASK, sizeof(REDACT_MASK) - 1);
	memcpy(out + head + sizeof(REDACT_MASK) - 1, url + head + ui, len - head - ui + 1);
	return out;
}

bool redact_header_is_secret(const char *name)
{
	static const char *const words[] = {"auth", "token", "key",	"secret",    "cookie",
					    "pass", "cred",  "session", "signature", "jwt"};
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strcasestr(name, words[i]))
			return true;
	return false;
}

int redact_set_add(struct redact_set *s, const char *secret)
{
	if (!secret || !*secret)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], secret))
			return 0;
	if (s->n == REDACT_MAX_SECRETS)
		return -ENOSPC;
	if (!(s->v[s->n] = strdup(secret)))
		return -ENOMEM;
	s->n++;
	return 0;
}

/* %XX escapes decoded in place (what libcurl does to a URL's user and password) */
static void percent_decode(char *s)
{
	char *o = s;
	for (; *s; s++) {
		int hi, lo;
		if (*s == '%' && (hi = hex_digit((unsigned char)s[1])) >= 0 && (lo = hex_digit((unsigned char)s[2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* base64 of in into out, which holds 4 * ((strlen(in) + 2) / 3) + 1 bytes */
static void base64(const char *in, char *out)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = digits[v >> 18 & 63];
		out[o++] = digits[v >> 12 & 63];
		out[o++] = i + 1 < n ? digits[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? digits[v & 63] : '=';
	}
	out[o] = '\0';
}

int redact_set_add_url(struct redact_set *s, const char *url)
{
	const char *sep = strstr(url, "://");
	size_t ui = sep ? userinfo_len(sep) : 0;
	if (!ui)
		return 0;
	/* raw, then decoded and with the ':' Basic authentication adds for a user alone */
	char *raw = strndup(sep + 3, ui), *dec = malloc(ui + 2),
	     *b64 = malloc(4 * (ui + 4) / 3 + 8);
	int rc = -ENOMEM;
	if (raw && dec && b64) {
		char *colon = strchr(raw, ':');
		rc = redact_set_add(s, raw);
		if (!rc && colon)
			rc = redact_set_add(s, colon + 1);
		memcpy(dec, raw, ui + 1);
		percent_decode(dec);
		if (!rc && (colon = strchr(dec, ':')))
			rc = redact_set_add(s, colon + 1);
		if (!colon)
			strcat(dec, ":");
		base64(dec, b64);
		if (!rc)
			rc = redact_set_add(s, b64);
	}
	if (raw)
		memset(raw, 0, strlen(raw));
	if (dec)
		memset(dec, 0, strlen(dec));
	free(raw);
	free(dec);
	free(b64);
	return rc;
}

void redact_set_clear(struct redact_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		memset(s->v[i], 0, strlen(s->v[i]));
		free(s->v[i]);
	}
	memset(s, 0, sizeof(*s));
}

/* text[at, at + len) becomes the mask; what does not fit into bufsz is cut. Returns the
 * offset just past the mask. */
static size_t mask_at(char *text, size_t bufsz, size_t at, size_t len)
{
	size_t ml = sizeof(REDACT_MASK) - 1, tl = strlen(text), room = bufsz - 1;
	if (at + ml > room) {
		memcpy(text + at, REDACT_MASK, room - at);
		text[room] = '\0';
		return room;
	}
	size_t tail = tl - at - len;
	if (at + ml + tail > room)
		tail = room - at - ml;
	memmove(text + at + ml, text + at + len, tail);
	memcpy(text + at, REDACT_MASK, ml);
	text[at + ml + tail] = '\0';
	return at + ml;
}

void redact_text(char *text, size_t bufsz, const char *const *secrets, size_t n)
{
	size_t pos = 0, limit = (size_t)-1;
	char *sep;

	if (!bufsz)
		return;
	while ((sep = strstr(text + pos, "://"))) {
		size_t at = (size_t)(sep + 3 - text), ui = userinfo_len(sep);
		pos = ui ? mask_at(text, bufsz, at, ui) : at;
	}
	/* longest first: a password inside a longer secret must not break up the longer one */
	for (;;) {
		size_t len = 0;
		for (size_t i = 0; i < n; i++) {
			size_t l = secrets[i] ? strlen(secrets[i]) : 0;
			if (l < limit && l > len)
				len = l;
		}
		if (!len)
			break;
		for (size_t i = 0; i < n; i++) {
			if (!secrets[i] || strlen(secrets[i]) != len)
				continue;
			for (pos = 0; (sep = strstr(text + pos, secrets[i]));)
				pos = mask_at(text, bufsz, (size_t)(sep - text), len);
		}
		limit = len;
	}
}
