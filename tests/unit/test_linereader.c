/* linereader: lines from a byte stream, across reads, with CR kept, empty lines, a last line
 * without a newline, and over-long lines skipped and reported with their length. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linereader.h"

/* A file descriptor reading data (an unlinked temporary file). */
static int fd_with(const char *data, size_t n)
{
	char path[] = "/tmp/kaa-unit-lines-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);
		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void assert_line(struct linereader *lr, const char *want, uint64_t no, uint64_t offset)
{
	struct line l;
	assert_int_equal(linereader_next(lr, &l), 1);
	assert_false(l.too_long);
	assert_int_equal(l.len, strlen(want));
	assert_memory_equal(l.p, want, l.len);
	assert_int_equal(l.no, no);
	assert_int_equal(l.offset, offset);
}

static void assert_end(struct linereader *lr)
{
	struct line l;
	assert_int_equal(linereader_next(lr, &l), 0);
	assert_int_equal(linereader_next(lr, &l), 0);
}

static void test_linereader_splits_lines_and_numbers_them(void **state)
{
	struct linereader lr;
	int fd = fd_with("one\ntwo\nthree\n", 14);
	assert_int_equal(linereader_init(&lr, fd, 0), 0);
	assert_line(&lr, "one", 1, 0);
	assert_line(&lr, "two", 2, 4);
	assert_line(&lr, "three", 3, 8);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_returns_last_line_without_newline(void **state)
{
	struct linereader lr;
	int fd = fd_with("a\nlast", 6);
	assert_int_equal(linereader_init(&lr, fd, 0), 0);
	assert_line(&lr, "a", 1, 0);
	assert_line(&lr, "last", 2, 2);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_keeps_carriage_return_of_crlf(void **state)
{
	struct linereader lr;
	int fd = fd_with("{\"a\":1}\r\nb\r\n", 12);
	assert_int_equal(linereader_init(&lr, fd, 0), 0);
	assert_line(&lr, "{\"a\":1}\r", 1, 0);
	assert_line(&lr, "b\r", 2, 9);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_returns_empty_lines(void **state)
{
	struct linereader lr;
	int fd = fd_with("\n\nx\n\n", 5);
	assert_int_equal(linereader_init(&lr, fd, 0), 0);
	assert_line(&lr, "", 1, 0);
	assert_line(&lr, "", 2, 1);
	assert_line(&lr, "x", 3, 2);
	assert_line(&lr, "", 4, 4);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_empty_input_has_no_lines(void **state)
{
	struct linereader lr;
	int fd = fd_with("", 0);
	assert_int_equal(linereader_init(&lr, fd, 0), 0);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_keeps_nul_bytes_inside_a_line(void **state)
{
	struct linereader lr;
	struct line l;
	int fd = fd_with("a\0b\nc\n", 6);
	assert_int_equal(linereader_init(&lr, fd, 0), 0);
	assert_int_equal(linereader_next(&lr, &l), 1);
	assert_int_equal(l.len, 3);
	assert_memory_equal(l.p, "a\0b", 3);
	assert_line(&lr, "c", 2, 4);
	linereader_free(&lr);
	close(fd);
}

/* Start a child that writes each piece to fd with a pause between, so the reader sees them in
 * separate reads, then exits. A process, not a thread: a failing test leaves nothing running
 * in the test binary. Returns the child's pid. */
static pid_t write_pieces(int fd, const char *const *pieces)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	struct timespec pause = {0, 20 * 1000 * 1000};
	for (const char *const *p = pieces; *p; p++) {
		size_t n = strlen(*p);
		if (write(fd, *p, n) != (ssize_t)n)
			_exit(1);
		nanosleep(&pause, NULL);
	}
	_exit(0);
}

static void test_linereader_joins_a_line_split_across_reads(void **state)
{
	static const char *const pieces[] = {"{\"kin", "d\":\"Ev", "ent\"}\nsec", "ond\n",
					     "thi", "rd", NULL};
	struct linereader lr;
	int p[2], status;

	assert_int_equal(pipe(p), 0);
	pid_t pid = write_pieces(p[1], pieces);
	close(p[1]);
	assert_int_equal(linereader_init(&lr, p[0], 0), 0);
	assert_line(&lr, "{\"kind\":\"Event\"}", 1, 0);
	assert_line(&lr, "second", 2, 17);
	assert_line(&lr, "third", 3, 24);
	assert_end(&lr);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	linereader_free(&lr);
	close(p[0]);
}

static void test_linereader_line_of_max_is_kept_and_max_plus_one_is_too_long(void **state)
{
	struct linereader lr;
	struct line l;
	int fd = fd_with("0123456789\n0123456789A\nx\n", 25);
	assert_int_equal(linereader_init(&lr, fd, 10), 0);
	assert_line(&lr, "0123456789", 1, 0);
	assert_int_equal(linereader_next(&lr, &l), 1);
	assert_true(l.too_long);
	assert_int_equal(l.len, 11);
	assert_line(&lr, "x", 3, 23);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_too_long_line_is_reported_with_its_length(void **state)
{
	struct linereader lr;
	struct line l;
	const char data[] = "short\n0123456789ABCDEFGHIJKLMNO\nafter\n";
	int fd = fd_with(data, sizeof(data) - 1);
	assert_int_equal(linereader_init(&lr, fd, 10), 0);
	assert_line(&lr, "short", 1, 0);
	assert_int_equal(linereader_next(&lr, &l), 1);
	assert_true(l.too_long);
	assert_null(l.p);
	assert_int_equal(l.len, 25);
	assert_int_equal(l.no, 2);
	assert_int_equal(l.offset, 6);
	assert_line(&lr, "after", 3, 32);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_too_long_line_spanning_many_reads_is_skipped(void **state)
{
	struct linereader lr;
	struct line l;
	const size_t big = 3u << 20;
	char *data = malloc(big + 16);
	assert_non_null(data);
	memcpy(data, "a\n", 2);
	memset(data + 2, 'x', big);
	memcpy(data + 2 + big, "\nnext\n", 6);
	int fd = fd_with(data, big + 8);
	free(data);

	assert_int_equal(linereader_init(&lr, fd, 1000), 0);
	assert_line(&lr, "a", 1, 0);
	assert_int_equal(linereader_next(&lr, &l), 1);
	assert_true(l.too_long);
	assert_int_equal(l.len, big);
	assert_int_equal(l.no, 2);
	assert_int_equal(l.offset, 2);
	assert_line(&lr, "next", 3, 2 + big + 1);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_too_long_last_line_without_newline_is_reported(void **state)
{
	struct linereader lr;
	struct line l;
	int fd = fd_with("ok\n0123456789ABCDEF", 19);
	assert_int_equal(linereader_init(&lr, fd, 10), 0);
	assert_line(&lr, "ok", 1, 0);
	assert_int_equal(linereader_next(&lr, &l), 1);
	assert_true(l.too_long);
	assert_int_equal(l.len, 16);
	assert_int_equal(l.no, 2);
	assert_int_equal(l.offset, 3);
	assert_end(&lr);
	linereader_free(&lr);
	close(fd);
}

static void test_linereader_read_error_is_returned_as_negative_errno(void **state)
{
	struct linereader lr;
	struct line l;
	int p[2];
	assert_int_equal(pipe(p), 0);
	/* reading the write end of a pipe fails with EBADF */
	assert_int_equal(linereader_init(&lr, p[1], 0), 0);
	assert_int_equal(linereader_next(&lr, &l), -EBADF);
	linereader_free(&lr);
	close(p[0]);
	close(p[1]);
}

/* Follow mode: a file that grows while it is read. Two descriptors on one unlinked file: one
 * the reader reads, one the test appends to. */
struct growing {
	int rfd, wfd;
};

static struct growing growing_file(const char *text)
{
	char path[64];
	unit_write_temp(path, sizeof(path), text);
	struct growing g = {open(path, O_RDONLY | O_CLOEXEC),
			    open(path, O_WRONLY | O_APPEND | O_CLOEXEC)};
	unlink(path);
	assert_true(g.rfd >= 0 && g.wfd >= 0);
	return g;
}

static void grow(struct growing *g, const char *text)
{
	size_t n = strlen(text);
	assert_int_equal(write(g->wfd, text, n), (ssize_t)n);
}

static void growing_close(struct growing *g)
{
	close(g->rfd);
	close(g->wfd);
}

/* The next line is want at offset (line numbers aside). */
static void assert_line_at(struct linereader *lr, const char *want, uint64_t offset)
{
	struct line l;
	assert_int_equal(linereader_next(lr, &l), 1);
	assert_false(l.too_long);
	assert_int_equal(l.len, strlen(want));
	assert_memory_equal(l.p, want, l.len);
	assert_int_equal(l.offset, offset);
}

static void test_linereader_follow_partial_last_line_waits_for_its_newline(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("a\npar");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 0, 0), 0);
	assert_line(&lr, "a", 1, 0);
	assert_end(&lr);
	grow(&g, "ti");
	assert_end(&lr);
	grow(&g, "al\nnext\n");
	assert_line(&lr, "partial", 2, 2);
	assert_line(&lr, "next", 3, 10);
	assert_end(&lr);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_follow_empty_file_gives_lines_as_they_arrive(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 0, 0), 0);
	assert_end(&lr);
	grow(&g, "x\n");
	assert_line(&lr, "x", 1, 0);
	assert_end(&lr);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_set_final_returns_the_partial_line(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("a\npar");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 0, 0), 0);
	assert_line(&lr, "a", 1, 0);
	assert_end(&lr);
	linereader_set_final(&lr);
	assert_line(&lr, "par", 2, 2);
	assert_end(&lr);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_set_final_reads_what_arrived_meanwhile(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("a\npar");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 0, 0), 0);
	assert_line(&lr, "a", 1, 0);
	assert_end(&lr);
	grow(&g, "tial\nlast");
	linereader_set_final(&lr);
	assert_line(&lr, "partial", 2, 2);
	assert_line(&lr, "last", 3, 10);
	assert_end(&lr);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_follow_too_long_line_is_reported_once_its_newline_arrives(
	void **state)
{
	struct linereader lr;
	struct line l;
	struct growing g = growing_file("short\n0123456789ABCDEFGHIJ");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 10, 0), 0);
	assert_line(&lr, "short", 1, 0);
	assert_end(&lr);
	grow(&g, "KL\nok\n");
	assert_int_equal(linereader_next(&lr, &l), 1);
	assert_true(l.too_long);
	assert_int_equal(l.len, 22);
	assert_int_equal(l.offset, 6);
	assert_line(&lr, "ok", 3, 29);
	assert_end(&lr);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_reset_after_truncation_reads_from_the_new_start(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("aaaa\nbb");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 0, 0), 0);
	assert_line(&lr, "aaaa", 1, 0);
	assert_end(&lr); /* "bb" is buffered, waiting for its newline */
	assert_int_equal(ftruncate(g.wfd, 0), 0);
	grow(&g, "c\n");
	assert_int_equal(lseek(g.rfd, 0, SEEK_SET), 0);
	linereader_reset(&lr, 0);
	assert_int_equal(linereader_read_offset(&lr), 0);
	assert_line_at(&lr, "c", 0);
	assert_int_equal(linereader_read_offset(&lr), 2);
	assert_end(&lr);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_reset_ends_a_too_long_line_being_skipped(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("0123456789ABCDEF");

	assert_int_equal(linereader_init_follow(&lr, g.rfd, 10, 0), 0);
	assert_end(&lr); /* skipping the over-long line, waiting for its end */
	assert_int_equal(ftruncate(g.wfd, 0), 0);
	grow(&g, "ok\n");
	assert_int_equal(lseek(g.rfd, 0, SEEK_SET), 0);
	linereader_reset(&lr, 0);
	assert_line_at(&lr, "ok", 0);
	linereader_free(&lr);
	growing_close(&g);
}

static void test_linereader_read_offset_is_past_every_byte_read(void **state)
{
	struct linereader lr;
	struct growing g = growing_file("0123456789\nab\ncd");

	/* following from byte 11, as after a checkpoint */
	assert_int_equal(lseek(g.rfd, 11, SEEK_SET), 11);
	assert_int_equal(linereader_init_follow(&lr, g.rfd, 0, 11), 0);
	assert_int_equal(linereader_read_offset(&lr), 11);
	assert_line_at(&lr, "ab", 11);
	assert_int_equal(linereader_read_offset(&lr), 16); /* "cd" read too */
	assert_end(&lr);
	assert_int_equal(linereader_read_offset(&lr), 16);
	grow(&g, "e\n");
	assert_line_at(&lr, "cde", 14);
	assert_int_equal(linereader_read_offset(&lr), 18);
	linereader_free(&lr);
	growing_close(&g);
}

/* A read callback: hands out src a few bytes at a time, or fails. */
struct source {
	const char *src;
	size_t pos, piece;
	int calls;
	long fail_with; /* returned on the first call when non-zero */
};

static long read_source(void *ctx, void *buf, size_t n)
{
	struct source *s = ctx;
	s->calls++;
	if (s->fail_with && s->calls == 1)
		return s->fail_with;
	size_t left = strlen(s->src) - s->pos;
	if (n > s->piece)
		n = s->piece;
	if (n > left)
		n = left;
	memcpy(buf, s->src + s->pos, n);
	s->pos += n;
	return (long)n;
}

static void test_linereader_read_callback_supplies_the_bytes(void **state)
{
	struct linereader lr;
	struct source s = {.src = "one\ntwo\nthree", .piece = 3};

	assert_int_equal(linereader_init(&lr, -1, 0), 0);
	lr.read_fn = read_source;
	lr.read_ctx = &s;
	assert_line(&lr, "one", 1, 0);
	assert_line(&lr, "two", 2, 4);
	assert_line(&lr, "three", 3, 8);
	assert_end(&lr);
	assert_true(s.calls >= 5);
	linereader_free(&lr);
}

static void test_linereader_read_callback_error_is_returned(void **state)
{
	struct linereader lr;
	struct line l;
	struct source s = {.src = "x\n", .piece = 64, .fail_with = -EIO};

	assert_int_equal(linereader_init(&lr, -1, 0), 0);
	lr.read_fn = read_source;
	lr.read_ctx = &s;
	errno = 0;
	assert_int_equal(linereader_next(&lr, &l), -EIO);
	linereader_free(&lr);
}

/* The EINTR retry is for read(2): a callback's error says nothing about errno, and a stale
 * EINTR (from an interrupted epoll_wait, say) must not turn a failing gzread into a retry
 * loop. */
static void test_linereader_read_callback_error_is_not_retried_on_a_stale_eintr(void **state)
{
	struct linereader lr;
	struct line l;
	struct source s = {.src = "x\n", .piece = 64, .fail_with = -EIO};

	assert_int_equal(linereader_init(&lr, -1, 0), 0);
	lr.read_fn = read_source;
	lr.read_ctx = &s;
	errno = EINTR;
	int rc = linereader_next(&lr, &l);
	linereader_free(&lr);
	assert_int_equal(s.calls, 1);
	assert_int_equal(rc, -EIO);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linereader_splits_lines_and_numbers_them),
		cmocka_unit_test(test_linereader_returns_last_line_without_newline),
		cmocka_unit_test(test_linereader_keeps_carriage_return_of_crlf),
		cmocka_unit_test(test_linereader_returns_empty_lines),
		cmocka_unit_test(test_linereader_empty_input_has_no_lines),
		cmocka_unit_test(test_linereader_keeps_nul_bytes_inside_a_line),
		cmocka_unit_test(test_linereader_joins_a_line_split_across_reads),
		cmocka_unit_test(test_linereader_line_of_max_is_kept_and_max_plus_one_is_too_long),
		cmocka_unit_test(test_linereader_too_long_line_is_reported_with_its_length),
		cmocka_unit_test(test_linereader_too_long_line_spanning_many_reads_is_skipped),
		cmocka_unit_test(test_linereader_too_long_last_line_without_newline_is_reported),
		cmocka_unit_test(test_linereader_read_error_is_returned_as_negative_errno),
		cmocka_unit_test(test_linereader_follow_partial_last_line_waits_for_its_newline),
		cmocka_unit_test(test_linereader_follow_empty_file_gives_lines_as_they_arrive),
		cmocka_unit_test(test_linereader_set_final_returns_the_partial_line),
		cmocka_unit_test(test_linereader_set_final_reads_what_arrived_meanwhile),
		cmocka_unit_test(
			test_linereader_follow_too_long_line_is_reported_once_its_newline_arrives),
		cmocka_unit_test(test_linereader_reset_after_truncation_reads_from_the_new_start),
		cmocka_unit_test(test_linereader_reset_ends_a_too_long_line_being_skipped),
		cmocka_unit_test(test_linereader_read_offset_is_past_every_byte_read),
		cmocka_unit_test(test_linereader_read_callback_supplies_the_bytes),
		cmocka_unit_test(test_linereader_read_callback_error_is_returned),
		cmocka_unit_test(test_linereader_read_callback_error_is_not_retried_on_a_stale_eintr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
