/* SPDX-License-Identifier: BSD-3-Clause */
/* The per-worker whole-file cache (fcache.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcache.h"

struct srv_fcache_ent {
	uint8_t *data; /* NULL: a free slot */
	uint64_t size;
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	uint32_t refs;
	uint64_t used; /* the cache's tick at the last hit: LRU order */
};

struct srv_fcache {
	size_t cap, max_obj, bytes;
	uint64_t tick;
	struct srv_fcache_ent ents[SRV_FCACHE_ENTRIES];
};

struct srv_fcache *
srv_fcache_new(size_t cap, size_t max_obj)
{
	struct srv_fcache *fc = calloc(1, sizeof(*fc));

	if (fc != NULL) {
		fc->cap = cap;
		fc->max_obj = max_obj;
	}
	return fc;
}

void
srv_fcache_free(struct srv_fcache *fc)
{
	if (fc == NULL)
		return;
	for (unsigned i = 0; i < SRV_FCACHE_ENTRIES; i++)
		free(fc->ents[i].data);
	free(fc);
}

static bool
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool
same_file(const struct srv_fcache_ent *e, const struct stat *st)
{
	return e->data != NULL && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == (uint64_t)st->st_size && same_time(&e->mtime, &st->st_mtim) &&
	       same_time(&e->ctime, &st->st_ctim);
}

static void
evict(struct srv_fcache *fc, struct srv_fcache_ent *e)
{
	fc->bytes -= (size_t)e->size;
	free(e->data);
	memset(e, 0, sizeof(*e));
}

/* The cached entry no response holds that was hit least recently, or NULL. */
static struct srv_fcache_ent *
lru_unused(struct srv_fcache *fc)
{
	struct srv_fcache_ent *best = NULL;

	for (unsigned i = 0; i < SRV_FCACHE_ENTRIES; i++) {
		struct srv_fcache_ent *e = &fc->ents[i];

		if (e->data != NULL && e->refs == 0 && (best == NULL || e->used < best->used))
			best = e;
	}
	return best;
}

/* A free slot with room for size more bytes, evicting unused entries; NULL if none. */
static struct srv_fcache_ent *
make_room(struct srv_fcache *fc, uint64_t size)
{
	struct srv_fcache_ent *slot = NULL, *v;

	for (unsigned i = 0; i < SRV_FCACHE_ENTRIES && slot == NULL; i++)
		if (fc->ents[i].data == NULL)
			slot = &fc->ents[i];
	while (slot == NULL || fc->bytes + size > fc->cap) {
		v = lru_unused(fc);
		if (v == NULL)
			return NULL; /* what is left is held by responses in flight */
		evict(fc, v);
		if (slot == NULL)
			slot = v;
	}
	return slot;
}

/* All of fd's size bytes into buf. @return true when exactly size bytes were read */
static bool
read_all(int fd, uint8_t *buf, uint64_t size)
{
	uint64_t off = 0;
	uint8_t extra;
	ssize_t n;

	while (off < size) {
		n = pread(fd, buf + off, (size_t)(size - off), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false; /* an error, or the file shrank */
		off += (uint64_t)n;
	}
	/* A file that grew while we read it is not the one fstat() described. */
	do
		n = pread(fd, &extra, 1, (off_t)size);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

/* Read the file of st into a new entry. @return the entry (one reference) or NULL */
static struct srv_fcache_ent *
load(struct srv_fcache *fc, int fd, const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size;
	struct srv_fcache_ent *e;
	uint8_t *data;

	if (size == 0 || size > fc->max_obj || size > fc->cap)
		return NULL;
	e = make_room(fc, size);
	if (e == NULL || (data = malloc((size_t)size)) == NULL)
		return NULL;
	if (!read_all(fd, data, size)) {
		free(data);
		return NULL;
	}
	*e = (struct srv_fcache_ent){.data = data,
				     .size = size,
				     .dev = st->st_dev,
				     .ino = st->st_ino,
				     .mtime = st->st_mtim,
				     .ctime = st->st_ctim};
	fc->bytes += (size_t)size;
	return e;
}

struct srv_fcache_ent *
srv_fcache_get(struct srv_fcache *fc, int fd)
{
	struct srv_fcache_ent *e = NULL;
	struct stat st;

	if (fc == NULL || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	for (unsigned i = 0; i < SRV_FCACHE_ENTRIES && e == NULL; i++)
		if (same_file(&fc->ents[i], &st))
			e = &fc->ents[i];
	if (e == NULL)
		e = load(fc, fd, &st);
	if (e == NULL)
		return NULL;
	e->refs++;
	e->used = ++fc->tick;
	return e;
}

void
srv_fcache_put(struct srv_fcache *fc, struct srv_fcache_ent *e)
{
	(void)fc;
	if (e != NULL && e->refs > 0)
		e->refs--;
}

const uint8_t *
srv_fcache_data(const struct srv_fcache_ent *e, uint64_t *size)
{
	*size = e->size;
	return e->data;
}

size_t
srv_fcache_bytes(const struct srv_fcache *fc)
{
	return fc->bytes;
}
