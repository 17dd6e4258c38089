/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for address-validation tokens, the stateless validator and the key file
 * parser. Byte 0 (mod 3) picks what the rest of the input is:
 *   0: a token for quic_token_open(), expected kind from byte 1;
 *   1: one UDP datagram for quic_validator_burst(), Retry policy from byte 1;
 *   2: key file text for quic_token_keyfile_parse().
 * One worker's state (fixed keys, fixed client address, fixed clock, replayable randomness)
 * is built on the first call and kept, so valid tokens in the seeds reach every check after
 * the tag. Results must be consistent: a status in range, a validated accept only with a
 * valid token, responses inside the buffer and smaller than the datagram they answer (no
 * amplification, RFC 9000 §8.1), 1..4 keys in a parsed set. A violation aborts.
 *
 * The seed corpus in corpus/token/ comes from the generator at the end of this file:
 *   cc -std=c11 -D_GNU_SOURCE -DHB_FUZZ_TOKEN_SEEDS -Iquic/include -Icrypto/include \
 *      tests/fuzz/fuzz_token.c BUILD/quic/libhb_quic.a BUILD/crypto/libhb_crypto.a \
 *      -lcrypto -lIPSec_MB -o gen && ./gen tests/fuzz/corpus/token
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <crypto/crypto.h>
#include <quic/error.h>
#include <quic/token.h>
#include <quic/validator.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW_NS (UINT64_C(1700000000) * UINT64_C(1000000000))

static const char fuzz_keys[] = "126 000102030405060708090a0b0c0d0e0f 101112131415161718191a1b\n"
				"127 202122232425262728292a2b2c2d2e2f 303132333435363738393a3b\n";
static const struct quic_addr fuzz_peer = {QUIC_AF_INET, 4433, {198, 18, 0, 1}};
static const uint8_t fuzz_dcid[16] = {0xd0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

struct fuzz_state {
	struct crypto_ctx *ctx;
	struct quic_token_domain *d;
	struct quic_token_worker *tw;
	struct quic_validator *v[3]; /* by policy */
	uint64_t seed;
	struct crypto_rand rand;
	uint8_t resp[QUIC_VALIDATOR_RESP_MAX];
};

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static int
fuzz_rand(void *arg, uint8_t *buf, size_t len)
{
	uint64_t *s = arg;

	for (size_t i = 0; i < len; i++) {
		*s ^= *s << 13;
		*s ^= *s >> 7;
		*s ^= *s << 17;
		buf[i] = (uint8_t)*s;
	}
	return 0;
}

static struct fuzz_state *
fuzz_state(void)
{
	static struct fuzz_state st;
	static bool ready;
	struct quic_validator_config vc;
	struct quic_token_config tc;
	struct quic_token_keyset *ks = NULL;

	if (ready)
		return &st;
	st.seed = 0x9e3779b97f4a7c15u;
	st.rand.fn = fuzz_rand;
	st.rand.arg = &st.seed;
	quic_token_config_default(&tc);
	tc.worker_id = 1;
	check(crypto_ctx_new(&st.ctx, CRYPTO_ENGINE_AUTO) == 0);
	check(quic_token_domain_new(&st.d, 1) == 0);
	check(quic_token_keyfile_parse(&ks, fuzz_keys, strlen(fuzz_keys), NULL) == 0);
	check(quic_token_domain_publish(st.d, ks) == 0);
	check(quic_token_worker_new(&st.tw, st.d, 0, &tc, st.ctx, &st.rand) == 0);
	quic_validator_config_default(&vc);
	for (int p = 0; p < 3; p++) {
		vc.policy = (enum quic_retry_policy)p;
		check(quic_validator_new(&st.v[p], &vc, st.tw, st.ctx, &st.rand) == 0);
	}
	ready = true;
	return &st;
}

static void
fuzz_open(struct fuzz_state *st, uint8_t sel, const uint8_t *tok, size_t len)
{
	enum quic_token_kind kind = (sel & 1) ? QUIC_TOKEN_NEW_TOKEN : QUIC_TOKEN_RETRY;
	struct quic_token_info info;
	enum quic_token_status s;

	quic_token_worker_enter(st->tw);
	s = quic_token_open(st->tw, kind, tok, len, &fuzz_peer, fuzz_dcid, sizeof(fuzz_dcid),
			    FUZZ_NOW_NS, &info);
	quic_token_worker_exit(st->tw);
	check((unsigned)s < QUIC_TOKEN_STATUS_COUNT);
	if (s != QUIC_TOKEN_OK)
		return;
	check(len >= QUIC_TOKEN_NEW_MIN_LEN && len <= QUIC_TOKEN_OPEN_MAX);
	check(info.kind == kind);
	if (kind == QUIC_TOKEN_RETRY)
		check(info.odcid.len >= 8 && info.odcid.len <= QUIC_CID_LEN_MAX);
}

static void
fuzz_datagram(struct fuzz_state *st, uint8_t sel, const uint8_t *dg, size_t len)
{
	struct quic_dgram d = {dg, len, fuzz_peer};
	struct quic_validator_load load = {(uint64_t)sel << 3, 0};
	struct quic_vresult r;
	size_t sent;

	sent = quic_validator_burst(st->v[sel % 3], &d, 1, &load, FUZZ_NOW_NS, st->resp,
				    sizeof(st->resp), &r);
	check(r.action <= QUIC_VA_SEND_CLOSE);
	check(sent == (r.action >= QUIC_VA_SEND_VN ? 1u : 0u));
	check((r.action == QUIC_VA_DROP) == (r.drop != QUIC_VDROP_NONE));
	check((unsigned)r.drop < QUIC_VDROP_COUNT);
	if (r.validated)
		check(r.action == QUIC_VA_ACCEPT && r.has_token && r.token == QUIC_TOKEN_OK);
	if (r.has_token)
		check(r.token_ptr >= dg && r.token_len <= len &&
		      (size_t)(r.token_ptr - dg) <= len - r.token_len);
	/* A Retry sits after its pseudo-packet prefix (RFC 9001 §5.8: ODCID length, ODCID). */
	if (sent == 1)
		check(r.resp_off <= (r.action == QUIC_VA_SEND_RETRY ? 1 + QUIC_CID_LEN_MAX : 0) &&
		      r.resp_len > 0 && r.resp_off + r.resp_len <= sizeof(st->resp) &&
		      r.resp_len < len);
}

static void
fuzz_keyfile(const uint8_t *text, size_t len)
{
	struct quic_token_keyset *ks = NULL;
	struct quic_keyfile_error e;
	int rc = quic_token_keyfile_parse(&ks, (const char *)text, len, &e);

	if (rc != 0) {
		check(rc == QUIC_ERR_MALFORMED && ks == NULL && e.line >= 1);
		return;
	}
	check(quic_token_keyset_count(ks) >= 1 &&
	      quic_token_keyset_count(ks) <= QUIC_TOKEN_MAX_KEYS);
	quic_token_keyset_free(ks);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state *st;

	if (size < 2)
		return 0;
	st = fuzz_state();
	switch (data[0] % 3) {
	case 0:
		fuzz_open(st, data[1], data + 2, size - 2);
		break;
	case 1:
		fuzz_datagram(st, data[1], data + 2, size - 2);
		break;
	default:
		fuzz_keyfile(data + 1, size - 1);
		break;
	}
	return 0;
}

#ifdef HB_FUZZ_TOKEN_SEEDS
/* Seed generator: valid tokens, datagrams for each branch of the validator, key files. */
#include <stdio.h>

#include <quic/packet.h>

static void
put_seed(const char *dir, const char *name, uint8_t mode, uint8_t sel, const uint8_t *b, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	check(f != NULL && fputc(mode, f) != EOF && (mode == 2 || fputc(sel, f) != EOF) &&
	      fwrite(b, 1, len, f) == len && fclose(f) == 0);
}

static size_t
gen_initial(uint8_t *buf, uint32_t version, const uint8_t *dcid, size_t dcid_len,
	    const uint8_t *token, size_t token_len, size_t total)
{
	static const uint8_t scid[5] = {0xf0, 0x67, 0xa5, 0x50, 0x2a};
	struct quic_packet_out p = {
		.type = QUIC_PKT_INITIAL,
		.version = version,
		.dcid = dcid,
		.dcid_len = dcid_len,
		.scid = scid,
		.scid_len = sizeof(scid),
		.token = token,
		.token_len = token_len,
		.pn_len = 4,
	};
	struct quic_packet_layout lay;
	struct crypto_aead_op op;
	size_t len;

	check(quic_packet_write_header(buf, total, &p, &lay) == 0);
	memset(buf + lay.hdr_len, 0x5c, total - lay.hdr_len);
	check(quic_packet_seal_prepare(buf, total, &lay, total - lay.hdr_len - 16, NULL, &op,
				       &len) == 0);
	return len;
}

static void
gen_tokens(struct fuzz_state *st, const char *dir, uint8_t *rt, size_t *rt_len, uint8_t *nt,
	   size_t *nt_len)
{
	quic_token_worker_enter(st->tw);
	check(quic_token_seal_retry(st->tw, &fuzz_peer, fuzz_dcid, 8, fuzz_dcid, sizeof(fuzz_dcid),
				    FUZZ_NOW_NS, rt, QUIC_TOKEN_BUF_LEN, rt_len) == 0);
	check(quic_token_seal_new_token(st->tw, &fuzz_peer, FUZZ_NOW_NS, nt, QUIC_TOKEN_BUF_LEN,
					nt_len) == 0);
	quic_token_worker_exit(st->tw);
	put_seed(dir, "token_retry", 0, 0, rt, *rt_len);
	put_seed(dir, "token_new", 0, 1, nt, *nt_len);
}

int
main(int argc, char **argv)
{
	uint8_t rt[QUIC_TOKEN_BUF_LEN], nt[QUIC_TOKEN_BUF_LEN], b[1400];
	struct fuzz_state *st;
	size_t rt_len, nt_len, n;

	if (argc != 2)
		return 2;
	st = fuzz_state();
	gen_tokens(st, argv[1], rt, &rt_len, nt, &nt_len);
	n = gen_initial(b, QUIC_VERSION_1, fuzz_dcid, 8, NULL, 0, 1200);
	put_seed(argv[1], "dgram_v1_no_token", 1, 1, b, n);
	n = gen_initial(b, QUIC_VERSION_2, fuzz_dcid, 12, NULL, 0, 1200);
	put_seed(argv[1], "dgram_v2_no_token", 1, 1, b, n);
	n = gen_initial(b, QUIC_VERSION_1, fuzz_dcid, sizeof(fuzz_dcid), rt, rt_len, 1250);
	put_seed(argv[1], "dgram_retry_token", 1, 1, b, n);
	/* Another NEW_TOKEN token: the one above is used up by its own seed (replay set). */
	quic_token_worker_enter(st->tw);
	check(quic_token_seal_new_token(st->tw, &fuzz_peer, FUZZ_NOW_NS, nt, sizeof(nt), &nt_len) ==
	      0);
	quic_token_worker_exit(st->tw);
	n = gen_initial(b, QUIC_VERSION_1, fuzz_dcid, 8, nt, nt_len, 1300);
	put_seed(argv[1], "dgram_new_token", 1, 0, b, n);
	memcpy(b + 1, "\x1a\x2a\x3a\x4a", 4);
	put_seed(argv[1], "dgram_unknown_version", 1, 0, b, n);
	memset(b, 0x41, 40);
	put_seed(argv[1], "dgram_short", 1, 0, b, 40);
	put_seed(argv[1], "keyfile", 2, 0, (const uint8_t *)fuzz_keys, strlen(fuzz_keys));
	return 0;
}
#endif /* HB_FUZZ_TOKEN_SEEDS */
