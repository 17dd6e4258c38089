/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The content provider of quic/h3.h over a directory: paths arrive normalised (no ".", ".."
 * or empty segment, no backslash or control byte, quic_app_path_normalize()), and are opened
 * relative to the root's descriptor, so nothing above --root is reachable by name. Symbolic
 * links inside the root are refused at the last component (O_NOFOLLOW); the web root is the
 * operator's, not the client's.
 *
 * A handle is an open descriptor; reads are pread() calls on the worker's thread. That blocks
 * on a cold page cache, which is acceptable for a demo web root held in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srv.h"

static int
file_lookup(void *ctx, const char *path, struct quic_app_object *obj)
{
	const struct srv *s = ctx;
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
	obj->size = (uint64_t)st.st_size;
	obj->handle = (void *)(intptr_t)fd;
	return 0;
}

static int
file_read(void *ctx, void *handle, uint64_t offset, uint8_t *buf, size_t len)
{
	int fd = (int)(intptr_t)handle;
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
	close((int)(intptr_t)handle);
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
