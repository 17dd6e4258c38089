/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys the server derives from its token key file: the TLS ticket key (RFC 9846 §4.6.1, tickets
 * are ours to format) and the static key of stateless reset tokens (RFC 9000 §10.3.2). Servers
 * sharing a --token-keys file therefore resume each other's tickets and reset each other's
 * connections, also across a restart; without the file the keys are as random as the token
 * keys made at start.
 *
 * Ticket keys follow the token key through SIGHUP: the control thread publishes the new one
 * in a small ring (struct srv) and every worker installs it into its own TLS configuration
 * from its tick, where no handshake is inside a tls_* call. The reset key does not rotate:
 * the tokens of the CIDs in use were sent with the old one.
 */
#include <string.h>
#include <time.h>

#include <crypto/crypto.h>
#include <quic/error.h>

#include "srv.h"

int
srv_keys_derive(const struct quic_token_keyset *ks, const char *label, uint8_t *out, size_t len)
{
	const struct quic_token_key *k = quic_token_keyset_key(ks, quic_token_keyset_count(ks) - 1);
	uint8_t ikm[1 + QUIC_TOKEN_KEY_LEN + QUIC_TOKEN_IV_LEN], prk[CRYPTO_MAX_SECRET_LEN];
	struct crypto_ctx *ctx = NULL;
	int rc;

	if (crypto_ctx_new(&ctx, CRYPTO_ENGINE_AUTO) != 0)
		return QUIC_ERR_CRYPTO;
	ikm[0] = k->seq;
	memcpy(ikm + 1, k->key, QUIC_TOKEN_KEY_LEN);
	memcpy(ikm + 1 + QUIC_TOKEN_KEY_LEN, k->iv, QUIC_TOKEN_IV_LEN);
	/* HKDF (RFC 5869) with the label as salt: one key per purpose from one secret. */
	rc = crypto_hkdf_extract(ctx, CRYPTO_HASH_SHA256, (const uint8_t *)label, strlen(label),
				 ikm, sizeof(ikm), prk);
	if (rc == 0)
		rc = crypto_hkdf_expand(ctx, CRYPTO_HASH_SHA256, prk, 32, (const uint8_t *)"key", 3,
					out, len);
	crypto_wipe(ikm, sizeof(ikm));
	crypto_wipe(prk, sizeof(prk));
	crypto_ctx_free(ctx);
	return rc == 0 ? 0 : QUIC_ERR_CRYPTO;
}

int
srv_ticket_key_publish(struct srv *s, const struct quic_token_keyset *ks)
{
	uint8_t key[TLS_TICKET_KEY_LEN];
	uint64_t w;
	uint32_t next = s->ticket_gen + 1; /* the control thread is the only writer */
	unsigned i;

	if (srv_keys_derive(ks, "hayabusa tls ticket key v1", key, sizeof(key)) != 0)
		return QUIC_ERR_CRYPTO;
	for (i = 0; i < TLS_TICKET_KEY_LEN / 8; i++) {
		memcpy(&w, key + 8 * i, 8);
		/* Relaxed: ordered before the readers by the release store of ticket_gen below. */
		__atomic_store_n(&s->ticket_key[next % SRV_TICKET_SLOTS][i], w, __ATOMIC_RELAXED);
	}
	crypto_wipe(key, sizeof(key));
	/* Release pairs with the acquire load in srv_ticket_keys_sync(). */
	__atomic_store_n(&s->ticket_gen, next, __ATOMIC_RELEASE);
	return 0;
}

/* Copy the key of generation g; false when the control thread may have overwritten it. */
static bool
ticket_key_read(struct srv *s, uint32_t g, uint8_t key[TLS_TICKET_KEY_LEN])
{
	uint64_t w;
	unsigned i;

	for (i = 0; i < TLS_TICKET_KEY_LEN / 8; i++) {
		w = __atomic_load_n(&s->ticket_key[g % SRV_TICKET_SLOTS][i], __ATOMIC_RELAXED);
		memcpy(key + 8 * i, &w, 8);
	}
	/* The slot of g is written again only for g + SRV_TICKET_SLOTS, after the control thread
	 * published g + SRV_TICKET_SLOTS - 1: a later generation below that means the copy is
	 * whole. The fence orders the copy before this check. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->ticket_gen, __ATOMIC_RELAXED) - g <= SRV_TICKET_SLOTS - 2;
}

void
srv_ticket_keys_sync(struct srv *s, struct tls_server_config *cfg, uint32_t *seen)
{
	uint8_t key[TLS_TICKET_KEY_LEN];
	/* Acquire pairs with the release store in srv_ticket_key_publish(). */
	uint32_t gen = __atomic_load_n(&s->ticket_gen, __ATOMIC_ACQUIRE), g;

	while (*seen != gen) {
		g = *seen + 1;
		/* Fallen behind by a whole ring (SIGHUPs in a burst): only the newest count. */
		if (gen - g > SRV_TICKET_SLOTS - 2)
			g = gen - (SRV_TICKET_SLOTS - 2);
		if (!ticket_key_read(s, g, key))
			break; /* overtaken while copying: the next tick starts over */
		tls_server_config_rotate_ticket_key(cfg, key);
		*seen = g;
	}
	crypto_wipe(key, sizeof(key));
}

uint64_t
srv_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
wall_issue(void *arg, enum quic_token_kind kind, const struct quic_addr *peer, const uint8_t *odcid,
	   size_t odcid_len, uint64_t now_ns, uint8_t *out, size_t cap)
{
	struct srv_wall_tokens *w = arg;
	uint64_t n;
	int rc;

	(void)now_ns;
	rc = w->inner->issue(w->inner->arg, kind, peer, odcid, odcid_len, w->clock(), out, cap);
	if (rc > 0 && kind == QUIC_TOKEN_NEW_TOKEN && w->new_tokens != NULL) {
		/* Single writer: relaxed, pairs with the relaxed loads of the stats reader. */
		n = __atomic_load_n(w->new_tokens, __ATOMIC_RELAXED);
		__atomic_store_n(w->new_tokens, n + 1, __ATOMIC_RELAXED);
	}
	return rc;
}

static int
wall_validate(void *arg, const uint8_t *token, size_t len, const struct quic_addr *peer,
	      uint64_t now_ns, struct quic_token_info *info)
{
	struct srv_wall_tokens *w = arg;

	(void)now_ns;
	return w->inner->validate(w->inner->arg, token, len, peer, w->clock(), info);
}

void
srv_wall_tokens_init(struct srv_wall_tokens *w, const struct quic_token_ops *inner,
		     uint64_t (*clock)(void), uint64_t *new_tokens)
{
	w->inner = inner;
	w->clock = clock;
	w->new_tokens = new_tokens;
	w->ops.issue = wall_issue;
	w->ops.validate = wall_validate;
	w->ops.arg = w;
}
