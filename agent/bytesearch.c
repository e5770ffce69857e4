#include "bytesearch.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* W. Mula, "SIMD-friendly algorithms for substring searching": 16 positions at a time whose
 * first and last bytes both fit the needle's, each such candidate checked with memcmp. Audit
 * lines rarely hold both bytes at the right distance, so few candidates get that far. */
const char *bytes_find(const char *hay, size_t n, const char *needle, size_t k)
{
	if (k == 0)
		return hay;
	if (k > n)
		return NULL;
	if (k == 1)
		return memchr(hay, needle[0], n);
#ifdef __SSE2__
	const __m128i first = _mm_set1_epi8(needle[0]);
	const __m128i last = _mm_set1_epi8(needle[k - 1]);
	size_t i = 0;
	for (; i + k - 1 + 16 <= n; i += 16) {
		__m128i bf = _mm_loadu_si128((const __m128i *)(const void *)(hay + i));
		__m128i bl = _mm_loadu_si128((const __m128i *)(const void *)(hay + i + k - 1));
		unsigned mask = (unsigned)_mm_movemask_epi8(
			_mm_and_si128(_mm_cmpeq_epi8(first, bf), _mm_cmpeq_epi8(last, bl)));
		while (mask) {
			unsigned bit = (unsigned)__builtin_ctz(mask);
			if (!memcmp(hay + i + bit + 1, needle + 1, k - 2))
				return hay + i + bit;
			mask &= mask - 1;
		}
	}
	/* the last positions, fewer than 16: memmem's set-up would cost more than this */
	for (; i + k <= n; i++)
		if (hay[i] == needle[0] && hay[i + k - 1] == needle[k - 1] &&
		    !memcmp(hay + i + 1, needle + 1, k - 2))
			return hay + i;
	return NULL;
#else
	return memmem(hay, n, needle, k);
#endif
}
