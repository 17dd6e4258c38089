/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS 1.3 handshake message codecs (RFC 9846 §4, §13.3) and the bounds-checked cursors they
 * read and write through. Decoders borrow the message: the structures they fill point into it.
 * Every length is checked against its vector's bounds and the enclosing vector; a decoder
 * that returns 0 has consumed its input exactly.
 */
#include <string.h>

#include "tls_int.h"

/* SHA-256("HelloRetryRequest"), RFC 9846 §4.2.3. */
const uint8_t tls_hrr_random[TLS_RANDOM_LEN] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ---- Reader ---- */

bool
tls_get_vec(struct crypto_rd *r, size_t n, size_t min, size_t max, struct crypto_rd *sub)
{
	const uint8_t *p = crypto_rd_take(r, n);
	size_t len = 0, i;

	sub->p = sub->end = NULL;
	sub->err = true;
	if (p == NULL)
		return false;
	for (i = 0; i < n; i++)
		len = (len << 8) | p[i];
	if (len < min || len > max) {
		r->err = true;
		return false;
	}
	p = crypto_rd_take(r, len);
	if (p == NULL)
		return false;
	crypto_rd_init(sub, p, len);
	return true;
}

/* ---- Writer ---- */

size_t
tls_wr_open(struct crypto_wr *w, size_t n)
{
	size_t off = crypto_wr_len(w);

	crypto_wr_room(w, n);
	return off;
}

void
tls_wr_close(struct crypto_wr *w, size_t off, size_t n)
{
	size_t body;

	if (w->err)
		return;
	body = crypto_wr_len(w) - off - n;
	/* A body too long for its prefix is a bug in the caller's bound, caught here. */
	if (n < 4 && body >= ((size_t)1 << (8 * n))) {
		w->err = true;
		return;
	}
	crypto_store_be(w->start + off, (uint32_t)body, n);
}

bool
tls_put_vec(struct crypto_wr *w, size_t n, const void *src, size_t len)
{
	size_t off = tls_wr_open(w, n);

	crypto_put_bytes(w, src, len);
	tls_wr_close(w, off, n);
	return !w->err;
}

/* ---- Lists ---- */

bool
tls_list_has_u16(struct crypto_rd list, uint16_t v)
{
	uint16_t x;

	while (crypto_get_u16(&list, &x))
		if (x == v)
			return true;
	return false;
}

/* A u16 list body: non-empty, even length. */
static bool
u16_list_ok(const struct crypto_rd *l)
{
	size_t n = crypto_rd_left(l);

	return !l->err && n >= 2 && n % 2 == 0;
}

/* ---- Extension blocks ---- */

static uint32_t
ext_bit(uint16_t type)
{
	switch (type) {
	case TLS_EXT_SERVER_NAME:
		return TLS_SEEN_SERVER_NAME;
	case TLS_EXT_SUPPORTED_GROUPS:
		return TLS_SEEN_GROUPS;
	case TLS_EXT_SIGNATURE_ALGORITHMS:
		return TLS_SEEN_SIGALGS;
	case TLS_EXT_ALPN:
		return TLS_SEEN_ALPN;
	case TLS_EXT_PRE_SHARED_KEY:
		return TLS_SEEN_PSK;
	case TLS_EXT_EARLY_DATA:
		return TLS_SEEN_EARLY_DATA;
	case TLS_EXT_SUPPORTED_VERSIONS:
		return TLS_SEEN_VERSIONS;
	case TLS_EXT_COOKIE:
		return TLS_SEEN_COOKIE;
	case TLS_EXT_PSK_KEY_EXCHANGE_MODES:
		return TLS_SEEN_PSK_MODES;
	case TLS_EXT_SIGNATURE_ALGORITHMS_CERT:
		return TLS_SEEN_SIGALGS_CERT;
	case TLS_EXT_KEY_SHARE:
		return TLS_SEEN_KEY_SHARE;
	case TLS_EXT_QUIC_TRANSPORT_PARAMETERS:
		return TLS_SEEN_TPARAMS;
	default:
		return 0;
	}
}

/* Handler for one extension: data is its body; last says it closes the block. */
typedef int (*ext_fn)(void *obj, uint16_t type, struct crypto_rd *data, bool last);

/*
 * Walk an extension block, rejecting any type that appears twice (RFC 9846 §4.3:
 * illegal_parameter) with a bitmap over the whole 16-bit space, so unknown types are covered
 * too at a fixed cost. Each known extension's body must be consumed exactly (decode_error).
 */
static int
walk_exts(struct crypto_rd exts, ext_fn fn, void *obj, uint32_t *seen)
{
	uint8_t dup[65536 / 8];
	int rc;

	memset(dup, 0, sizeof(dup));
	*seen = 0;
	while (crypto_rd_left(&exts) > 0) {
		struct crypto_rd data;
		uint16_t type;

		if (!crypto_get_u16(&exts, &type) || !tls_get_vec(&exts, 2, 0, 65535, &data))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
		if (dup[type >> 3] & (1u << (type & 7)))
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		dup[type >> 3] |= (uint8_t)(1u << (type & 7));
		*seen |= ext_bit(type);
		rc = fn(obj, type, &data, crypto_rd_left(&exts) == 0);
		if (rc != 0)
			return rc;
		if (ext_bit(type) != 0 && !crypto_rd_done(&data))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	}
	return exts.err ? TLS_FAIL(TLS_ALERT_DECODE_ERROR) : 0;
}

/* ---- ClientHello ---- */

/* server_name (RFC 6066 §3): keep the first host_name; other name types are skipped. */
static void
ch_server_name(struct tls_ch *ch, struct crypto_rd *d)
{
	struct crypto_rd list, name;

	if (!tls_get_vec(d, 2, 1, 65535, &list))
		return;
	while (crypto_rd_left(&list) > 0) {
		uint8_t type;

		if (!crypto_get_u8(&list, &type) || !tls_get_vec(&list, 2, 1, 65535, &name)) {
			d->err = true;
			return;
		}
		if (type == 0 && ch->host == NULL) {
			ch->host = name.p;
			ch->host_len = crypto_rd_left(&name);
		}
	}
}

/* Validate a protocol_name_list body (RFC 7301 §3.1): entries of 1..255 bytes. */
static bool
alpn_list_ok(struct crypto_rd l)
{
	struct crypto_rd e;

	if (crypto_rd_left(&l) < 2)
		return false;
	while (crypto_rd_left(&l) > 0)
		if (!tls_get_vec(&l, 1, 1, 255, &e))
			return false;
	return true;
}

static bool
shares_ok(struct crypto_rd l)
{
	struct crypto_rd key;
	uint16_t g;

	while (crypto_rd_left(&l) > 0)
		if (!crypto_get_u16(&l, &g) || !tls_get_vec(&l, 2, 1, 65535, &key))
			return false;
	return !l.err;
}

/* pre_shared_key (RFC 9846 §4.3.11): as many binders as identities, each 32..255 bytes. */
static int
ch_psk(struct tls_ch *ch, struct crypto_rd *d)
{
	struct crypto_rd ids, binders, x;
	size_t n_ids = 0, n_binders = 0;
	uint32_t age;

	if (!tls_get_vec(d, 2, 7, 65535, &ids))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	ch->identities = ids;
	if (!tls_get_vec(d, 2, 33, 65535, &binders))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	while (crypto_rd_left(&ids) > 0) {
		if (!tls_get_vec(&ids, 2, 1, 65535, &x) || !crypto_get_u32(&ids, &age))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
		n_ids++;
	}
	ch->binders = binders;
	while (crypto_rd_left(&binders) > 0) {
		if (!tls_get_vec(&binders, 1, 32, 255, &x))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
		n_binders++;
	}
	if (ids.err || binders.err)
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	if (n_ids != n_binders)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	return 0;
}

static void
ch_versions(struct tls_ch *ch, struct crypto_rd *d)
{
	struct crypto_rd l;

	if (!tls_get_vec(d, 1, 2, 254, &l) || crypto_rd_left(&l) % 2 != 0) {
		d->err = true;
		return;
	}
	ch->tls13 = tls_list_has_u16(l, TLS_VERSION_13);
}

static void
ch_psk_modes(struct tls_ch *ch, struct crypto_rd *d)
{
	struct crypto_rd l;
	uint8_t m;

	if (!tls_get_vec(d, 1, 1, 255, &l))
		return;
	while (crypto_get_u8(&l, &m))
		if (m < 8)
			ch->psk_modes |= (uint8_t)(1u << m);
}

/* A u16-list extension (supported_groups, signature_algorithms[_cert]). */
static void
ch_u16_list(struct crypto_rd *d, struct crypto_rd *out)
{
	struct crypto_rd l;

	if (!tls_get_vec(d, 2, 2, 65534, &l) || !u16_list_ok(&l)) {
		d->err = true;
		return;
	}
	if (out != NULL)
		*out = l;
}

static int
ch_ext(void *obj, uint16_t type, struct crypto_rd *d, bool last)
{
	struct tls_ch *ch = obj;
	struct crypto_rd l;

	switch (type) {
	case TLS_EXT_SERVER_NAME:
		ch_server_name(ch, d);
		break;
	case TLS_EXT_SUPPORTED_GROUPS:
		ch_u16_list(d, &ch->groups);
		break;
	case TLS_EXT_SIGNATURE_ALGORITHMS:
		ch_u16_list(d, &ch->sigalgs);
		break;
	case TLS_EXT_SIGNATURE_ALGORITHMS_CERT:
		ch_u16_list(d, NULL);
		break;
	case TLS_EXT_ALPN:
		if (tls_get_vec(d, 2, 2, 65535, &l) && alpn_list_ok(l))
			ch->alpn = l;
		else
			d->err = true;
		break;
	case TLS_EXT_PRE_SHARED_KEY:
		/* It must close the block (RFC 9846 §4.3.11). */
		if (!last)
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		return ch_psk(ch, d);
	case TLS_EXT_EARLY_DATA:
		break;
	case TLS_EXT_SUPPORTED_VERSIONS:
		ch_versions(ch, d);
		break;
	case TLS_EXT_COOKIE:
		if (tls_get_vec(d, 2, 1, 65535, &l)) {
			ch->cookie = l.p;
			ch->cookie_len = crypto_rd_left(&l);
		}
		break;
	case TLS_EXT_PSK_KEY_EXCHANGE_MODES:
		ch_psk_modes(ch, d);
		break;
	case TLS_EXT_KEY_SHARE:
		if (tls_get_vec(d, 2, 0, 65535, &l) && shares_ok(l))
			ch->shares = l;
		else
			d->err = true;
		break;
	case TLS_EXT_QUIC_TRANSPORT_PARAMETERS:
		ch->tparams = d->p;
		ch->tparams_len = crypto_rd_left(d);
		d->p = d->end;
		break;
	default:
		break; /* unknown extensions are ignored (RFC 9846 §4.2.2) */
	}
	return 0;
}

int
tls_ch_decode(struct tls_ch *ch, const uint8_t *msg, size_t msg_len)
{
	struct crypto_rd r, sid, comp, exts;
	uint16_t version = 0;
	uint8_t method = 0;
	int rc;

	memset(ch, 0, sizeof(*ch));
	if (msg_len < TLS_HS_HDR_LEN)
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	crypto_rd_init(&r, msg + TLS_HS_HDR_LEN, msg_len - TLS_HS_HDR_LEN);
	crypto_get_u16(&r, &version);
	crypto_get_bytes(&r, TLS_RANDOM_LEN, &ch->random);
	tls_get_vec(&r, 1, 0, 32, &sid);
	tls_get_vec(&r, 2, 2, 65534, &ch->suites);
	tls_get_vec(&r, 1, 1, 255, &comp);
	if (r.err || crypto_rd_left(&ch->suites) % 2 != 0)
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	ch->session_id_len = crypto_rd_left(&sid);
	/* No extension block at all is a TLS 1.2-or-older client (RFC 9846 §4.2.2). */
	if (crypto_rd_left(&r) == 0)
		return TLS_FAIL(TLS_ALERT_PROTOCOL_VERSION);
	if (!tls_get_vec(&r, 2, 0, 65535, &exts) || !crypto_rd_done(&r))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	/* legacy_compression_methods must be exactly {null} in TLS 1.3 (RFC 9846 §4.2.2). */
	if (crypto_rd_left(&comp) != 1 || !crypto_get_u8(&comp, &method) || method != 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	rc = walk_exts(exts, ch_ext, ch, &ch->seen);
	if (rc != 0)
		return rc;
	/* The binders vector (with its 2-byte length) ends the message; what precedes it is the
	 * truncated ClientHello that binders cover (RFC 9846 §4.3.11.2). */
	if (ch->seen & TLS_SEEN_PSK)
		ch->binders_off = (size_t)(ch->binders.p - msg) - 2;
	return 0;
}

int
tls_ch_find_share(const struct tls_ch *ch, uint16_t group, const uint8_t **pub, size_t *len)
{
	struct crypto_rd l = ch->shares, key;
	uint16_t g;

	while (crypto_rd_left(&l) > 0) {
		if (!crypto_get_u16(&l, &g) || !tls_get_vec(&l, 2, 1, 65535, &key))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
		if (g == group) {
			*pub = key.p;
			*len = crypto_rd_left(&key);
			return 0;
		}
	}
	return 1;
}

/* ---- ServerHello / HelloRetryRequest ---- */

static int
sh_ext(void *obj, uint16_t type, struct crypto_rd *d, bool last)
{
	struct tls_sh *sh = obj;
	struct crypto_rd l;

	(void)last;
	switch (type) {
	case TLS_EXT_SUPPORTED_VERSIONS:
		crypto_get_u16(d, &sh->version);
		break;
	case TLS_EXT_KEY_SHARE:
		crypto_get_u16(d, &sh->group);
		if (!sh->hrr && tls_get_vec(d, 2, 1, 65535, &l)) {
			sh->share = l.p;
			sh->share_len = crypto_rd_left(&l);
		}
		break;
	case TLS_EXT_PRE_SHARED_KEY:
		if (sh->hrr)
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		crypto_get_u16(d, &sh->psk_identity);
		break;
	case TLS_EXT_COOKIE:
		if (!sh->hrr)
			return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
		if (tls_get_vec(d, 2, 1, 65535, &l)) {
			sh->cookie = l.p;
			sh->cookie_len = crypto_rd_left(&l);
		}
		break;
	default:
		/* Known but not allowed here: illegal_parameter; never requested: RFC 9846 §4.3. */
		return ext_bit(type) != 0 ? TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)
					  : TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION);
	}
	return 0;
}

int
tls_sh_decode(struct tls_sh *sh, const uint8_t *body, size_t len)
{
	struct crypto_rd r, sid, exts;
	uint16_t version = 0;
	uint8_t comp = 0;

	memset(sh, 0, sizeof(*sh));
	crypto_rd_init(&r, body, len);
	crypto_get_u16(&r, &version);
	crypto_get_bytes(&r, TLS_RANDOM_LEN, &sh->random);
	tls_get_vec(&r, 1, 0, 32, &sid);
	crypto_get_u16(&r, &sh->suite);
	crypto_get_u8(&r, &comp);
	if (r.err)
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	if (crypto_rd_left(&r) == 0)
		return TLS_FAIL(TLS_ALERT_PROTOCOL_VERSION);
	if (!tls_get_vec(&r, 2, 0, 65535, &exts) || !crypto_rd_done(&r))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	sh->session_id_len = crypto_rd_left(&sid);
	sh->hrr = memcmp(sh->random, tls_hrr_random, TLS_RANDOM_LEN) == 0;
	if (comp != 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	return walk_exts(exts, sh_ext, sh, &sh->seen);
}

/* ---- EncryptedExtensions ---- */

static int
ee_ext(void *obj, uint16_t type, struct crypto_rd *d, bool last)
{
	struct tls_ee *ee = obj;
	struct crypto_rd l, p;

	(void)last;
	switch (type) {
	case TLS_EXT_SERVER_NAME:
	case TLS_EXT_EARLY_DATA:
		break; /* both empty here */
	case TLS_EXT_SUPPORTED_GROUPS:
		ch_u16_list(d, NULL);
		break;
	case TLS_EXT_ALPN:
		/* Exactly one protocol in the server's reply (RFC 7301 §3.1). */
		if (tls_get_vec(d, 2, 2, 65535, &l) && tls_get_vec(&l, 1, 1, 255, &p) &&
		    crypto_rd_done(&l)) {
			ee->alpn = p.p;
			ee->alpn_len = crypto_rd_left(&p);
		} else {
			d->err = true;
		}
		break;
	case TLS_EXT_QUIC_TRANSPORT_PARAMETERS:
		ee->tparams = d->p;
		ee->tparams_len = crypto_rd_left(d);
		d->p = d->end;
		break;
	default:
		return ext_bit(type) != 0 ? TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER)
					  : TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION);
	}
	return 0;
}

int
tls_ee_decode(struct tls_ee *ee, const uint8_t *body, size_t len)
{
	struct crypto_rd r, exts;

	memset(ee, 0, sizeof(*ee));
	crypto_rd_init(&r, body, len);
	if (!tls_get_vec(&r, 2, 0, 65535, &exts) || !crypto_rd_done(&r))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	return walk_exts(exts, ee_ext, ee, &ee->seen);
}

/* ---- Certificate, CertificateVerify ---- */

int
tls_cert_decode(struct tls_certmsg *cm, const uint8_t *body, size_t len)
{
	struct crypto_rd r, ctx, list, der, exts;

	memset(cm, 0, sizeof(*cm));
	crypto_rd_init(&r, body, len);
	tls_get_vec(&r, 1, 0, 255, &ctx);
	if (!tls_get_vec(&r, 3, 0, 0xffffff, &list) || !crypto_rd_done(&r))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	while (crypto_rd_left(&list) > 0) {
		if (!tls_get_vec(&list, 3, 1, 0xffffff, &der) ||
		    !tls_get_vec(&list, 2, 0, 65535, &exts))
			return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
		if (cm->n == TLS_MAX_CHAIN)
			return TLS_FAIL(TLS_ALERT_BAD_CERTIFICATE);
		/* We request neither OCSP nor SCT, so any entry extension is unsolicited. */
		if (crypto_rd_left(&exts) > 0)
			return TLS_FAIL(TLS_ALERT_UNSUPPORTED_EXTENSION);
		cm->der[cm->n] = der.p;
		cm->der_len[cm->n] = crypto_rd_left(&der);
		cm->n++;
	}
	/* A server certificate answers no CertificateRequest: its context is empty. */
	if (crypto_rd_left(&ctx) != 0)
		return TLS_FAIL(TLS_ALERT_ILLEGAL_PARAMETER);
	/* An empty server Certificate message: decode_error (RFC 9846 §4.5.1.3). */
	if (cm->n == 0)
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	return 0;
}

int
tls_cv_decode(uint16_t *scheme, const uint8_t **sig, size_t *sig_len, const uint8_t *body,
	      size_t len)
{
	struct crypto_rd r, s;

	crypto_rd_init(&r, body, len);
	crypto_get_u16(&r, scheme);
	if (!tls_get_vec(&r, 2, 1, 65535, &s) || !crypto_rd_done(&r))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	*sig = s.p;
	*sig_len = crypto_rd_left(&s);
	return 0;
}

/* ---- NewSessionTicket ---- */

static int
nst_ext(void *obj, uint16_t type, struct crypto_rd *d, bool last)
{
	struct tls_nst *nst = obj;

	(void)last;
	if (type == TLS_EXT_EARLY_DATA) {
		nst->early_data = true;
		crypto_get_u32(d, &nst->max_early_data);
	} else {
		/* Clients ignore the rest here (RFC 9846 §4.7.1); skip the body. */
		d->p = d->end;
	}
	return 0;
}

int
tls_nst_decode(struct tls_nst *nst, const uint8_t *body, size_t len)
{
	struct crypto_rd r, nonce, ticket, exts;
	uint32_t seen;

	memset(nst, 0, sizeof(*nst));
	crypto_rd_init(&r, body, len);
	crypto_get_u32(&r, &nst->lifetime);
	crypto_get_u32(&r, &nst->age_add);
	tls_get_vec(&r, 1, 0, 255, &nonce);
	tls_get_vec(&r, 2, 1, 65535, &ticket);
	if (!tls_get_vec(&r, 2, 0, 65534, &exts) || !crypto_rd_done(&r))
		return TLS_FAIL(TLS_ALERT_DECODE_ERROR);
	nst->nonce = nonce.p;
	nst->nonce_len = crypto_rd_left(&nonce);
	nst->ticket = ticket.p;
	nst->ticket_len = crypto_rd_left(&ticket);
	return walk_exts(exts, nst_ext, nst, &seen);
}
