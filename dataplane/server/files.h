/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's content provider (files.c): the web root as srv_provider_init() serves it, with
 * whole files held in a per-worker cache (fcache.h) so that a download costs a memcpy per
 * refill instead of a pread(). Not thread-safe: one per worker.
 */
#ifndef HB_SRV_FILES_H
#define HB_SRV_FILES_H

#include <quic/h3.h>

struct srv;
struct srv_files;

/* @return the worker's provider state over s's root, or NULL without memory */
struct srv_files *srv_files_new(const struct srv *s);

/* Free it; every handle it gave out must have been released. NULL is ignored. */
void srv_files_free(struct srv_files *f);

/* Fill p with the provider over f (p->ctx = f). */
void srv_files_provider(struct quic_app_provider *p, struct srv_files *f);

/* Bytes of file data f's cache holds. */
size_t srv_files_cached_bytes(const struct srv_files *f);

#endif
