/* linereader: lines from a byte stream, across reads, with CR kept, empty lines, a last line
 * without a newline, and over-long lines skipped and reported with their length. */
#include "unit.h"

#include <errno.h>
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
