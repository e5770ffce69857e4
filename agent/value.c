#include "value.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const cJSON *value_member(const cJSON *obj, const char *key, bool ci)
{
	if (!obj || !cJSON_IsObject(obj) || !key)
		return NULL;
	const cJSON *folded = NULL;
	unsigned char k0 = (unsigned char)key[0] | 0x20; /* ASCII letters folded; enough to sift */
	for (const cJSON *c = obj->child; c; c = c->next) {
		if (!c->string || ((unsigned char)c->string[0] | 0x20) != k0)
			continue;
		if (strcmp(c->string, key) == 0)
			return c;
		if (ci && !folded && strcasecmp(c->string, key) == 0)
			folded = c;
	}
	return folded;
}

const cJSON *value_element(const cJSON *arr, long index)
{
	if (!arr || !cJSON_IsArray(arr))
		return NULL;
	if (index < 0) {
		long n = cJSON_GetArraySize(arr);
		index += n;
		if (index < 0)
			return NULL;
	}
	const cJSON *c = arr->child;
	while (c && index-- > 0)
		c = c->next;
	return c;
}

bool value_truthy(const cJSON *v)
{
	if (!v)
		return false;
	if (cJSON_IsNull(v) || cJSON_IsFalse(v))
		return false;
	if (cJSON_IsTrue(v))
		return true;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0.0;
	if (cJSON_IsString(v))
		return v->valuestring && v->valuestring[0] != '\0';
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	return false;
}

bool value_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return false;
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsBool(a) && cJSON_IsBool(b))
		return cJSON_IsTrue(a) == cJSON_IsTrue(b);
	if (cJSON_IsNull(a) && cJSON_IsNull(b))
		return true;
	if ((cJSON_IsArray(a) && cJSON_IsArray(b)) || (cJSON_IsObject(a) && cJSON_IsObject(b)))
		return cJSON_Compare(a, b, 1);
	return false;
}

void value_format_number(double d, char *buf, size_t bufsz)
{
	if (isnan(d)) {
		snprintf(buf, bufsz, "nan");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, bufsz, d < 0 ? "-inf" : "inf");
		return;
	}
	/* JSON does not keep int and float apart once decoded; integral values print as ints. */
	if (d == floor(d) && fabs(d) < 1e16) {
		snprintf(buf, bufsz, "%.0f", d);
		return;
	}
	/* Shortest representation that reads back to the same double, as Python's repr. */
	int prec;
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, bufsz, "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	snprintf(buf, bufsz, "%.*e", prec - 1, d);
	char *e = strchr(buf, 'e');
	int exp10 = e ? atoi(e + 1) : 0;
	if (exp10 < -4 || exp10 >= 16) {
		/* mantissa without trailing zeros, exponent with at least two digits */
		char mant[40];
		size_t ml = (size_t)(e - buf);
		if (ml >= sizeof(mant))
			ml = sizeof(mant) - 1;
		memcpy(mant, buf, ml);
		mant[ml] = '\0';
		if (strchr(mant, '.')) {
			char *z = mant + strlen(mant) - 1;
			while (*z == '0')
				*z-- = '\0';
			if (*z == '.')
				*z = '\0';
		}
		snprintf(buf, bufsz, "%se%c%02d", mant, exp10 < 0 ? '-' : '+', abs(exp10));
		return;
	}
	int frac = prec - 1 - exp10;
	if (frac < 1)
		frac = 1;
	snprintf(buf, bufsz, "%.*f", frac, d);
}

int value_to_text(const cJSON *v, struct sbuf *out)
{
	char num[64];

	if (!v)
		return 0;
	if (cJSON_IsString(v))
		return sbuf_puts(out, v->valuestring);
	if (cJSON_IsNull(v))
		return sbuf_puts(out, "None");
	if (cJSON_IsTrue(v))
		return sbuf_puts(out, "True");
	if (cJSON_IsFalse(v))
		return sbuf_puts(out, "False");
	if (cJSON_IsNumber(v)) {
		value_format_number(v->valuedouble, num, sizeof(num));
		return sbuf_puts(out, num);
	}
	char *js = cJSON_PrintUnformatted(v);
	if (!js)
		return -ENOMEM;
	int err = sbuf_puts(out, js);
	cJSON_free(js);
	return err;
}

size_t utf8_count(const char *s, size_t n)
{
	size_t cp = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cp++;
	return cp;
}

size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_cp)
{
	size_t cp = 0, i;
	for (i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (cp == max_cp)
				break;
			cp++;
		}
	}
	return i;
}

size_t utf8_invalid_at(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			/* ASCII, most of every audit line: eight bytes at a time */
			uint64_t w;
			while (i + 8 <= n) {
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			if (i < n && s[i] < 0x80)
				i++;
			continue;
		}
		size_t len;
		unsigned char lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F; /* no UTF-16 surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return i;
		}
		if (i + len > n)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += len;
	}
	return n;
}
