/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The content provider of quic/h3.h over a directory: paths arrive normalised (no ".", ".."
 * or empty segment, no backslash or control byte, quic_app_path_normalize()), and are opened
 * relative to the root's descriptor, so nothing above --root is reachable by name. Symbolic
 * links inside the root are refused at the last component (O_NOFOLLOW); the web root is the
 * operator's, not the client's.
 *
 * A handle is an open descriptor; reads are pread() calls on the worker's thread. That blocks
 * on a cold page cache, which is acceptable for a demo web root held in memory. A worker's
 * provider (files.h) first tries its whole-file cache (fcache.h): a cached file is read once,
 * at its first request, and every read after is a memcpy; a file the cache does not take is
 * served from its descriptor as above. Handles are tagged: an odd value is a descriptor
 * (fd << 1 | 1), an even one a cache entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcache.h"
#include "files.h"
#include "srv.h"

struct srv_files {
	const struct srv *s;
	struct srv_fcache *fc;
};

/* Open path under the root. @return a descriptor of a regular file with *size, or -1 */
static int
file_open(const struct srv *s, const char *path, uint64_t *size)
{
	const char *rel = path[0] == '/' ? path + 1 : path;
	struct stat st;
	int fd;

	if (rel[0] == '\0')
		rel = "index.html";
	fd = openat(s->root_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static void *
fd_handle(int fd)
{
	return (void *)(((intptr_t)fd << 1) | 1);
}

static int
file_lookup(void *ctx, const char *path, struct quic_app_object *obj)
{
	int fd = file_open(ctx, path, &obj->size);

	if (fd < 0)
		return -1;
	obj->handle = fd_handle(fd);
	return 0;
}

static int
file_read(void *ctx, void *handle, uint64_t offset, uint8_t *buf, size_t len)
{
	int fd = (int)((intptr_t)handle >> 1);
	ssize_t n;

	(void)ctx;
	do
		n = pread(fd, buf, len, (off_t)offset);
	while (n < 0 && errno == EINTR);
	return n > 0 ? (int)n : -1;
}

static void
file_release(void *ctx, void *handle)
{
	(void)ctx;
	close((int)((intptr_t)handle >> 1));
}

void
srv_provider_init(struct quic_app_provider *p, struct srv *s)
{
	memset(p, 0, sizeof(*p));
	p->ctx = s;
	p->lookup = file_lookup;
	p->read = file_read;
	p->release = file_release;
}

/* ---- A worker's provider: the same files, through its cache ---- */

static int
cached_lookup(void *ctx, const char *path, struct quic_app_object *obj)
{
	struct srv_files *f = ctx;
	struct srv_fcache_ent *e;
	int fd = file_open(f->s, path, &obj->size);

	if (fd < 0)
		return -1;
	e = srv_fcache_get(f->fc, fd);
	if (e == NULL) {
		obj->handle = fd_handle(fd);
		return 0;
	}
	close(fd);
	(void)srv_fcache_data(e, &obj->size); /* the snapshot's size: what the response sends */
	obj->handle = e;
	return 0;
}

static int
cached_read(void *ctx, void *handle, uint64_t offset, uint8_t *buf, size_t len)
{
	const uint8_t *data;
	uint64_t size;

	if (((intptr_t)handle & 1) != 0)
		return file_read(ctx, handle, offset, buf, len);
	data = srv_fcache_data(handle, &size);
	if (offset >= size)
		return -1;
	if (len > size - offset)
		len = (size_t)(size - offset);
	if (len > INT_MAX)
		len = INT_MAX;
	memcpy(buf, data + offset, len);
	return (int)len;
}

static void
cached_release(void *ctx, void *handle)
{
	struct srv_files *f = ctx;

	if (((intptr_t)handle & 1) != 0)
		file_release(ctx, handle);
	else
		srv_fcache_put(f->fc, handle);
}

struct srv_files *
srv_files_new(const struct srv *s)
{
	struct srv_files *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->s = s;
	f->fc = srv_fcache_new(SRV_FCACHE_CAP, SRV_FCACHE_MAX_OBJ);
	if (f->fc == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
srv_files_free(struct srv_files *f)
{
	if (f == NULL)
		return;
	srv_fcache_free(f->fc);
	free(f);
}

void
srv_files_provider(struct quic_app_provider *p, struct srv_files *f)
{
	*p = (struct quic_app_provider){
		.ctx = f, .lookup = cached_lookup, .read = cached_read, .release = cached_release};
}

size_t
srv_files_cached_bytes(const struct srv_files *f)
{
	return srv_fcache_bytes(f->fc);
}
