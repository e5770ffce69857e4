/* A spool directory as a crash, a full disk or a hand left it: the segments' records (length,
 * CRC-32, bytes) and the ack file. Opening cuts a torn tail; draining it batch by batch must
 * make progress every time and end empty; a record appended then comes back whole.
 * Input: byte 0 picks 1-3 segments, byte 1 the batch size, then the ack file's text up to the
 * first newline (none: no ack file), then the segments' bytes, split evenly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "spool.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_spool: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[512], name[64], err[512];
	struct spool s;

	if (size < 2)
		return 0;
	size_t nseg = 1 + data[0] % 3, max_events = 1 + data[1] % 8;
	data += 2;
	size -= 2;
	fuzz_clean();
	snprintf(dir, sizeof(dir), "%s/spool", fuzz_dir());
	mkdir(dir, 0700);
	const uint8_t *nl = memchr(data, '\n', size < 64 ? size : 64);
	if (nl) {
		fuzz_write("spool/ack", data, (size_t)(nl - data + 1));
		size -= (size_t)(nl - data + 1);
		data = nl + 1;
	}
	for (size_t i = 0; i < nseg; i++) {
		size_t from = size * i / nseg, to = size * (i + 1) / nseg;
		snprintf(name, sizeof(name), "spool/seg-%016zu.log", 7 + i);
		fuzz_write(name, data + from, to - from);
	}
	if (spool_open(&s, dir, 1u << 20, err, sizeof(err))) {
		spool_close(&s);
		return 0;
	}
	/* each batch takes at least one record (8 bytes or more) or moves to the next segment */
	size_t round, rounds = size / 8 + nseg + 2;
	for (round = 0; round < rounds && !spool_empty(&s); round++) {
		struct spool_batch b;
		check(spool_peek(&s, max_events, 4096, &b) == 0, "peek failed");
		check(b.n <= max_events, "a batch larger than asked for");
		for (size_t i = 0; i < b.n; i++)
			check(b.recs[i].data[b.recs[i].len] == '\0', "a record not NUL-terminated");
		check(b.end.seg > s.ack.seg || (b.end.seg == s.ack.seg && b.end.off > s.ack.off),
		      "a batch that does not move past the ack: the daemon would spin");
		check(spool_ack(&s, b.end) == 0, "ack failed");
		spool_batch_free(&b);
	}
	check(spool_empty(&s), "the spool did not drain");
	static const char rec[] = "{\"type\":\"alert\"}";
	check(spool_append(&s, rec, sizeof(rec) - 1) == 0 && spool_sync(&s) == 0, "append failed");
	struct spool_batch b;
	check(spool_peek(&s, 8, 4096, &b) == 0, "peek after append failed");
	check(b.n == 1 && b.recs[0].len == sizeof(rec) - 1 &&
		  !memcmp(b.recs[0].data, rec, b.recs[0].len),
	      "the appended record does not come back whole");
	spool_batch_free(&b);
	spool_close(&s);
	return 0;
}
