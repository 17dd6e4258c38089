/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/3 frame codec (RFC 9114 §7): frame headers, SETTINGS, the one-varint frames (GOAWAY,
 * MAX_PUSH_ID, CANCEL_PUSH), and the mapping of quic/h3's internal errors to the application
 * error codes of RFC 9114 §8.1 and RFC 9204 §6.
 */
#include <stdlib.h>

#include <quic/error.h>
#include <quic/h3.h>

uint64_t
quic_h3_err_to_app(int err)
{
	switch (err) {
	case QUIC_H3_ERR_FRAME:
		return QUIC_H3_FRAME_ERROR;
	case QUIC_H3_ERR_FRAME_UNEXPECTED:
		return QUIC_H3_FRAME_UNEXPECTED;
	case QUIC_H3_ERR_SETTINGS:
		return QUIC_H3_SETTINGS_ERROR;
	case QUIC_H3_ERR_MISSING_SETTINGS:
		return QUIC_H3_MISSING_SETTINGS;
	case QUIC_H3_ERR_STREAM_CREATION:
		return QUIC_H3_STREAM_CREATION_ERROR;
	case QUIC_H3_ERR_CLOSED_CRITICAL:
		return QUIC_H3_CLOSED_CRITICAL_STREAM;
	case QUIC_H3_ERR_ID:
		return QUIC_H3_ID_ERROR;
	case QUIC_H3_ERR_EXCESSIVE_LOAD:
		return QUIC_H3_EXCESSIVE_LOAD;
	case QUIC_H3_ERR_MESSAGE:
		return QUIC_H3_MESSAGE_ERROR;
	case QUIC_H3_ERR_QPACK_DECOMPRESSION:
		return QUIC_QPACK_DECOMPRESSION_FAILED;
	case QUIC_H3_ERR_QPACK_ENCODER_STREAM:
		return QUIC_QPACK_ENCODER_STREAM_ERROR;
	case QUIC_H3_ERR_QPACK_DECODER_STREAM:
		return QUIC_QPACK_DECODER_STREAM_ERROR;
	default:
		return QUIC_H3_INTERNAL_ERROR;
	}
}

const char *
quic_h3_strerror(int err)
{
	static const char *const names[] = {
		"frame error",
		"frame unexpected",
		"settings error",
		"missing settings",
		"stream creation error",
		"closed critical stream",
		"id error",
		"excessive load",
		"internal error",
		"message error",
		"QPACK decompression failed",
		"QPACK encoder stream error",
		"QPACK decoder stream error",
		"field section too large",
		"path refused",
	};
	int i = QUIC_H3_ERR_FRAME - err;

	if (i < 0 || i >= (int)(sizeof(names) / sizeof(names[0])))
		return quic_strerror(err);
	return names[i];
}

void
quic_h3_settings_init(struct quic_h3_settings *s)
{
	s->qpack_max_table_capacity = 0;
	s->qpack_blocked_streams = 0;
	s->max_field_section_size = UINT64_MAX;
	s->present = 0;
}

int
quic_h3_frame_header_decode(const uint8_t *buf, size_t len, uint64_t *type, uint64_t *length)
{
	struct crypto_rd r;

	crypto_rd_init(&r, buf, len);
	if (!quic_get_varint(&r, type) || !quic_get_varint(&r, length))
		return QUIC_ERR_TRUNCATED;
	return (int)(len - crypto_rd_left(&r));
}

int
quic_h3_frame_header_put(struct crypto_wr *w, uint64_t type, uint64_t length)
{
	if (type > QUIC_VARINT_MAX || length > QUIC_VARINT_MAX)
		return QUIC_ERR_INVAL;
	quic_put_varint(w, type);
	quic_put_varint(w, length);
	return w->err ? QUIC_ERR_BUFFER : 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Record one known setting. */
static void
settings_set(struct quic_h3_settings *s, uint64_t id, uint64_t value)
{
	switch (id) {
	case QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY:
		s->qpack_max_table_capacity = value;
		break;
	case QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE:
		s->max_field_section_size = value;
		break;
	case QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS:
		s->qpack_blocked_streams = value;
		break;
	default:
		return;
	}
	s->present |= UINT32_C(1) << id;
}

int
quic_h3_settings_decode(const uint8_t *payload, size_t len, struct quic_h3_settings *s)
{
	/* Each setting takes at least 2 bytes: this holds every identifier of a payload. */
	uint64_t ids[QUIC_H3_MAX_SETTINGS_PAYLOAD / 2];
	struct crypto_rd r;
	size_t n = 0;

	quic_h3_settings_init(s);
	if (len > QUIC_H3_MAX_SETTINGS_PAYLOAD)
		return QUIC_H3_ERR_EXCESSIVE_LOAD;
	crypto_rd_init(&r, payload, len);
	while (crypto_rd_left(&r) > 0) {
		uint64_t id, value;

		/* §7.1: a payload that ends inside its fields is H3_FRAME_ERROR. */
		if (!quic_get_varint(&r, &id) || !quic_get_varint(&r, &value))
			return QUIC_H3_ERR_FRAME;
		/* §7.2.4.1: identifiers of HTTP/2 settings with no HTTP/3 meaning. */
		if (id >= 0x02 && id <= 0x05)
			return QUIC_H3_ERR_SETTINGS;
		ids[n++] = id;
		settings_set(s, id, value);
	}
	/* §7.2.4: the same identifier twice, known or not, is H3_SETTINGS_ERROR. */
	qsort(ids, n, sizeof(ids[0]), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			return QUIC_H3_ERR_SETTINGS;
	return 0;
}

/* Encoded size of one setting. */
static size_t
setting_len(uint64_t id, uint64_t value)
{
	return quic_varint_len(id) + quic_varint_len(value);
}

int
quic_h3_settings_put(struct crypto_wr *w, const struct quic_h3_settings *s, uint64_t grease_id)
{
	static const uint64_t ids[] = {QUIC_H3_SETTING_QPACK_MAX_TABLE_CAPACITY,
				       QUIC_H3_SETTING_MAX_FIELD_SECTION_SIZE,
				       QUIC_H3_SETTING_QPACK_BLOCKED_STREAMS};
	const uint64_t values[] = {s->qpack_max_table_capacity, s->max_field_section_size,
				   s->qpack_blocked_streams};
	size_t len = 0;
	int rc;

	if (grease_id != 0 && !quic_h3_is_reserved(grease_id))
		return QUIC_ERR_INVAL;
	for (size_t i = 0; i < 3; i++) {
		if (!(s->present & (UINT32_C(1) << ids[i])))
			continue;
		if (values[i] > QUIC_VARINT_MAX)
			return QUIC_ERR_INVAL;
		len += setting_len(ids[i], values[i]);
	}
	if (grease_id != 0)
		len += setting_len(grease_id, 0);
	rc = quic_h3_frame_header_put(w, QUIC_H3_FRAME_SETTINGS, len);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if (!(s->present & (UINT32_C(1) << ids[i])))
			continue;
		quic_put_varint(w, ids[i]);
		quic_put_varint(w, values[i]);
	}
	if (grease_id != 0) {
		quic_put_varint(w, grease_id);
		quic_put_varint(w, 0);
	}
	return w->err ? QUIC_ERR_BUFFER : 0;
}

int
quic_h3_varint_frame_decode(const uint8_t *payload, size_t len, uint64_t *v)
{
	int n = quic_varint_decode(payload, len, v);

	/* §7.1: exactly the identified fields, no fewer bytes and no more. */
	if (n < 0 || (size_t)n != len)
		return QUIC_H3_ERR_FRAME;
	return 0;
}

int
quic_h3_varint_frame_put(struct crypto_wr *w, uint64_t type, uint64_t v)
{
	size_t n = quic_varint_len(v);
	int rc;

	if (n == 0)
		return QUIC_ERR_INVAL;
	rc = quic_h3_frame_header_put(w, type, n);
	if (rc != 0)
		return rc;
	return quic_put_varint(w, v) ? 0 : QUIC_ERR_BUFFER;
}
