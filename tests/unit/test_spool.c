/* spool: records come back byte for byte, in order, in batches bounded by count and bytes, until
 * an ack passes them; the ack survives a restart; a torn last record is cut off at open; segments
 * roll over at SPOOL_SEGMENT_BYTES and go once delivered; the spool is full at max_bytes until an
 * ack makes room; damage is skipped, never a crash or a hang. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "spool.h"

#define PEEK_TIMEOUT_MS 5000

struct fixture {
	char tmp[64];  /* removed with everything under it at teardown */
	char dir[128]; /* tmp/spool: the spool's directory, created by spool_open */
	struct spool s;
	bool open;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	unit_temp_dir(fx->tmp, sizeof(fx->tmp));
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool", fx->tmp);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	if (fx->open)
		spool_close(&fx->s);
	unit_remove_tree(fx->tmp);
	free(fx);
	return 0;
}

static void open_spool(struct fixture *fx, uint64_t max_bytes)
{
	char err[512] = "";
	int rc = spool_open(&fx->s, fx->dir, max_bytes, err, sizeof(err));
	if (rc)
		fail_msg("spool_open: %s (%d)", err, rc);
	fx->open = true;
}

static void close_spool(struct fixture *fx)
{
	spool_close(&fx->s);
	fx->open = false;
}

static void reopen_spool(struct fixture *fx, uint64_t max_bytes)
{
	close_spool(fx);
	open_spool(fx, max_bytes);
}

static void append(struct spool *s, const char *text)
{
	assert_int_equal(spool_append(s, text, strlen(text)), 0);
}

static void append_all(struct spool *s, const char *const *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		append(s, recs[i]);
	assert_int_equal(spool_sync(s), 0);
}

static void seg_file(const struct fixture *fx, uint64_t seg, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/seg-%016llu.log", fx->dir, (unsigned long long)seg);
}

static uint64_t size_of(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	return (uint64_t)sb.st_size;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Append n raw bytes to path (created 0600 when missing); a short write fails the test. */
static void append_bytes(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t crc_of(const char *data, size_t len)
{
	return (uint32_t)crc32(0, (const Bytef *)data, (uInt)len);
}

/* Append a record of data to the segment file path with the given length and CRC fields
 * (the true ones for a good record, others to damage it). */
static void put_record(const char *path, const char *data, uint32_t len_field, uint32_t crc)
{
	unsigned char hdr[8];
	le32(hdr, len_field);
	le32(hdr + 4, crc);
	append_bytes(path, hdr, sizeof(hdr));
	append_bytes(path, data, strlen(data));
}

static void put_good_record(const char *path, const char *data)
{
	put_record(path, data, (uint32_t)strlen(data), crc_of(data, strlen(data)));
}

/* The batch holds exactly want[0..n), byte for byte and in order, each NUL-terminated. */
static void assert_batch(const struct spool_batch *b, const char *const *want, size_t n)
{
	size_t bytes = 0;
	assert_int_equal(b->n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(b->recs[i].len, strlen(want[i]));
		assert_memory_equal(b->recs[i].data, want[i], b->recs[i].len);
		assert_int_equal(b->recs[i].data[b->recs[i].len], '\0');
		bytes += b->recs[i].len;
	}
	assert_int_equal(b->bytes, bytes);
}

static void peek_all(struct spool *s, struct spool_batch *b)
{
	assert_int_equal(spool_peek(s, 1000, SIZE_MAX, b), 0);
}

/* Peek everything and check it is want[0..n). */
static void assert_pending(struct spool *s, const char *const *want, size_t n)
{
	struct spool_batch b;
	peek_all(s, &b);
	assert_batch(&b, want, n);
	spool_batch_free(&b);
}

/* Peek at most max_events, check they are want[0..n), and ack them. */
static void deliver(struct spool *s, size_t max_events, const char *const *want, size_t n)
{
	struct spool_batch b;
	assert_int_equal(spool_peek(s, max_events, SIZE_MAX, &b), 0);
	assert_batch(&b, want, n);
	assert_int_equal(spool_ack(s, b.end), 0);
	spool_batch_free(&b);
}

static const char *const alerts[] = {
	"{\"type\":\"alert\",\"alert_id\":\"3b988f2af10f6f70c01c2220fad2b160\",\"event_count\":1}",
	"{\"type\":\"update\",\"alert_id\":\"3b988f2af10f6f70c01c2220fad2b160\",\"event_count\":2}",
	"{\"type\":\"alert\",\"alert_id\":\"0c1d2e3f405162738495a6b7c8d9eaf0\",\"event_count\":1}",
	"{\"type\":\"update\",\"alert_id\":\"0c1d2e3f405162738495a6b7c8d9eaf0\",\"event_count\":2}",
	"{\"type\":\"update\",\"alert_id\":\"3b988f2af10f6f70c01c2220fad2b160\",\"event_count\":3}",
};
#define N_ALERTS (sizeof(alerts) / sizeof(alerts[0]))

static void test_spool_new_spool_is_empty_and_peeks_nothing(void **state)
{
	struct fixture *fx = *state;
	struct spool_batch b;

	open_spool(fx, 1u << 20);
	assert_true(spool_empty(&fx->s));
	assert_false(spool_full(&fx->s));
	peek_all(&fx->s, &b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.bytes, 0);
	assert_true(b.end.seg == fx->s.ack.seg && b.end.off == fx->s.ack.off);
	spool_batch_free(&b);
}

static void test_spool_records_come_back_byte_exact_in_order(void **state)
{
	struct fixture *fx = *state;
	static const char binary[] = "a\0b\nc\r\n\xff\x01\"}";
	char *big = malloc(100000);
	struct spool_batch b;

	assert_non_null(big);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (char)('a' + i % 26);
	open_spool(fx, 1u << 20);
	append(&fx->s, alerts[0]);
	assert_int_equal(spool_append(&fx->s, binary, sizeof(binary) - 1), 0);
	assert_int_equal(spool_append(&fx->s, "", 0), 0);
	assert_int_equal(spool_append(&fx->s, big, 100000), 0);
	append(&fx->s, alerts[1]);
	assert_int_equal(spool_sync(&fx->s), 0);
	assert_false(spool_empty(&fx->s));

	peek_all(&fx->s, &b);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.recs[0].len, strlen(alerts[0]));
	assert_string_equal(b.recs[0].data, alerts[0]);
	assert_int_equal(b.recs[1].len, sizeof(binary) - 1);
	assert_memory_equal(b.recs[1].data, binary, sizeof(binary) - 1);
	assert_int_equal(b.recs[1].data[b.recs[1].len], '\0');
	assert_int_equal(b.recs[2].len, 0);
	assert_string_equal(b.recs[2].data, "");
	assert_int_equal(b.recs[3].len, 100000);
	assert_memory_equal(b.recs[3].data, big, 100000);
	assert_string_equal(b.recs[4].data, alerts[1]);
	assert_int_equal(b.bytes,
			 strlen(alerts[0]) + sizeof(binary) - 1 + 100000 + strlen(alerts[1]));
	spool_batch_free(&b);
	free(big);
}

/* The documented layout: [u32 length LE][u32 CRC-32 LE][bytes], one record after another. */
static void test_spool_record_on_disk_is_length_crc_and_bytes_little_endian(void **state)
{
	struct fixture *fx = *state;
	char path[256];
	unsigned char want[8 + 3 + 8 + 5];
	size_t len;

	open_spool(fx, 1u << 20);
	append(&fx->s, "abc");
	append(&fx->s, "hello");
	assert_int_equal(spool_sync(&fx->s), 0);

	le32(want, 3);
	le32(want + 4, 0x352441c2); /* crc32("abc") */
	memcpy(want + 8, "abc", 3);
	le32(want + 11, 5);
	le32(want + 15, crc_of("hello", 5));
	memcpy(want + 19, "hello", 5);
	seg_file(fx, 1, path, sizeof(path));
	char *got = unit_read_file(path, &len);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	free(got);
}

static void test_spool_peek_does_not_consume(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, 3);
	assert_pending(&fx->s, alerts, 3);
	assert_pending(&fx->s, alerts, 3);
	assert_false(spool_empty(&fx->s));
}

static void test_spool_ack_removes_exactly_the_delivered_records(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, N_ALERTS);
	deliver(&fx->s, 2, alerts, 2);
	assert_false(spool_empty(&fx->s));
	assert_pending(&fx->s, alerts + 2, N_ALERTS - 2);
	deliver(&fx->s, 100, alerts + 2, N_ALERTS - 2);
	assert_true(spool_empty(&fx->s));
	assert_pending(&fx->s, NULL, 0);
}

static void test_spool_batch_stops_at_max_events(void **state)
{
	struct fixture *fx = *state;
	struct spool_batch b;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, N_ALERTS);
	assert_int_equal(spool_peek(&fx->s, 3, SIZE_MAX, &b), 0);
	assert_batch(&b, alerts, 3);
	spool_batch_free(&b);
	assert_int_equal(spool_peek(&fx->s, 1, SIZE_MAX, &b), 0);
	assert_batch(&b, alerts, 1);
	spool_batch_free(&b);
}

static void test_spool_batch_stops_before_max_bytes_would_be_exceeded(void **state)
{
	struct fixture *fx = *state;
	static const char *const ten[] = {"record-001", "record-002", "record-003", "record-004"};
	struct spool_batch b;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, ten, 4);
	assert_int_equal(spool_peek(&fx->s, 100, 25, &b), 0);
	assert_batch(&b, ten, 2);
	spool_batch_free(&b);
	/* exactly max_bytes still fits */
	assert_int_equal(spool_peek(&fx->s, 100, 30, &b), 0);
	assert_batch(&b, ten, 3);
	assert_int_equal(spool_ack(&fx->s, b.end), 0);
	spool_batch_free(&b);
	assert_pending(&fx->s, ten + 3, 1);
}

static void test_spool_record_bigger_than_max_bytes_comes_alone(void **state)
{
	struct fixture *fx = *state;
	static const char *const recs[] = {"a record of forty bytes, more than 16...", "small-1",
					   "small-2"};
	struct spool_batch b;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, recs, 3);
	assert_int_equal(spool_peek(&fx->s, 100, 16, &b), 0);
	assert_batch(&b, recs, 1);
	assert_int_equal(spool_ack(&fx->s, b.end), 0);
	spool_batch_free(&b);
	assert_int_equal(spool_peek(&fx->s, 100, 16, &b), 0);
	assert_batch(&b, recs + 1, 2);
	spool_batch_free(&b);
}

static void test_spool_ack_file_names_the_first_undelivered_record(void **state)
{
	struct fixture *fx = *state;
	char path[256], want[64];

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, 3);
	deliver(&fx->s, 2, alerts, 2);
	snprintf(path, sizeof(path), "%s/ack", fx->dir);
	snprintf(want, sizeof(want), "1 %zu\n", 8 + strlen(alerts[0]) + 8 + strlen(alerts[1]));
	char *got = unit_read_file(path, NULL);
	assert_string_equal(got, want);
	free(got);
}

static void test_spool_reopen_resumes_at_the_ack(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, N_ALERTS);
	deliver(&fx->s, 2, alerts, 2);
	reopen_spool(fx, 1u << 20);
	assert_int_equal(fx->s.torn, 0);
	assert_pending(&fx->s, alerts + 2, N_ALERTS - 2);
	/* a new record goes after the old ones */
	append(&fx->s, "after-restart");
	assert_int_equal(spool_sync(&fx->s), 0);
	deliver(&fx->s, N_ALERTS - 2, alerts + 2, N_ALERTS - 2);
	reopen_spool(fx, 1u << 20);
	static const char *const rest[] = {"after-restart"};
	assert_pending(&fx->s, rest, 1);
}

static void test_spool_undelivered_records_come_back_after_reopen(void **state)
{
	struct fixture *fx = *state;
	struct spool_batch b;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, 3);
	peek_all(&fx->s, &b); /* sent, never acknowledged */
	spool_batch_free(&b);
	reopen_spool(fx, 1u << 20);
	assert_false(spool_empty(&fx->s));
	assert_pending(&fx->s, alerts, 3);
}

static void test_spool_fully_acked_spool_reopens_empty(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, N_ALERTS);
	deliver(&fx->s, 100, alerts, N_ALERTS);
	reopen_spool(fx, 1u << 20);
	assert_true(spool_empty(&fx->s));
	assert_int_equal(fx->s.bytes, 0);
	assert_pending(&fx->s, NULL, 0);
}

/* Three records, synced; then damage appended to the segment file as a crash mid-write would
 * leave it: open cuts exactly the damage, counts it, keeps the three, and appends after them. */
static void check_torn_tail_is_cut(struct fixture *fx, const void *damage, size_t n)
{
	char path[256];

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, 3);
	close_spool(fx);
	seg_file(fx, 1, path, sizeof(path));
	uint64_t good = size_of(path);
	append_bytes(path, damage, n);

	open_spool(fx, 1u << 20);
	assert_int_equal(fx->s.torn, 1);
	assert_int_equal(size_of(path), good);
	assert_pending(&fx->s, alerts, 3);
	append(&fx->s, alerts[3]);
	assert_int_equal(spool_sync(&fx->s), 0);
	assert_pending(&fx->s, alerts, 4);

	reopen_spool(fx, 1u << 20);
	assert_int_equal(fx->s.torn, 0);
	assert_pending(&fx->s, alerts, 4);
}

static void test_spool_torn_partial_header_is_cut_at_open(void **state)
{
	static const unsigned char half[] = {0x40, 0x00, 0x00, 0x00, 0x9a};
	check_torn_tail_is_cut(*state, half, sizeof(half));
}

static void test_spool_torn_short_payload_is_cut_at_open(void **state)
{
	const char *rec = alerts[4];
	unsigned char torn[8 + 10];
	le32(torn, (uint32_t)strlen(rec));
	le32(torn + 4, crc_of(rec, strlen(rec)));
	memcpy(torn + 8, rec, 10);
	check_torn_tail_is_cut(*state, torn, sizeof(torn));
}

static void test_spool_torn_bad_crc_at_the_end_is_cut_at_open(void **state)
{
	const char *rec = alerts[4];
	size_t len = strlen(rec);
	unsigned char *torn = malloc(8 + len);
	assert_non_null(torn);
	le32(torn, (uint32_t)len);
	le32(torn + 4, crc_of(rec, len) ^ 0x00010000);
	memcpy(torn + 8, rec, len);
	check_torn_tail_is_cut(*state, torn, 8 + len);
	free(torn);
}

/* Record i of the rollover test: len bytes of one letter, distinct per record. */
static void fill_record(char *buf, size_t len, int i)
{
	memset(buf, 'A' + i, len);
	snprintf(buf, len, "record %d", i);
}

static void assert_big_records(const struct spool_batch *b, int first, int n, size_t len)
{
	char *want = malloc(len);
	assert_non_null(want);
	assert_int_equal(b->n, n);
	for (int i = 0; i < n; i++) {
		fill_record(want, len, first + i);
		assert_int_equal(b->recs[i].len, len);
		if (memcmp(b->recs[i].data, want, len))
			fail_msg("record %d of the batch is not record %d", i, first + i);
	}
	free(want);
}

static void test_spool_segment_rolls_over_at_segment_bytes_and_delivered_segments_go(void **state)
{
	struct fixture *fx = *state;
	/* four records fill a segment to exactly SPOOL_SEGMENT_BYTES; the fifth starts the next */
	const size_t len = SPOOL_SEGMENT_BYTES / 4 - 8;
	char seg1[256], seg2[256], ack[256], want_ack[64];
	struct spool_batch b;
	char *buf = malloc(len);

	assert_non_null(buf);
	open_spool(fx, 4ull * SPOOL_SEGMENT_BYTES);
	for (int i = 0; i < 5; i++) {
		fill_record(buf, len, i);
		assert_int_equal(spool_append(&fx->s, buf, len), 0);
	}
	assert_int_equal(spool_sync(&fx->s), 0);
	free(buf);
	seg_file(fx, 1, seg1, sizeof(seg1));
	seg_file(fx, 2, seg2, sizeof(seg2));
	assert_int_equal(size_of(seg1), SPOOL_SEGMENT_BYTES);
	assert_int_equal(size_of(seg2), len + 8);

	/* an ack inside segment 1 keeps it */
	assert_int_equal(spool_peek(&fx->s, 2, SIZE_MAX, &b), 0);
	assert_big_records(&b, 0, 2, len);
	assert_int_equal(spool_ack(&fx->s, b.end), 0);
	spool_batch_free(&b);
	assert_true(exists(seg1));

	/* a batch reads across the boundary; acking past it deletes segment 1 */
	assert_int_equal(spool_peek(&fx->s, 10, SIZE_MAX, &b), 0);
	assert_big_records(&b, 2, 3, len);
	assert_int_equal(b.end.seg, 2);
	assert_int_equal(b.end.off, len + 8);
	assert_int_equal(spool_ack(&fx->s, b.end), 0);
	spool_batch_free(&b);
	assert_false(exists(seg1));
	assert_true(exists(seg2));
	assert_true(spool_empty(&fx->s));
	assert_int_equal(fx->s.bytes, 0);
	snprintf(ack, sizeof(ack), "%s/ack", fx->dir);
	snprintf(want_ack, sizeof(want_ack), "2 %zu\n", len + 8);
	char *got = unit_read_file(ack, NULL);
	assert_string_equal(got, want_ack);
	free(got);

	/* and the spool opens again from segment 2 */
	reopen_spool(fx, 4ull * SPOOL_SEGMENT_BYTES);
	assert_true(spool_empty(&fx->s));
	append(&fx->s, alerts[0]);
	assert_int_equal(spool_sync(&fx->s), 0);
	assert_pending(&fx->s, alerts, 1);
	assert_int_equal(size_of(seg2), len + 8 + 8 + strlen(alerts[0]));
}

/* 92-byte records: 100 bytes each on disk with the header. */
static const char *const hundred[] = {
	"0000000000111111111122222222223333333333444444"
	"4444555555555566666666667777777777888888888899",
	"aaaaaaaaaabbbbbbbbbbccccccccccddddddddddeeeeee"
	"eeeeffffffffffgggggggggghhhhhhhhhhiiiiiiiiiijj",
	"AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDDEEEEEE"
	"EEEEFFFFFFFFFFGGGGGGGGGGHHHHHHHHHHIIIIIIIIIIJJ",
	"..........,,,,,,,,,,;;;;;;;;;;::::::::::------"
	"----__________++++++++++==========**********##",
	"a fifth record: the line in hand when the spool"
	" filled up is spooled all the same, not lost.",
};

static void test_spool_is_full_at_max_bytes_until_an_ack_makes_room(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < 5; i++)
		assert_int_equal(strlen(hundred[i]), 92);
	open_spool(fx, 400);
	append_all(&fx->s, hundred, 3);
	assert_int_equal(fx->s.bytes, 300);
	assert_false(spool_full(&fx->s));
	append(&fx->s, hundred[3]);
	assert_int_equal(fx->s.bytes, 400);
	assert_true(spool_full(&fx->s));

	deliver(&fx->s, 1, hundred, 1);
	assert_int_equal(fx->s.bytes, 300);
	assert_false(spool_full(&fx->s));
	assert_pending(&fx->s, hundred + 1, 3);
}

/* The caller stops reading input while the spool is full, but the records of the line in hand
 * still go in: max_bytes is passed by that much, and nothing is refused or lost. */
static void test_spool_append_to_a_full_spool_is_kept(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 400);
	append_all(&fx->s, hundred, 4);
	assert_true(spool_full(&fx->s));
	append(&fx->s, hundred[4]);
	assert_int_equal(spool_sync(&fx->s), 0);
	assert_int_equal(fx->s.bytes, 500);
	assert_true(spool_full(&fx->s));
	assert_pending(&fx->s, hundred, 5);

	deliver(&fx->s, 1, hundred, 1);
	assert_true(spool_full(&fx->s)); /* 400 of 400 */
	deliver(&fx->s, 1, hundred + 1, 1);
	assert_false(spool_full(&fx->s));
	assert_pending(&fx->s, hundred + 2, 3);
}

static void test_spool_full_spool_is_still_full_after_reopen(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 400);
	append_all(&fx->s, hundred, 4);
	deliver(&fx->s, 1, hundred, 1);
	append(&fx->s, hundred[4]);
	assert_int_equal(spool_sync(&fx->s), 0);
	reopen_spool(fx, 400);
	assert_int_equal(fx->s.bytes, 400); /* counted from the ack, not from the file's start */
	assert_true(spool_full(&fx->s));
	deliver(&fx->s, 1, hundred + 1, 1);
	assert_false(spool_full(&fx->s));
	assert_pending(&fx->s, hundred + 2, 3);
}

static void test_spool_record_bigger_than_max_bytes_is_kept_and_the_spool_is_full(void **state)
{
	struct fixture *fx = *state;

	open_spool(fx, 50);
	append(&fx->s, hundred[0]);
	assert_true(spool_full(&fx->s));
	deliver(&fx->s, 10, hundred, 1);
	assert_false(spool_full(&fx->s));
	assert_true(spool_empty(&fx->s));
}

static void test_spool_record_over_spool_max_record_is_emsgsize(void **state)
{
	struct fixture *fx = *state;
	char *huge = malloc((size_t)SPOOL_MAX_RECORD + 1);

	assert_non_null(huge);
	open_spool(fx, 4ull * SPOOL_MAX_RECORD);
	assert_int_equal(spool_append(&fx->s, huge, (size_t)SPOOL_MAX_RECORD + 1), -EMSGSIZE);
	free(huge);
	assert_true(spool_empty(&fx->s));
}

/* An ack file holding text must make spool_open fail with -EINVAL and a message naming the
 * spool and its ack file; the segments are left alone. */
static void check_corrupt_ack_is_refused(struct fixture *fx, const char *text)
{
	char path[256], err[512] = "";

	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, 2);
	close_spool(fx);
	snprintf(path, sizeof(path), "%s/ack", fx->dir);
	unlink(path);
	unit_append_file(path, text);

	int rc = spool_open(&fx->s, fx->dir, 1u << 20, err, sizeof(err));
	spool_close(&fx->s); /* what a failed open holds */
	if (rc != -EINVAL)
		fail_msg("ack file \"%s\": spool_open gave %d (%s), want -EINVAL", text, rc, err);
	if (!strstr(err, fx->dir) || !strstr(err, "ack"))
		fail_msg("ack file \"%s\": message \"%s\" names neither the spool nor its ack file",
			 text, err);
	char seg[256];
	seg_file(fx, 1, seg, sizeof(seg));
	assert_int_equal(size_of(seg), 16 + strlen(alerts[0]) + strlen(alerts[1]));
}

static void test_spool_corrupt_ack_file_is_an_error_with_a_message(void **state)
{
	check_corrupt_ack_is_refused(*state, "garbage\n");
}

static void test_spool_empty_ack_file_is_an_error_with_a_message(void **state)
{
	check_corrupt_ack_is_refused(*state, "");
}

static void test_spool_ack_file_with_one_number_is_an_error_with_a_message(void **state)
{
	check_corrupt_ack_is_refused(*state, "1\n");
}

/* strtoull and %llu read "-1" as 2^64-1: an ack past all data, every pending record dropped. */
static void test_spool_ack_file_with_a_negative_number_is_an_error_with_a_message(void **state)
{
	check_corrupt_ack_is_refused(*state, "-1 0\n");
}

static void assert_mode(const char *path, mode_t want)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	if ((sb.st_mode & 07777) != want)
		fail_msg("%s has mode %04o, want %04o", path, (unsigned)(sb.st_mode & 07777),
			 (unsigned)want);
}

static void test_spool_files_are_mode_0600_and_the_directory_0700(void **state)
{
	struct fixture *fx = *state;
	char path[256];
	mode_t old = umask(0);

	/* with no umask to help, the spool's own modes show */
	open_spool(fx, 1u << 20);
	append_all(&fx->s, alerts, 2);
	deliver(&fx->s, 1, alerts, 1);
	umask(old);
	assert_mode(fx->dir, 0700);
	seg_file(fx, 1, path, sizeof(path));
	assert_mode(path, 0600);
	snprintf(path, sizeof(path), "%s/ack", fx->dir);
	assert_mode(path, 0600);
	snprintf(path, sizeof(path), "%s/ack.tmp", fx->dir);
	assert_false(exists(path));
}

/* spool_peek(s, 100, SIZE_MAX) in a child process, so that a peek that never returns fails the
 * test after PEEK_TIMEOUT_MS instead of hanging the suite. Its records go to out, each followed
 * by '\n' (the caller frees), its end position to *end. */
static void peek_guarded(struct spool *s, char **out, struct spool_pos *end)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct spool_batch b;
		close(p[0]);
		FILE *f = fdopen(p[1], "w");
		int rc = f ? spool_peek(s, 100, SIZE_MAX, &b) : -ENOMEM;
		if (!f)
			_exit(2);
		fprintf(f, "%d %llu %llu\n", rc, (unsigned long long)b.end.seg,
			(unsigned long long)b.end.off);
		for (size_t i = 0; !rc && i < b.n; i++) {
			fwrite(b.recs[i].data, 1, b.recs[i].len, f);
			fputc('\n', f);
		}
		fclose(f);
		_exit(0);
	}
	close(p[1]);

	size_t n = 0;
	FILE *m = open_memstream(out, &n);
	assert_non_null(m);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool timed_out = false;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = PEEK_TIMEOUT_MS -
			    ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			timed_out = r == 0;
			break;
		}
		char chunk[4096];
		ssize_t k = read(p[0], chunk, sizeof(chunk));
		if (k <= 0)
			break;
		fwrite(chunk, 1, (size_t)k, m);
	}
	close(p[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	fclose(m);
	if (timed_out) {
		free(*out);
		fail_msg("spool_peek did not return within %d ms", PEEK_TIMEOUT_MS);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(*out);
		fail_msg("spool_peek crashed (wait status 0x%x)", (unsigned)status);
	}
	int rc = -1;
	unsigned long long seg = 0, off = 0;
	char *nl = strchr(*out, '\n');
	assert_non_null(nl);
	assert_int_equal(sscanf(*out, "%d %llu %llu", &rc, &seg, &off), 3);
	assert_int_equal(rc, 0);
	end->seg = seg;
	end->off = off;
	memmove(*out, nl + 1, strlen(nl + 1) + 1);
}

/* Two segments as a damaged disk left them (no ack file: nothing delivered): segment 1 holds
 * record 0, then what write_rest writes; segment 2 holds records 3 and 4. Reading must give
 * want[0..n) (the damage and the rest of segment 1 skipped) and end after record 4; acking
 * that batch deletes segment 1. */
static void check_older_segment_damage(struct fixture *fx, void (*write_rest)(const char *path),
				       const char *const *want, size_t n)
{
	char seg1[256], seg2[256], *got, expect[2048] = "";
	struct spool_pos end;
	struct spool_batch b;

	assert_int_equal(mkdir(fx->dir, 0700), 0);
	seg_file(fx, 1, seg1, sizeof(seg1));
	seg_file(fx, 2, seg2, sizeof(seg2));
	put_good_record(seg1, alerts[0]);
	write_rest(seg1);
	put_good_record(seg2, alerts[3]);
	put_good_record(seg2, alerts[4]);
	uint64_t seg1_size = size_of(seg1);

	open_spool(fx, 1u << 20);
	assert_int_equal(fx->s.torn, 0);
	assert_int_equal(size_of(seg1), seg1_size); /* only the last segment is cut at open */
	peek_guarded(&fx->s, &got, &end);
	for (size_t i = 0; i < n; i++)
		snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect), "%s\n", want[i]);
	assert_string_equal(got, expect);
	free(got);
	assert_int_equal(end.seg, 2);
	assert_int_equal(end.off, size_of(seg2));

	/* the child showed that the peek ends: the same in this process, then deliver */
	peek_all(&fx->s, &b);
	assert_batch(&b, want, n);
	assert_int_equal(spool_ack(&fx->s, b.end), 0);
	spool_batch_free(&b);
	assert_false(exists(seg1));
	assert_true(spool_empty(&fx->s));
}

static void bad_crc(const char *path)
{
	put_record(path, alerts[1], (uint32_t)strlen(alerts[1]),
		   crc_of(alerts[1], strlen(alerts[1])) ^ 0x80);
	put_good_record(path, alerts[2]);
}

static void impossible_length(const char *path)
{
	put_record(path, alerts[1], 0xfffffff0u, crc_of(alerts[1], strlen(alerts[1])));
	put_good_record(path, alerts[2]);
}

static void length_past_the_segment_end(const char *path)
{
	put_record(path, alerts[1], 4096, crc_of(alerts[1], strlen(alerts[1])));
	put_good_record(path, alerts[2]);
}

static void trailing_partial_header(const char *path)
{
	static const unsigned char half[] = {0x40, 0x00, 0x00, 0x00, 0x9a};
	put_good_record(path, alerts[1]);
	put_good_record(path, alerts[2]);
	append_bytes(path, half, sizeof(half));
}

static void test_spool_bad_crc_in_an_older_segment_skips_the_rest_of_it(void **state)
{
	const char *const want[] = {alerts[0], alerts[3], alerts[4]};
	check_older_segment_damage(*state, bad_crc, want, 3);
}

static void test_spool_impossible_length_in_an_older_segment_skips_the_rest_of_it(void **state)
{
	const char *const want[] = {alerts[0], alerts[3], alerts[4]};
	check_older_segment_damage(*state, impossible_length, want, 3);
}

static void test_spool_length_past_the_end_of_an_older_segment_skips_the_rest_of_it(void **state)
{
	const char *const want[] = {alerts[0], alerts[3], alerts[4]};
	check_older_segment_damage(*state, length_past_the_segment_end, want, 3);
}

static void test_spool_partial_header_ending_an_older_segment_is_skipped(void **state)
{
	check_older_segment_damage(*state, trailing_partial_header, alerts, N_ALERTS);
}

/* Deliver the oldest n records: peek them and ack past them. */
static void deliver_n(struct spool *s, size_t n)
{
	struct spool_batch b;
	assert_int_equal(spool_peek(s, n, SIZE_MAX, &b), 0);
	assert_int_equal(b.n, n);
	assert_int_equal(spool_ack(s, b.end), 0);
	spool_batch_free(&b);
}

static void test_spool_oldest_is_when_the_oldest_undelivered_record_was_appended(void **state)
{
	struct fixture *fx = *state;
	open_spool(fx, 1 << 20);
	assert_int_equal(spool_oldest_ms(&fx->s), 0);
	int64_t t0 = clock_mono_ms();
	append(&fx->s, alerts[0]);
	append(&fx->s, alerts[1]);
	int64_t t1 = clock_mono_ms();
	assert_in_range(spool_oldest_ms(&fx->s), t0, t1);
	usleep(1100 * 1000); /* past SPOOL_MARK_MS: the next append gets a mark of its own */
	int64_t t2 = clock_mono_ms();
	append(&fx->s, alerts[2]);
	int64_t t3 = clock_mono_ms();
	assert_in_range(spool_oldest_ms(&fx->s), t0, t1);
	deliver_n(&fx->s, 1); /* alerts[1] is from the first second still */
	assert_in_range(spool_oldest_ms(&fx->s), t0, t1);
	deliver_n(&fx->s, 1);
	assert_in_range(spool_oldest_ms(&fx->s), t2, t3);
	deliver_n(&fx->s, 1);
	assert_int_equal(spool_oldest_ms(&fx->s), 0);
}

static void test_spool_oldest_starts_over_after_the_spool_emptied(void **state)
{
	struct fixture *fx = *state;
	open_spool(fx, 1 << 20);
	append(&fx->s, alerts[0]);
	deliver_n(&fx->s, 1);
	usleep(1100 * 1000);
	int64_t t0 = clock_mono_ms();
	append(&fx->s, alerts[1]);
	assert_in_range(spool_oldest_ms(&fx->s), t0, clock_mono_ms());
}

static void test_spool_oldest_after_reopen_counts_from_the_segment_last_write(void **state)
{
	struct fixture *fx = *state;
	char seg[256];
	struct stat sb;
	open_spool(fx, 1 << 20);
	append(&fx->s, alerts[0]);
	assert_int_equal(spool_sync(&fx->s), 0);
	close_spool(fx);
	/* the segment was last written 30 s ago */
	snprintf(seg, sizeof(seg), "%s/seg-%016llu.log", fx->dir, 1ULL);
	assert_int_equal(stat(seg, &sb), 0);
	struct timespec times[2] = {{time(NULL) - 30, 0}, {time(NULL) - 30, 0}};
	assert_int_equal(utimensat(AT_FDCWD, seg, times, 0), 0);
	open_spool(fx, 1 << 20);
	int64_t age = clock_mono_ms() - spool_oldest_ms(&fx->s);
	assert_in_range(age, 29000, 32000);
	append(&fx->s, alerts[1]);
	age = clock_mono_ms() - spool_oldest_ms(&fx->s);
	assert_in_range(age, 29000, 32000);
	deliver_n(&fx->s, 1);
	assert_in_range(clock_mono_ms() - spool_oldest_ms(&fx->s), 0, 1000);
}

static void test_spool_oldest_stays_an_upper_bound_when_marks_are_thinned(void **state)
{
	struct fixture *fx = *state;
	enum { N = SPOOL_MAX_MARKS + 100 };
	/* each record was appended at some time in [before, after] (shifted as the marks are);
	 * static, so that a failed assertion leaks nothing */
	static int64_t before[N], after[N];
	open_spool(fx, 1ULL << 40);
	/* one record per "second": after each append every mark moves a second into the past */
	for (size_t i = 0; i < N; i++) {
		before[i] = clock_mono_ms();
		append(&fx->s, alerts[i % N_ALERTS]);
		after[i] = clock_mono_ms();
		for (size_t k = 0; k < fx->s.nmarks; k++)
			fx->s.marks[k].t_ms -= SPOOL_MARK_MS;
	}
	/* record i's times moved with the marks in the N - i rounds from its own on */
	for (size_t i = 0; i < N; i++) {
		before[i] -= (int64_t)(N - i) * SPOOL_MARK_MS;
		after[i] -= (int64_t)(N - i) * SPOOL_MARK_MS;
	}
	assert_true(fx->s.nmarks <= SPOOL_MAX_MARKS);
	assert_true(fx->s.nmarks >= SPOOL_MAX_MARKS / 2);
	for (size_t k = 1; k < fx->s.nmarks; k++)
		assert_true(fx->s.marks[k].t_ms > fx->s.marks[k - 1].t_ms);
	assert_in_range(spool_oldest_ms(&fx->s), before[0], after[0]);
	/* after thinning, a record counts from its own mark or the record's before it: never
	 * younger than it is, and no older than the record before it */
	size_t done = 0;
	for (size_t step = 1000; done + step < N; done += step) {
		deliver_n(&fx->s, step);
		size_t j = done + step; /* the oldest undelivered record */
		assert_true(spool_oldest_ms(&fx->s) <= after[j]);
		assert_true(spool_oldest_ms(&fx->s) >= before[j - 1]);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_spool_new_spool_is_empty_and_peeks_nothing),
		T(test_spool_records_come_back_byte_exact_in_order),
		T(test_spool_record_on_disk_is_length_crc_and_bytes_little_endian),
		T(test_spool_peek_does_not_consume),
		T(test_spool_ack_removes_exactly_the_delivered_records),
		T(test_spool_batch_stops_at_max_events),
		T(test_spool_batch_stops_before_max_bytes_would_be_exceeded),
		T(test_spool_record_bigger_than_max_bytes_comes_alone),
		T(test_spool_ack_file_names_the_first_undelivered_record),
		T(test_spool_reopen_resumes_at_the_ack),
		T(test_spool_undelivered_records_come_back_after_reopen),
		T(test_spool_fully_acked_spool_reopens_empty),
		T(test_spool_torn_partial_header_is_cut_at_open),
		T(test_spool_torn_short_payload_is_cut_at_open),
		T(test_spool_torn_bad_crc_at_the_end_is_cut_at_open),
		T(test_spool_segment_rolls_over_at_segment_bytes_and_delivered_segments_go),
		T(test_spool_is_full_at_max_bytes_until_an_ack_makes_room),
		T(test_spool_append_to_a_full_spool_is_kept),
		T(test_spool_full_spool_is_still_full_after_reopen),
		T(test_spool_record_bigger_than_max_bytes_is_kept_and_the_spool_is_full),
		T(test_spool_record_over_spool_max_record_is_emsgsize),
		T(test_spool_corrupt_ack_file_is_an_error_with_a_message),
		T(test_spool_empty_ack_file_is_an_error_with_a_message),
		T(test_spool_ack_file_with_one_number_is_an_error_with_a_message),
		T(test_spool_ack_file_with_a_negative_number_is_an_error_with_a_message),
		T(test_spool_files_are_mode_0600_and_the_directory_0700),
		T(test_spool_bad_crc_in_an_older_segment_skips_the_rest_of_it),
		T(test_spool_impossible_length_in_an_older_segment_skips_the_rest_of_it),
		T(test_spool_length_past_the_end_of_an_older_segment_skips_the_rest_of_it),
		T(test_spool_partial_header_ending_an_older_segment_is_skipped),
		T(test_spool_oldest_is_when_the_oldest_undelivered_record_was_appended),
		T(test_spool_oldest_starts_over_after_the_spool_emptied),
		T(test_spool_oldest_after_reopen_counts_from_the_segment_last_write),
		T(test_spool_oldest_stays_an_upper_bound_when_marks_are_thinned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
