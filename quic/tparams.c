/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport parameter codec (RFC 9000 §18). A table maps each known ID to the kind of its value
 * (integer with bounds, connection ID, reset token, empty flag, preferred_address,
 * version_information), and one decoder, size function, writer and comparison per kind does
 * the work, so adding a parameter is one table line.
 */
#include <stddef.h>
#include <string.h>

#include <quic/error.h>
#include <quic/tparams.h>

#define LEN_BAD SIZE_MAX

struct tp_desc;

struct tp_kind {
	/* Decode a value from r (exactly the value's bytes; the caller checks all are used). */
	bool (*decode)(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
		       enum quic_tp_sender sender);
	/* Encoded value length, or LEN_BAD when the value cannot be sent. */
	size_t (*len)(const struct quic_tparams *tp, const struct tp_desc *d,
		      enum quic_tp_sender sender);
	void (*write)(struct crypto_wr *w, const struct quic_tparams *tp,
		      const struct tp_desc *d);
	bool (*equal)(const struct quic_tparams *a, const struct quic_tparams *b,
		      const struct tp_desc *d);
};

struct tp_desc {
	const struct tp_kind *kind;
	bool server_only;
	size_t off; /* offset of the field, for integer and CID kinds */
	uint64_t min, max, dflt;
};

/* ---- integers ---- */

static uint64_t *
int_field(struct quic_tparams *tp, const struct tp_desc *d)
{
	return (uint64_t *)((uint8_t *)tp + d->off);
}

static uint64_t
int_value(const struct quic_tparams *tp, const struct tp_desc *d)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)tp + d->off, sizeof(v));
	return v;
}

static bool
decode_int(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
	   enum quic_tp_sender sender)
{
	uint64_t v;

	(void)sender;
	/* The caller rejects a varint shorter than the declared length (bytes left over). */
	if (!quic_get_varint(r, &v) || v < d->min || v > d->max)
		return false;
	*int_field(tp, d) = v;
	return true;
}

static size_t
len_int(const struct quic_tparams *tp, const struct tp_desc *d, enum quic_tp_sender sender)
{
	uint64_t v = int_value(tp, d);

	(void)sender;
	if (v < d->min || v > d->max)
		return LEN_BAD;
	return quic_varint_len(v);
}

static void
write_int(struct crypto_wr *w, const struct quic_tparams *tp, const struct tp_desc *d)
{
	quic_put_varint(w, int_value(tp, d));
}

static bool
equal_int(const struct quic_tparams *a, const struct quic_tparams *b, const struct tp_desc *d)
{
	return int_value(a, d) == int_value(b, d);
}

/* ---- connection IDs ---- */

static struct quic_tp_cid *
cid_field(struct quic_tparams *tp, const struct tp_desc *d)
{
	return (struct quic_tp_cid *)((uint8_t *)tp + d->off);
}

static const struct quic_tp_cid *
cid_value(const struct quic_tparams *tp, const struct tp_desc *d)
{
	return (const struct quic_tp_cid *)((const uint8_t *)tp + d->off);
}

static bool
decode_cid(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
	   enum quic_tp_sender sender)
{
	struct quic_tp_cid *cid = cid_field(tp, d);
	size_t n = crypto_rd_left(r);

	(void)sender;
	if (n > QUIC_TP_CID_MAX)
		return false;
	cid->len = (uint8_t)n;
	return quic_get_copy(r, cid->id, n);
}

static size_t
len_cid(const struct quic_tparams *tp, const struct tp_desc *d, enum quic_tp_sender sender)
{
	const struct quic_tp_cid *cid = cid_value(tp, d);

	(void)sender;
	return cid->len > QUIC_TP_CID_MAX ? LEN_BAD : cid->len;
}

static void
write_cid(struct crypto_wr *w, const struct quic_tparams *tp, const struct tp_desc *d)
{
	const struct quic_tp_cid *cid = cid_value(tp, d);

	crypto_put_bytes(w, cid->id, cid->len);
}

static bool
cid_equal(const struct quic_tp_cid *a, const struct quic_tp_cid *b)
{
	return a->len == b->len && a->len <= QUIC_TP_CID_MAX && memcmp(a->id, b->id, a->len) == 0;
}

static bool
equal_cid(const struct quic_tparams *a, const struct quic_tparams *b, const struct tp_desc *d)
{
	return cid_equal(cid_value(a, d), cid_value(b, d));
}

/* ---- stateless_reset_token: 16 bytes ---- */

static bool
decode_token(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
	     enum quic_tp_sender sender)
{
	(void)d;
	(void)sender;
	return crypto_rd_left(r) == QUIC_TP_RESET_TOKEN_LEN &&
	       quic_get_copy(r, tp->stateless_reset_token, QUIC_TP_RESET_TOKEN_LEN);
}

static size_t
len_token(const struct quic_tparams *tp, const struct tp_desc *d, enum quic_tp_sender sender)
{
	(void)tp;
	(void)d;
	(void)sender;
	return QUIC_TP_RESET_TOKEN_LEN;
}

static void
write_token(struct crypto_wr *w, const struct quic_tparams *tp, const struct tp_desc *d)
{
	(void)d;
	crypto_put_bytes(w, tp->stateless_reset_token, QUIC_TP_RESET_TOKEN_LEN);
}

static bool
equal_token(const struct quic_tparams *a, const struct quic_tparams *b, const struct tp_desc *d)
{
	(void)d;
	return memcmp(a->stateless_reset_token, b->stateless_reset_token,
		      QUIC_TP_RESET_TOKEN_LEN) == 0;
}

/* ---- disable_active_migration: zero-length value ---- */

static bool
decode_flag(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
	    enum quic_tp_sender sender)
{
	(void)tp;
	(void)d;
	(void)sender;
	return crypto_rd_left(r) == 0;
}

static size_t
len_flag(const struct quic_tparams *tp, const struct tp_desc *d, enum quic_tp_sender sender)
{
	(void)tp;
	(void)d;
	(void)sender;
	return 0;
}

static void
write_flag(struct crypto_wr *w, const struct quic_tparams *tp, const struct tp_desc *d)
{
	(void)w;
	(void)tp;
	(void)d;
}

static bool
equal_flag(const struct quic_tparams *a, const struct quic_tparams *b, const struct tp_desc *d)
{
	(void)a;
	(void)b;
	(void)d;
	return true;
}

/* ---- preferred_address (§18.2, Figure 22) ---- */

#define PREF_ADDR_FIXED (4 + 2 + 16 + 2 + 1 + QUIC_TP_RESET_TOKEN_LEN)

static bool
decode_pref_addr(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
		 enum quic_tp_sender sender)
{
	struct quic_tp_preferred_address *pa = &tp->preferred_address;

	(void)d;
	(void)sender;
	quic_get_copy(r, pa->ipv4, sizeof(pa->ipv4));
	crypto_get_u16(r, &pa->ipv4_port);
	quic_get_copy(r, pa->ipv6, sizeof(pa->ipv6));
	crypto_get_u16(r, &pa->ipv6_port);
	if (!crypto_get_u8(r, &pa->cid.len))
		return false;
	/* §18.2: a zero-length connection ID here is a TRANSPORT_PARAMETER_ERROR. */
	if (pa->cid.len == 0 || pa->cid.len > QUIC_TP_CID_MAX)
		return false;
	quic_get_copy(r, pa->cid.id, pa->cid.len);
	return quic_get_copy(r, pa->reset_token, sizeof(pa->reset_token));
}

static size_t
len_pref_addr(const struct quic_tparams *tp, const struct tp_desc *d, enum quic_tp_sender sender)
{
	const struct quic_tp_preferred_address *pa = &tp->preferred_address;

	(void)d;
	(void)sender;
	if (pa->cid.len == 0 || pa->cid.len > QUIC_TP_CID_MAX)
		return LEN_BAD;
	return PREF_ADDR_FIXED + pa->cid.len;
}

static void
write_pref_addr(struct crypto_wr *w, const struct quic_tparams *tp, const struct tp_desc *d)
{
	const struct quic_tp_preferred_address *pa = &tp->preferred_address;

	(void)d;
	crypto_put_bytes(w, pa->ipv4, sizeof(pa->ipv4));
	crypto_put_u16(w, pa->ipv4_port);
	crypto_put_bytes(w, pa->ipv6, sizeof(pa->ipv6));
	crypto_put_u16(w, pa->ipv6_port);
	crypto_put_u8(w, pa->cid.len);
	crypto_put_bytes(w, pa->cid.id, pa->cid.len);
	crypto_put_bytes(w, pa->reset_token, sizeof(pa->reset_token));
}

static bool
equal_pref_addr(const struct quic_tparams *a, const struct quic_tparams *b, const struct tp_desc *d)
{
	const struct quic_tp_preferred_address *x = &a->preferred_address;
	const struct quic_tp_preferred_address *y = &b->preferred_address;

	(void)d;
	return memcmp(x->ipv4, y->ipv4, sizeof(x->ipv4)) == 0 && x->ipv4_port == y->ipv4_port &&
	       memcmp(x->ipv6, y->ipv6, sizeof(x->ipv6)) == 0 && x->ipv6_port == y->ipv6_port &&
	       cid_equal(&x->cid, &y->cid) &&
	       memcmp(x->reset_token, y->reset_token, sizeof(x->reset_token)) == 0;
}

/* ---- version_information (RFC 9368 §3, §4) ---- */

static bool
decode_version_info(struct quic_tparams *tp, const struct tp_desc *d, struct crypto_rd *r,
		    enum quic_tp_sender sender)
{
	struct quic_tp_version_info *vi = &tp->version_info;
	bool chosen_listed = false;
	uint32_t v;

	(void)d;
	/* RFC 9368 §4: too short, a length not a multiple of 4, or a zero version fail parsing. */
	if (crypto_rd_left(r) % 4 != 0 || !crypto_get_u32(r, &vi->chosen) || vi->chosen == 0)
		return false;
	vi->n_available = 0;
	vi->n_skipped = 0;
	while (crypto_rd_left(r) > 0) {
		if (!crypto_get_u32(r, &v) || v == 0)
			return false;
		chosen_listed |= v == vi->chosen;
		if (vi->n_available < QUIC_TP_MAX_VERSIONS)
			vi->available[vi->n_available++] = v;
		else
			vi->n_skipped++;
	}
	/* RFC 9368 §4: a client's Chosen Version must be among its Available Versions. */
	return sender == QUIC_TP_FROM_SERVER || chosen_listed;
}

static size_t
len_version_info(const struct quic_tparams *tp, const struct tp_desc *d, enum quic_tp_sender sender)
{
	const struct quic_tp_version_info *vi = &tp->version_info;
	bool chosen_listed = false;
	size_t i;

	(void)d;
	if (vi->chosen == 0 || vi->n_available > QUIC_TP_MAX_VERSIONS)
		return LEN_BAD;
	for (i = 0; i < vi->n_available; i++) {
		if (vi->available[i] == 0)
			return LEN_BAD;
		chosen_listed |= vi->available[i] == vi->chosen;
	}
	if (sender == QUIC_TP_FROM_CLIENT && !chosen_listed)
		return LEN_BAD;
	return 4 + 4 * vi->n_available;
}

static void
write_version_info(struct crypto_wr *w, const struct quic_tparams *tp, const struct tp_desc *d)
{
	const struct quic_tp_version_info *vi = &tp->version_info;
	size_t i;

	(void)d;
	crypto_put_u32(w, vi->chosen);
	for (i = 0; i < vi->n_available; i++)
		crypto_put_u32(w, vi->available[i]);
}

static bool
equal_version_info(const struct quic_tparams *a, const struct quic_tparams *b,
		   const struct tp_desc *d)
{
	const struct quic_tp_version_info *x = &a->version_info, *y = &b->version_info;

	(void)d;
	return x->chosen == y->chosen && x->n_available == y->n_available &&
	       x->n_available <= QUIC_TP_MAX_VERSIONS &&
	       memcmp(x->available, y->available, x->n_available * sizeof(x->available[0])) == 0;
}

/* ---- the table ---- */

#define KIND(name)                                                                                 \
	static const struct tp_kind kind_##name = {decode_##name, len_##name, write_##name,        \
						   equal_##name}

KIND(int);
KIND(cid);
KIND(token);
KIND(flag);
KIND(pref_addr);
KIND(version_info);

#define OFF(field) offsetof(struct quic_tparams, field)
#define INT(field, lo, hi, def)                                                                    \
	{                                                                                          \
		&kind_int, false, OFF(field), (lo), (hi), (def)                                    \
	}
#define ANY QUIC_VARINT_MAX

/* RFC 9000 §18.2 bounds and defaults; RFC 9221 §3 for max_datagram_frame_size. */
static const struct tp_desc tp_descs[QUIC_TP_MAX_DATAGRAM_FRAME_SIZE + 1] = {
	[QUIC_TP_ORIGINAL_DCID] = {&kind_cid, true, OFF(original_dcid)},
	[QUIC_TP_MAX_IDLE_TIMEOUT] = INT(max_idle_timeout, 0, ANY, 0),
	[QUIC_TP_STATELESS_RESET_TOKEN] = {&kind_token, true},
	[QUIC_TP_MAX_UDP_PAYLOAD_SIZE] =
		INT(max_udp_payload_size, 1200, ANY, QUIC_TP_DEFAULT_MAX_UDP_PAYLOAD_SIZE),
	[QUIC_TP_INITIAL_MAX_DATA] = INT(initial_max_data, 0, ANY, 0),
	[QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_LOCAL] =
		INT(initial_max_stream_data_bidi_local, 0, ANY, 0),
	[QUIC_TP_INITIAL_MAX_STREAM_DATA_BIDI_REMOTE] =
		INT(initial_max_stream_data_bidi_remote, 0, ANY, 0),
	[QUIC_TP_INITIAL_MAX_STREAM_DATA_UNI] = INT(initial_max_stream_data_uni, 0, ANY, 0),
	[QUIC_TP_INITIAL_MAX_STREAMS_BIDI] = INT(initial_max_streams_bidi, 0, UINT64_C(1) << 60, 0),
	[QUIC_TP_INITIAL_MAX_STREAMS_UNI] = INT(initial_max_streams_uni, 0, UINT64_C(1) << 60, 0),
	[QUIC_TP_ACK_DELAY_EXPONENT] =
		INT(ack_delay_exponent, 0, 20, QUIC_TP_DEFAULT_ACK_DELAY_EXPONENT),
	[QUIC_TP_MAX_ACK_DELAY] =
		INT(max_ack_delay, 0, (1u << 14) - 1, QUIC_TP_DEFAULT_MAX_ACK_DELAY),
	[QUIC_TP_DISABLE_ACTIVE_MIGRATION] = {&kind_flag, false},
	[QUIC_TP_PREFERRED_ADDRESS] = {&kind_pref_addr, true},
	[QUIC_TP_ACTIVE_CONNECTION_ID_LIMIT] =
		INT(active_connection_id_limit, 2, ANY, QUIC_TP_DEFAULT_ACTIVE_CONNECTION_ID_LIMIT),
	[QUIC_TP_INITIAL_SCID] = {&kind_cid, false, OFF(initial_scid)},
	[QUIC_TP_RETRY_SCID] = {&kind_cid, true, OFF(retry_scid)},
	[QUIC_TP_VERSION_INFORMATION] = {&kind_version_info, false},
	[QUIC_TP_MAX_DATAGRAM_FRAME_SIZE] = INT(max_datagram_frame_size, 0, ANY, 0),
};

#define TP_IDS (sizeof(tp_descs) / sizeof(tp_descs[0]))

static const struct tp_desc *
desc_of(uint64_t id)
{
	if (id >= TP_IDS || tp_descs[id].kind == NULL)
		return NULL;
	return &tp_descs[id];
}

/* ---- API ---- */

void
quic_tparams_init_default(struct quic_tparams *tp)
{
	size_t id;

	memset(tp, 0, sizeof(*tp));
	for (id = 0; id < TP_IDS; id++) {
		if (tp_descs[id].kind == &kind_int)
			*int_field(tp, &tp_descs[id]) = tp_descs[id].dflt;
	}
}

int
quic_tparams_set_int(struct quic_tparams *tp, enum quic_tp_id id, uint64_t v)
{
	const struct tp_desc *d = desc_of(id);

	if (d != NULL && d->kind == &kind_flag) {
		tp->present |= QUIC_TP_BIT(id);
		return 0;
	}
	if (d == NULL || d->kind != &kind_int || v < d->min || v > d->max)
		return QUIC_ERR_INVAL;
	*int_field(tp, d) = v;
	tp->present |= QUIC_TP_BIT(id);
	return 0;
}

int
quic_tparams_set_cid(struct quic_tparams *tp, enum quic_tp_id id, const uint8_t *cid, size_t len)
{
	const struct tp_desc *d = desc_of(id);
	struct quic_tp_cid *dst;

	if (d == NULL || d->kind != &kind_cid || len > QUIC_TP_CID_MAX || (cid == NULL && len))
		return QUIC_ERR_INVAL;
	dst = cid_field(tp, d);
	dst->len = (uint8_t)len;
	if (len > 0)
		memcpy(dst->id, cid, len);
	tp->present |= QUIC_TP_BIT(id);
	return 0;
}

/* Write one present parameter: ID, length, value. */
static int
encode_one(struct crypto_wr *w, const struct quic_tparams *tp, size_t id,
	   enum quic_tp_sender sender)
{
	const struct tp_desc *d = &tp_descs[id];
	size_t n = d->kind->len(tp, d, sender);

	if (n == LEN_BAD)
		return QUIC_ERR_INVAL;
	quic_put_varint(w, id);
	quic_put_varint(w, n);
	d->kind->write(w, tp, d);
	return w->err ? QUIC_ERR_BUFFER : 0;
}

int
quic_tparams_encode(struct crypto_wr *w, const struct quic_tparams *tp,
		    enum quic_tp_sender sender)
{
	struct crypto_wr saved = *w;
	size_t id;
	int err;

	for (id = 0; id < TP_IDS; id++) {
		if (tp_descs[id].kind == NULL || !(tp->present & QUIC_TP_BIT(id)))
			continue;
		/* §18.2: a client never sends a server-only parameter. */
		if (tp_descs[id].server_only && sender == QUIC_TP_FROM_CLIENT)
			continue;
		err = encode_one(w, tp, id, sender);
		if (err != 0) {
			*w = saved;
			return err;
		}
	}
	return 0;
}

/* Decode one parameter's value; unknown IDs are ignored (§7.4.2). */
static int
decode_one(struct quic_tparams *tp, uint64_t id, const uint8_t *val, size_t len,
	   enum quic_tp_sender sender)
{
	const struct tp_desc *d = desc_of(id);
	struct crypto_rd r;

	if (d == NULL)
		return 0;
	/* §7.4: duplicates; §18.2: server-only parameters from a client. */
	if ((tp->present & QUIC_TP_BIT(id)) || (d->server_only && sender == QUIC_TP_FROM_CLIENT))
		return QUIC_ERR_TRANSPORT_PARAM;
	crypto_rd_init(&r, val, len);
	/* The value must fill its declared length exactly. */
	if (!d->kind->decode(tp, d, &r, sender) || r.err || crypto_rd_left(&r) != 0)
		return QUIC_ERR_TRANSPORT_PARAM;
	tp->present |= QUIC_TP_BIT(id);
	return 0;
}

int
quic_tparams_decode(struct quic_tparams *tp, const uint8_t *buf, size_t len,
		    enum quic_tp_sender sender)
{
	struct crypto_rd r;
	const uint8_t *val;
	uint64_t id, n;
	int err;

	quic_tparams_init_default(tp);
	if (len == 0)
		return 0;
	crypto_rd_init(&r, buf, len);
	/* Each parameter takes two bytes or more, so the loop is bounded by len. */
	while (crypto_rd_left(&r) > 0) {
		if (!quic_get_varint(&r, &id) || !quic_get_varint(&r, &n) ||
		    n > crypto_rd_left(&r) || !crypto_get_bytes(&r, (size_t)n, &val))
			return QUIC_ERR_TRANSPORT_PARAM;
		err = decode_one(tp, id, val, (size_t)n, sender);
		if (err != 0)
			return err;
	}
	return 0;
}

int
quic_tparams_check_required(const struct quic_tparams *tp, enum quic_tp_sender sender)
{
	if (!quic_tparams_has(tp, QUIC_TP_INITIAL_SCID))
		return QUIC_ERR_TRANSPORT_PARAM;
	if (sender == QUIC_TP_FROM_SERVER && !quic_tparams_has(tp, QUIC_TP_ORIGINAL_DCID))
		return QUIC_ERR_TRANSPORT_PARAM;
	return 0;
}

bool
quic_tparams_equal(const struct quic_tparams *a, const struct quic_tparams *b)
{
	size_t id;

	if (a->present != b->present)
		return false;
	for (id = 0; id < TP_IDS; id++) {
		const struct tp_desc *d = &tp_descs[id];

		if (d->kind == NULL)
			continue;
		/* Absent integers hold their defaults, so they compare too. */
		if ((d->kind == &kind_int || (a->present & QUIC_TP_BIT(id))) &&
		    !d->kind->equal(a, b, d))
			return false;
	}
	return true;
}
