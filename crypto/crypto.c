/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-worker crypto context, suite properties, randomness and small helpers.
 *
 * Every algorithm is fetched here once (EVP_CIPHER_fetch, EVP_MD_fetch,
 * EVP_KDF_fetch) so that no implicit fetch happens on a packet path.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <crypto/crypto.h>

#include "aead_internal.h"
#include "crypto_internal.h"
#include "x25519.h"

const char *
crypto_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case CRYPTO_ERR_NOMEM:
		return "out of memory";
	case CRYPTO_ERR_INVAL:
		return "invalid argument";
	case CRYPTO_ERR_AUTH:
		return "authentication failed";
	case CRYPTO_ERR_LIB:
		return "crypto library failure";
	case CRYPTO_ERR_LIMIT:
		return "AEAD usage limit reached";
	case CRYPTO_ERR_UNSUPPORTED:
		return "unsupported";
	default:
		return "unknown error";
	}
}

/* ---- Suites ---- */

struct suite_info {
	const char *name;
	uint16_t tls_id;
	enum crypto_hash hash;
	uint8_t key_len;
	uint64_t conf_limit;
	uint64_t integ_limit;
};

/*
 * RFC 9001 §6.6: AES-GCM may seal 2^23 packets and tolerate 2^52 forgery attempts per key;
 * ChaCha20-Poly1305 has no practical confidentiality limit (2^62, every packet number) and
 * tolerates 2^36 forgery attempts.
 */
static const struct suite_info suites[CRYPTO_SUITE_COUNT] = {
	[CRYPTO_SUITE_AES_128_GCM_SHA256] = {"TLS_AES_128_GCM_SHA256", 0x1301, CRYPTO_HASH_SHA256,
					     16, UINT64_C(1) << 23, UINT64_C(1) << 52},
	[CRYPTO_SUITE_AES_256_GCM_SHA384] = {"TLS_AES_256_GCM_SHA384", 0x1302, CRYPTO_HASH_SHA384,
					     32, UINT64_C(1) << 23, UINT64_C(1) << 52},
	[CRYPTO_SUITE_CHACHA20_POLY1305_SHA256] = {"TLS_CHACHA20_POLY1305_SHA256", 0x1303,
						   CRYPTO_HASH_SHA256, 32, UINT64_C(1) << 62,
						   UINT64_C(1) << 36},
};

static const struct suite_info *
suite_info(enum crypto_suite suite)
{
	return crypto_suite_valid(suite) ? &suites[suite] : NULL;
}

enum crypto_hash
crypto_suite_hash(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? s->hash : CRYPTO_HASH_SHA256;
}

size_t
crypto_suite_key_len(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? s->key_len : 0;
}

size_t
crypto_suite_secret_len(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? crypto_hash_len(s->hash) : 0;
}

uint16_t
crypto_suite_tls_id(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? s->tls_id : 0;
}

const char *
crypto_suite_name(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? s->name : "unknown";
}

uint64_t
crypto_suite_confidentiality_limit(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? s->conf_limit : 0;
}

uint64_t
crypto_suite_integrity_limit(enum crypto_suite suite)
{
	const struct suite_info *s = suite_info(suite);

	return s != NULL ? s->integ_limit : 0;
}

size_t
crypto_hash_len(enum crypto_hash hash)
{
	return hash == CRYPTO_HASH_SHA384 ? 48 : 32;
}

const EVP_MD *
crypto_ctx_md(const struct crypto_ctx *ctx, enum crypto_hash hash)
{
	switch (hash) {
	case CRYPTO_HASH_SHA256:
		return ctx->sha256;
	case CRYPTO_HASH_SHA384:
		return ctx->sha384;
	default:
		return NULL;
	}
}

const EVP_CIPHER *
crypto_ctx_aead_cipher(const struct crypto_ctx *ctx, enum crypto_suite suite)
{
	switch (suite) {
	case CRYPTO_SUITE_AES_128_GCM_SHA256:
		return ctx->aes128gcm;
	case CRYPTO_SUITE_AES_256_GCM_SHA384:
		return ctx->aes256gcm;
	case CRYPTO_SUITE_CHACHA20_POLY1305_SHA256:
		return ctx->chacha20poly1305;
	default:
		return NULL;
	}
}

const EVP_CIPHER *
crypto_ctx_hp_cipher(const struct crypto_ctx *ctx, enum crypto_suite suite)
{
	switch (suite) {
	case CRYPTO_SUITE_AES_128_GCM_SHA256:
		return ctx->aes128ecb;
	case CRYPTO_SUITE_AES_256_GCM_SHA384:
		return ctx->aes256ecb;
	case CRYPTO_SUITE_CHACHA20_POLY1305_SHA256:
		return ctx->chacha20;
	default:
		return NULL;
	}
}

/* ---- Randomness ---- */

/* libcrypto's public or private DRBG into buf. */
static int
rand_fill(bool private, uint8_t *buf, size_t len)
{
	/* RAND_bytes takes an int: feed large requests in pieces. */
	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if ((private ? RAND_priv_bytes(buf, n) : RAND_bytes(buf, n)) != 1)
			return CRYPTO_ERR_LIB;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
crypto_rand_system(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	return rand_fill(false, buf, len);
}

int
crypto_rand_bytes(const struct crypto_rand *r, uint8_t *buf, size_t len)
{
	if (buf == NULL && len > 0)
		return CRYPTO_ERR_INVAL;
	if (r == NULL || r->fn == NULL)
		return crypto_rand_system(NULL, buf, len);
	return r->fn(r->arg, buf, len);
}

static int
rand_pool_fn(void *arg, uint8_t *buf, size_t len)
{
	struct crypto_rand_pool *p = arg;
	int rc;

	if (len > CRYPTO_RAND_POOL_LEN / 4)
		return rand_fill(p->private, buf, len);
	if (len > CRYPTO_RAND_POOL_LEN - p->off) {
		rc = rand_fill(p->private, p->buf, CRYPTO_RAND_POOL_LEN);
		if (rc != 0)
			return rc;
		p->off = 0;
	}
	memcpy(buf, p->buf + p->off, len);
	crypto_wipe(p->buf + p->off, len);
	p->off += len;
	return 0;
}

void
crypto_rand_pool_init(struct crypto_rand_pool *p, struct crypto_rand *r)
{
	p->off = CRYPTO_RAND_POOL_LEN;
	p->private = false;
	r->fn = rand_pool_fn;
	r->arg = p;
}

void
crypto_rand_pool_init_private(struct crypto_rand_pool *p, struct crypto_rand *r)
{
	crypto_rand_pool_init(p, r);
	p->private = true;
}

void
crypto_rand_pool_fini(struct crypto_rand_pool *p)
{
	crypto_wipe(p->buf, sizeof(p->buf));
	p->off = CRYPTO_RAND_POOL_LEN;
}

/* ---- Misc ---- */

int
crypto_memcmp_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}

/* explicit_bzero() is memset() the compiler may not drop; OPENSSL_cleanse() on x86-64 clears
 * a byte at a time, a visible share of the Retry path through the random pool. */
void
crypto_wipe(void *p, size_t len)
{
	if (p != NULL)
		explicit_bzero(p, len);
}

/* ---- Engines ---- */

bool
crypto_engine_available(enum crypto_engine engine)
{
	switch (engine) {
	case CRYPTO_ENGINE_AUTO:
	case CRYPTO_ENGINE_EVP:
		return true;
	case CRYPTO_ENGINE_IPSEC_MB:
#ifdef HB_HAVE_IPSEC_MB
		return crypto_imb_cpu_ok();
#else
		return false;
#endif
	case CRYPTO_ENGINE_NULL:
#ifdef HB_CRYPTO_NULL_ENGINE
		return true;
#else
		return false;
#endif
	default:
		return false;
	}
}

const char *
crypto_engine_name(enum crypto_engine engine)
{
	switch (engine) {
	case CRYPTO_ENGINE_AUTO:
		return "auto";
	case CRYPTO_ENGINE_EVP:
		return "evp";
	case CRYPTO_ENGINE_IPSEC_MB:
		return "ipsec-mb";
	case CRYPTO_ENGINE_NULL:
		return "null";
	default:
		return "unknown";
	}
}

enum crypto_engine
crypto_ctx_engine(const struct crypto_ctx *ctx)
{
	return ctx->engine;
}

/* ---- Context ---- */

/* RFC 9001 §5.2 and RFC 9369 §3.3.1 Initial salts. */
static const uint8_t initial_salt_v1[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
					    0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
					    0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
static const uint8_t initial_salt_v2[20] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
					    0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
					    0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

const uint8_t *
crypto_initial_salt(uint32_t version, size_t *len)
{
	*len = sizeof(initial_salt_v1);
	if (version == CRYPTO_QUIC_V1)
		return initial_salt_v1;
	if (version == CRYPTO_QUIC_V2)
		return initial_salt_v2;
	return NULL;
}

static int
fetch_algorithms(struct crypto_ctx *ctx)
{
	ctx->aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	ctx->aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	ctx->chacha20poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	ctx->aes128ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	ctx->aes256ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	ctx->chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	ctx->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	ctx->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	ctx->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (ctx->aes128gcm == NULL || ctx->aes256gcm == NULL || ctx->chacha20poly1305 == NULL ||
	    ctx->aes128ecb == NULL || ctx->aes256ecb == NULL || ctx->chacha20 == NULL ||
	    ctx->sha256 == NULL || ctx->sha384 == NULL || ctx->hkdf == NULL)
		return CRYPTO_ERR_LIB;
	return 0;
}

/* HMAC-SHA256 keyed with each Initial salt, once per context. */
static int
build_hmacs(struct crypto_ctx *ctx)
{
	int rc = crypto_hmac_setkey(&ctx->initial_v1, CRYPTO_HASH_SHA256, initial_salt_v1,
				    sizeof(initial_salt_v1));

	if (rc == 0)
		rc = crypto_hmac_setkey(&ctx->initial_v2, CRYPTO_HASH_SHA256, initial_salt_v2,
					sizeof(initial_salt_v2));
	return rc;
}

static int
pick_engine(struct crypto_ctx *ctx, enum crypto_engine engine)
{
	switch (engine) {
	case CRYPTO_ENGINE_AUTO:
		engine = crypto_engine_available(CRYPTO_ENGINE_IPSEC_MB) ? CRYPTO_ENGINE_IPSEC_MB
									 : CRYPTO_ENGINE_EVP;
		break;
	case CRYPTO_ENGINE_EVP:
		break;
	case CRYPTO_ENGINE_IPSEC_MB:
	case CRYPTO_ENGINE_NULL:
		if (!crypto_engine_available(engine))
			return CRYPTO_ERR_UNSUPPORTED;
		break;
	default:
		return CRYPTO_ERR_INVAL;
	}
	ctx->engine = engine;
#ifdef HB_HAVE_IPSEC_MB
	if (engine == CRYPTO_ENGINE_IPSEC_MB)
		return crypto_imb_new(&ctx->imb);
#endif
	return 0;
}

/* ---- handle slabs ---- */

#ifndef HB_POOL_DEBUG
/* The class of (align, size), made when there is room and make is set; NULL: none. */
static struct crypto_slab *
slab_class(struct crypto_ctx *ctx, size_t align, size_t size, bool make)
{
	for (unsigned i = 0; i < CRYPTO_SLAB_CLASSES; i++) {
		struct crypto_slab *sl = &ctx->slab[i];

		if (sl->size == size && sl->align == align)
			return sl;
		if (sl->size == 0 && make) {
			sl->size = size;
			sl->align = align;
			return sl;
		}
	}
	return NULL;
}

static int
slab_grow(struct crypto_slab *sl)
{
	void **slabs = realloc(sl->slabs, (sl->n_slabs + 1) * sizeof(*slabs));
	uint8_t *mem;

	if (slabs == NULL)
		return CRYPTO_ERR_NOMEM;
	sl->slabs = slabs;
	mem = aligned_alloc(sl->align, sl->size * CRYPTO_SLAB_OBJS);
	if (mem == NULL)
		return CRYPTO_ERR_NOMEM;
	slabs[sl->n_slabs++] = mem;
	for (size_t i = CRYPTO_SLAB_OBJS; i-- > 0;) {
		memcpy(mem + i * sl->size, &sl->free, sizeof(sl->free));
		sl->free = mem + i * sl->size;
	}
	return 0;
}

static size_t
round_up(size_t size, size_t align)
{
	return (size + align - 1) & ~(align - 1);
}
#endif

void *
crypto_obj_alloc(struct crypto_ctx *ctx, size_t align, size_t size)
{
#ifdef HB_POOL_DEBUG
	(void)ctx;
	return crypto_zalloc_aligned(align, size);
#else
	struct crypto_slab *sl;
	void *obj;

	size = round_up(size < sizeof(void *) ? sizeof(void *) : size, align);
	sl = slab_class(ctx, align, size, true);
	if (sl == NULL) /* more kinds of handle than classes: never with real suites */
		return crypto_zalloc_aligned(align, size);
	if (sl->free == NULL && slab_grow(sl) != 0)
		return NULL;
	obj = sl->free;
	memcpy(&sl->free, obj, sizeof(sl->free));
	/* The next allocation reads the new head's link: without this prefetch that load
	 * missed the cache every time (as in quic/pool.c). */
	__builtin_prefetch(sl->free, 1, 3);
	memset(obj, 0, size);
	return obj;
#endif
}

void
crypto_obj_free(struct crypto_ctx *ctx, void *obj, size_t align, size_t size)
{
#ifdef HB_POOL_DEBUG
	(void)ctx, (void)align, (void)size;
	free(obj);
#else
	struct crypto_slab *sl;

	if (obj == NULL)
		return;
	size = round_up(size < sizeof(void *) ? sizeof(void *) : size, align);
	/* A class, once made, stays: what had none when allocated has none now. */
	sl = slab_class(ctx, align, size, false);
	if (sl == NULL) {
		free(obj);
		return;
	}
	memcpy(obj, &sl->free, sizeof(sl->free));
	sl->free = obj;
#endif
}

static void
slabs_free(struct crypto_ctx *ctx)
{
	for (unsigned i = 0; i < CRYPTO_SLAB_CLASSES; i++) {
		for (size_t k = 0; k < ctx->slab[i].n_slabs; k++)
			free(ctx->slab[i].slabs[k]);
		free(ctx->slab[i].slabs);
	}
}

int
crypto_ctx_new(struct crypto_ctx **out, enum crypto_engine engine)
{
	struct crypto_ctx *ctx;
	int rc;

	if (out == NULL)
		return CRYPTO_ERR_INVAL;
	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return CRYPTO_ERR_NOMEM;
	rc = pick_engine(ctx, engine);
	if (rc == 0)
		rc = fetch_algorithms(ctx);
	if (rc == 0)
		rc = build_hmacs(ctx);
	/* Not under the fuzz-only null engine, whose tokens are the null engine's too. */
	ctx->gcm_short = ctx->engine != CRYPTO_ENGINE_NULL && crypto_gcm_short_available();
	if (rc == 0)
		rc = crypto_retry_init(ctx);
	if (rc != 0) {
		crypto_ctx_free(ctx);
		return rc;
	}
	/* The X25519 fixed-base table (once per process, a few ms): here rather than in the
	 * first handshake. */
	crypto_x25519_init();
	*out = ctx;
	return 0;
}

void
crypto_ctx_free(struct crypto_ctx *ctx)
{
	if (ctx == NULL)
		return;
	crypto_aead_free(ctx->retry_v1);
	crypto_aead_free(ctx->retry_v2);
	EVP_PKEY_CTX_free(ctx->kgen);
	EVP_PKEY_CTX_free(ctx->kpeer);
	if (ctx->kex_rand != NULL) {
		crypto_rand_pool_fini(ctx->kex_rand);
		free(ctx->kex_rand);
	}
	if (ctx->x25519 != NULL) {
		crypto_wipe(ctx->x25519, sizeof(*ctx->x25519));
		free(ctx->x25519);
	}
	EVP_KDF_free(ctx->hkdf);
	EVP_MD_free(ctx->sha256);
	EVP_MD_free(ctx->sha384);
	EVP_CIPHER_free(ctx->aes128gcm);
	EVP_CIPHER_free(ctx->aes256gcm);
	EVP_CIPHER_free(ctx->chacha20poly1305);
	EVP_CIPHER_free(ctx->aes128ecb);
	EVP_CIPHER_free(ctx->aes256ecb);
	EVP_CIPHER_free(ctx->chacha20);
#ifdef HB_HAVE_IPSEC_MB
	crypto_imb_free(ctx->imb);
#endif
	slabs_free(ctx);
	crypto_wipe(&ctx->fixed_salt, sizeof(ctx->fixed_salt)); /* a reset key and its state */
	free(ctx);
}
