/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A per-worker cache of whole files of the web root, served from memory (issue #6). A bulk
 * download read its file with one pread() per 32 KiB refill: a system call, a page-cache
 * lookup and a kernel copy, about a twentieth of the server's time per packet. The cache reads
 * a file once, when a request first names it, and then serves every request for it with a
 * memcpy.
 *
 * Identity: an entry belongs to the file it was read from, named by (device, inode, size,
 * modification and change times) taken from fstat() of the descriptor the request opened, so
 * a file replaced or rewritten under the root is read again on its next request; a response in
 * flight keeps the snapshot it started with (a response never mixes two versions).
 *
 * Bounds: an object larger than max_obj, or one that does not fit in cap bytes once every
 * unused entry has been evicted (least recently used first), is not cached: the caller reads
 * it from its descriptor as before. At most SRV_FCACHE_ENTRIES entries. Memory is thus at most
 * cap bytes of file data per worker plus the fixed table.
 *
 * Not thread-safe: one cache per worker, used only on its thread.
 */
#ifndef HB_SRV_FCACHE_H
#define HB_SRV_FCACHE_H

#include <stddef.h>
#include <stdint.h>

#define SRV_FCACHE_ENTRIES 64
#define SRV_FCACHE_CAP	   (32u << 20) /* bytes of file data per worker */
#define SRV_FCACHE_MAX_OBJ (4u << 20)  /* larger files are read from their descriptor */

struct srv_fcache;
struct srv_fcache_ent;

/*
 * @param cap      bytes of file data held at most
 * @param max_obj  largest file cached
 * @return the cache, or NULL without memory
 */
struct srv_fcache *srv_fcache_new(size_t cap, size_t max_obj);

/* Frees the cache and every entry; no entry may be held (srv_fcache_get without _put). */
void srv_fcache_free(struct srv_fcache *fc);

/*
 * The entry for the regular file open on fd (borrowed: never closed here), read into memory
 * now if it is not cached yet. A hit takes a reference; release it with srv_fcache_put().
 * @return the entry, or NULL: not cacheable (too large, empty, no room, no memory, read error
 *         or a file that changed while it was read); the caller serves it from fd
 */
struct srv_fcache_ent *srv_fcache_get(struct srv_fcache *fc, int fd);

/* Drop a reference taken by srv_fcache_get(); the entry stays cached until evicted. */
void srv_fcache_put(struct srv_fcache *fc, struct srv_fcache_ent *e);

/* The entry's bytes and size (valid while a reference is held). */
const uint8_t *srv_fcache_data(const struct srv_fcache_ent *e, uint64_t *size);

/* Bytes of file data the cache holds now. */
size_t srv_fcache_bytes(const struct srv_fcache *fc);

#endif
