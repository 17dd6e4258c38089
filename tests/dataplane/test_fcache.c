/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's per-worker whole-file cache (dataplane/server/fcache.c): a file is read once
 * and served from memory, a changed file is read again while a held snapshot stays intact,
 * and the bounds (object size, total bytes, entries held by responses) are kept.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcache.h"
#include "hb_test.h"

TestSuite(srv_fcache);

static char dir[64];

static void
mkdir_tmp(void)
{
	strcpy(dir, "/tmp/hb-fcache.XXXXXX");
	cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
}

/* Write n bytes of pattern seed to dir/name, with the modification time sec. @return fd */
static int
put_file(const char *name, size_t n, uint8_t seed, time_t sec)
{
	char path[128];
	uint8_t *buf = malloc(n + 1);
	struct timespec ts[2] = {{.tv_sec = sec}, {.tv_sec = sec}};
	int fd;

	cr_assert(not(eq(ptr, buf, NULL)));
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(seed + i * 7);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(ge(int, fd, 0));
	cr_assert(eq(sz, (size_t)write(fd, buf, n), n));
	cr_assert(eq(int, futimens(fd, ts), 0));
	free(buf);
	return fd;
}

/* The entry of fd, which must be cached. */
static struct srv_fcache_ent *
get_ok(struct srv_fcache *fc, int fd)
{
	struct srv_fcache_ent *e = srv_fcache_get(fc, fd);

	cr_assert(not(eq(ptr, e, NULL)));
	return e;
}

static void
rm_file(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* The entry's bytes must be the pattern of seed, n long. */
static void
expect_data(const struct srv_fcache_ent *e, size_t n, uint8_t seed)
{
	uint64_t size;
	const uint8_t *d = srv_fcache_data(e, &size);

	cr_assert(eq(u64, size, n));
	for (size_t i = 0; i < n; i++)
		cr_assert(eq(u8, d[i], (uint8_t)(seed + i * 7)), "byte %zu", i);
}

HB_TEST(srv_fcache, read_once_then_hit)
{
	struct srv_fcache *fc = srv_fcache_new(1 << 20, 1 << 20);
	struct srv_fcache_ent *a, *b;
	int fd, fd2;

	mkdir_tmp();
	fd = put_file("a", 5000, 3, 1000);
	a = get_ok(fc, fd);
	expect_data(a, 5000, 3);
	cr_assert(eq(sz, srv_fcache_bytes(fc), 5000));
	/* The same file through another descriptor is the same entry: no second read. */
	fd2 = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
	cr_assert(ge(int, fd2, 0));
	b = srv_fcache_get(fc, fd2);
	cr_assert(eq(ptr, b, NULL)); /* a directory is never cached */
	close(fd2);
	fd2 = dup(fd);
	b = srv_fcache_get(fc, fd2);
	close(fd2);
	cr_assert(eq(ptr, a, b));
	cr_assert(eq(sz, srv_fcache_bytes(fc), 5000));
	srv_fcache_put(fc, a);
	srv_fcache_put(fc, b);
	close(fd);
	rm_file("a");
	rmdir(dir);
	srv_fcache_free(fc);
}

HB_TEST(srv_fcache, changed_file_read_again_snapshot_kept)
{
	struct srv_fcache *fc = srv_fcache_new(1 << 20, 1 << 20);
	struct srv_fcache_ent *a, *b;
	int fd;

	mkdir_tmp();
	fd = put_file("f", 3000, 1, 1000);
	a = get_ok(fc, fd);
	close(fd);
	/* Rewritten in place, same size, another time: a new entry; the held one is intact. */
	fd = put_file("f", 3000, 9, 2000);
	b = get_ok(fc, fd);
	cr_assert(not(eq(ptr, a, b)));
	expect_data(a, 3000, 1);
	expect_data(b, 3000, 9);
	cr_assert(eq(sz, srv_fcache_bytes(fc), 6000));
	srv_fcache_put(fc, a);
	srv_fcache_put(fc, b);
	close(fd);
	rm_file("f");
	rmdir(dir);
	srv_fcache_free(fc);
}

HB_TEST(srv_fcache, bounds)
{
	struct srv_fcache *fc = srv_fcache_new(10000, 6000);
	struct srv_fcache_ent *a, *b, *c;
	int fa, fb, fc_, fbig, fempty;

	mkdir_tmp();
	fa = put_file("a", 4000, 1, 1000);
	fb = put_file("b", 4000, 2, 1000);
	fc_ = put_file("c", 4000, 3, 1000);
	fbig = put_file("big", 6001, 4, 1000);
	fempty = put_file("empty", 0, 5, 1000);
	cr_assert(eq(ptr, srv_fcache_get(fc, fbig), NULL)); /* above max_obj */
	cr_assert(eq(ptr, srv_fcache_get(fc, fempty), NULL));
	a = srv_fcache_get(fc, fa);
	b = srv_fcache_get(fc, fb);
	cr_assert(not(eq(ptr, a, NULL)));
	cr_assert(not(eq(ptr, b, NULL)));
	/* Both held: c does not fit in 10000 bytes and nothing may be evicted. */
	cr_assert(eq(ptr, srv_fcache_get(fc, fc_), NULL));
	cr_assert(eq(sz, srv_fcache_bytes(fc), 8000));
	/* a released: it is evicted for c; b, held, stays. */
	srv_fcache_put(fc, a);
	c = get_ok(fc, fc_);
	cr_assert(eq(sz, srv_fcache_bytes(fc), 8000));
	expect_data(b, 4000, 2);
	expect_data(c, 4000, 3);
	srv_fcache_put(fc, b);
	srv_fcache_put(fc, c);
	close(fa);
	close(fb);
	close(fc_);
	close(fbig);
	close(fempty);
	rm_file("a");
	rm_file("b");
	rm_file("c");
	rm_file("big");
	rm_file("empty");
	rmdir(dir);
	srv_fcache_free(fc);
}

HB_TEST(srv_fcache, entries_held_by_responses)
{
	struct srv_fcache *fc = srv_fcache_new(1 << 20, 1 << 20);
	struct srv_fcache_ent *held[SRV_FCACHE_ENTRIES];
	char name[16];
	int fd[SRV_FCACHE_ENTRIES + 1];

	mkdir_tmp();
	for (unsigned i = 0; i <= SRV_FCACHE_ENTRIES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		fd[i] = put_file(name, 100, (uint8_t)i, 1000);
	}
	for (unsigned i = 0; i < SRV_FCACHE_ENTRIES; i++) {
		held[i] = get_ok(fc, fd[i]);
	}
	/* Every slot is held: one more file is served from its descriptor. */
	cr_assert(eq(ptr, srv_fcache_get(fc, fd[SRV_FCACHE_ENTRIES]), NULL));
	/* One released: its slot is reused, least recently used first. */
	srv_fcache_put(fc, held[5]);
	held[5] = get_ok(fc, fd[SRV_FCACHE_ENTRIES]);
	expect_data(held[5], 100, (uint8_t)SRV_FCACHE_ENTRIES);
	for (unsigned i = 0; i <= SRV_FCACHE_ENTRIES; i++) {
		if (i < SRV_FCACHE_ENTRIES)
			srv_fcache_put(fc, held[i]);
		close(fd[i]);
		snprintf(name, sizeof(name), "f%u", i);
		rm_file(name);
	}
	rmdir(dir);
	srv_fcache_free(fc);
}
