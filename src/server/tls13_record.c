/* tls13_record.c - the TLS 1.3 record layer after OpenSSL's handshake (see
 * tls13_record.h). RFC 8446 sections 5 (records), 6 (alerts), 4.6.3
 * (KeyUpdate) and 7.1-7.3 (HKDF-Expand-Label, traffic keys). */
#include "tls13_record.h"

#include <errno.h>
#include <glib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>
#include <sys/socket.h>

#define HEADER 5
#define MAX_PLAIN 16384                 /* 2^14: content of one record */
#define MAX_CIPHER (MAX_PLAIN + 256)    /* 2^14 + 256: TLSCiphertext.length */
#define TAG 16
#define IV_LEN 12
#define RECORD_MAX (HEADER + MAX_CIPHER)
#define WRITE_RECORDS 4                 /* records sealed per write call */
#define MAX_UPDATES_IN_A_ROW 32         /* KeyUpdates with no data between them */

enum content_type { CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPLICATION = 23 };
enum { HS_KEY_UPDATE = 24 };
enum {
	ALERT_CLOSE_NOTIFY = 0,
	ALERT_UNEXPECTED_MESSAGE = 10,
	ALERT_BAD_RECORD_MAC = 20,
	ALERT_RECORD_OVERFLOW = 22,
	ALERT_DECODE_ERROR = 50,
	ALERT_ILLEGAL_PARAMETER = 47,
	ALERT_INTERNAL_ERROR = 80,
};

struct direction {
	EVP_CIPHER_CTX *ctx; /* keyed; the nonce is set per record */
	uint64_t seq;
	unsigned char secret[TLS13_MAX_SECRET];
	unsigned char iv[IV_LEN];
};

struct tls13_record {
	struct direction rd, wr;
	const EVP_CIPHER *cipher;
	const char *digest; /* "SHA256" or "SHA384" */
	const char *error;  /* reason of the last EPROTO */
	/* Bytes read from the socket and not yet decrypted (a partial record,
	 * or whole ones not yet wanted): NULL while there are none. */
	unsigned char *raw;
	/* Decrypted application bytes not yet returned. */
	unsigned char *plain;
	/* Sealed bytes the socket did not take yet, and how many of the
	 * caller's bytes they carry (returned once they are all sent). */
	unsigned char *out;
	uint32_t raw_len, plain_off, plain_len, out_off, out_len, out_plain;
	int fd;
	uint8_t key_len, secret_len;
	uint8_t updates_in_a_row; /* each costs two key derivations: bounded */
	bool update_due : 1; /* the peer asked for our KeyUpdate */
	bool closed : 1;     /* close_notify received */
	bool failed : 1;     /* fatal error: nothing more is sent */
};

/* Both scratch buffers serve every connection: the server has one thread
 * of connections, and nothing stays in them between calls. */
static unsigned char read_scratch[2 * RECORD_MAX];
static unsigned char write_scratch[WRITE_RECORDS * (HEADER + MAX_PLAIN + 1 + TAG) + 64];

/* Records sent under one key before a KeyUpdate of our own (tests lower it). */
uint64_t tls13_record_update_after = UINT64_C(1) << 23;

static EVP_CIPHER *ciphers[3];
static EVP_KDF *hkdf;

bool tls13_record_suite_supported(uint16_t suite)
{
	return suite >= 0x1301 && suite <= 0x1303;
}

/* --- keys ------------------------------------------------------------------ */

/* HKDF-Expand-Label(Secret, Label, "", Length) of RFC 8446 7.1. */
static bool expand_label(const struct tls13_record *r, const unsigned char *secret,
			 const char *label, unsigned char *out, size_t out_len)
{
	unsigned char info[2 + 1 + 255 + 1];
	size_t label_len = 6 + strlen(label);
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	EVP_KDF_CTX *kctx;
	bool ok;

	info[0] = (unsigned char)(out_len >> 8);
	info[1] = (unsigned char)out_len;
	info[2] = (unsigned char)label_len;
	memcpy(info + 3, "tls13 ", 6);
	memcpy(info + 9, label, label_len - 6);
	info[3 + label_len] = 0; /* empty context */
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)r->digest, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret,
						  r->secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 4 + label_len),
		OSSL_PARAM_construct_end(),
	};
	if (hkdf == NULL && (hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return false;
	kctx = EVP_KDF_CTX_new(hkdf);
	ok = kctx != NULL && EVP_KDF_derive(kctx, out, out_len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok;
}

/* Keys @d from its traffic secret (RFC 8446 7.3); the sequence restarts. */
static bool set_keys(struct tls13_record *r, struct direction *d, bool encrypt)
{
	unsigned char key[32];
	bool ok;

	ok = expand_label(r, d->secret, "key", key, r->key_len) &&
	     expand_label(r, d->secret, "iv", d->iv, IV_LEN) &&
	     (d->ctx != NULL || (d->ctx = EVP_CIPHER_CTX_new()) != NULL) &&
	     EVP_CipherInit_ex(d->ctx, r->cipher, NULL, key, NULL, encrypt ? 1 : 0) == 1;
	OPENSSL_cleanse(key, sizeof(key));
	d->seq = 0;
	return ok;
}

/* The next traffic secret (RFC 8446 7.2), after a KeyUpdate. */
static bool update_keys(struct tls13_record *r, struct direction *d, bool encrypt)
{
	unsigned char next[TLS13_MAX_SECRET];
	bool ok = expand_label(r, d->secret, "traffic upd", next, r->secret_len);

	if (ok)
		memcpy(d->secret, next, r->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	return ok && set_keys(r, d, encrypt);
}

struct tls13_record *tls13_record_new(uint16_t suite, int fd, const unsigned char *client_secret,
				      const unsigned char *server_secret, size_t secret_len)
{
	static const char *const names[3] = { "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305" };
	struct tls13_record *r;
	unsigned i;

	if (!tls13_record_suite_supported(suite))
		return NULL;
	i = suite - 0x1301u;
	if (secret_len != (i == 1 ? 48u : 32u))
		return NULL;
	if (ciphers[i] == NULL && (ciphers[i] = EVP_CIPHER_fetch(NULL, names[i], NULL)) == NULL)
		return NULL;
	r = g_new0(struct tls13_record, 1);
	r->fd = fd;
	r->cipher = ciphers[i];
	r->digest = i == 1 ? "SHA384" : "SHA256";
	r->key_len = i == 0 ? 16 : 32;
	r->secret_len = (uint8_t)secret_len;
	memcpy(r->rd.secret, client_secret, secret_len);
	memcpy(r->wr.secret, server_secret, secret_len);
	if (!set_keys(r, &r->rd, false) || !set_keys(r, &r->wr, true)) {
		tls13_record_free(r);
		return NULL;
	}
	return r;
}

void tls13_record_free(struct tls13_record *r)
{
	if (r == NULL)
		return;
	EVP_CIPHER_CTX_free(r->rd.ctx);
	EVP_CIPHER_CTX_free(r->wr.ctx);
	g_free(r->raw);
	if (r->plain != NULL)
		OPENSSL_cleanse(r->plain, r->plain_len);
	g_free(r->plain);
	g_free(r->out);
	OPENSSL_cleanse(r, sizeof(*r));
	g_free(r);
}

const char *tls13_record_error(const struct tls13_record *r)
{
	return r->error != NULL ? r->error : "TLS error";
}

/* --- sealing and opening one record -------------------------------------- */

static void nonce_for(const struct direction *d, unsigned char nonce[IV_LEN])
{
	memcpy(nonce, d->iv, IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[IV_LEN - 1 - i] ^= (unsigned char)(d->seq >> (8 * i));
}

/* Writes one record of @type carrying @n bytes of @in to @out (which may
 * not overlap @in); returns its length, 0 on failure. */
static size_t seal(struct tls13_record *r, unsigned char type, const void *in, size_t n,
		   unsigned char *out)
{
	struct direction *d = &r->wr;
	unsigned char nonce[IV_LEN];
	size_t body = n + 1 + TAG;
	int len;

	if (d->seq == UINT64_MAX)
		return 0;
	out[0] = CT_APPLICATION; /* opaque_type */
	out[1] = 0x03;           /* legacy_record_version 0x0303 */
	out[2] = 0x03;
	out[3] = (unsigned char)(body >> 8);
	out[4] = (unsigned char)body;
	memcpy(out + HEADER, in, n);
	out[HEADER + n] = type; /* TLSInnerPlaintext.type, no padding */
	nonce_for(d, nonce);
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
	    EVP_CipherUpdate(d->ctx, NULL, &len, out, HEADER) != 1 ||
	    EVP_CipherUpdate(d->ctx, out + HEADER, &len, out + HEADER, (int)n + 1) != 1 ||
	    EVP_CipherFinal_ex(d->ctx, out + HEADER + n + 1, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_GET_TAG, TAG, out + HEADER + n + 1) != 1)
		return 0;
	d->seq++;
	return HEADER + body;
}

/* Checks and decrypts the record at @rec (whole: header and @body_len
 * bytes) in place. Sets *@type and *@content_len; returns 0, or the alert
 * to send with r->error set. */
static int open_record(struct tls13_record *r, unsigned char *rec, size_t body_len,
		       unsigned char *type, size_t *content_len)
{
	struct direction *d = &r->rd;
	unsigned char nonce[IV_LEN];
	unsigned char *body = rec + HEADER;
	size_t n;
	int len;

	if (rec[0] != CT_APPLICATION) {
		/* change_cipher_spec is only allowed during the handshake, and
		 * every other record after it is protected. */
		r->error = "unexpected record type after the handshake";
		return ALERT_UNEXPECTED_MESSAGE;
	}
	if (body_len < 1 + TAG) {
		r->error = "record too short";
		return ALERT_DECODE_ERROR;
	}
	if (d->seq == UINT64_MAX) {
		r->error = "record sequence number exhausted";
		return ALERT_INTERNAL_ERROR;
	}
	n = body_len - TAG;
	if (n > MAX_PLAIN + 1) { /* TLSInnerPlaintext: at most 2^14 + 1 (RFC 8446 5.4) */
		r->error = "record overflow";
		return ALERT_RECORD_OVERFLOW;
	}
	nonce_for(d, nonce);
	if (EVP_CipherInit_ex(d->ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
	    EVP_CipherUpdate(d->ctx, NULL, &len, rec, HEADER) != 1 ||
	    EVP_CipherUpdate(d->ctx, body, &len, body, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->ctx, EVP_CTRL_AEAD_SET_TAG, TAG, body + n) != 1 ||
	    EVP_CipherFinal_ex(d->ctx, body + n, &len) != 1) {
		OPENSSL_cleanse(body, n);
		r->error = "bad record MAC";
		return ALERT_BAD_RECORD_MAC;
	}
	d->seq++;
	while (n > 0 && body[n - 1] == 0) /* padding */
		n--;
	if (n == 0) {
		r->error = "record without a content type";
		return ALERT_UNEXPECTED_MESSAGE;
	}
	*type = body[n - 1];
	*content_len = n - 1;
	return 0;
}

/* --- sending ------------------------------------------------------------- */

/* Sends what the socket takes of @buf; the rest goes to r->out. False on a
 * socket error (errno set). */
static bool send_or_keep(struct tls13_record *r, const unsigned char *buf, size_t len,
			 size_t plain)
{
	ssize_t n;

	do
		n = send(r->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		r->failed = true;
		return false;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n < len) {
		r->out = g_memdup2(buf + n, len - (size_t)n);
		r->out_off = 0;
		r->out_len = (uint32_t)(len - (size_t)n);
		r->out_plain = (uint32_t)plain;
	}
	return true;
}

/* Sends what is left in r->out. True when it is all gone. */
static bool flush_out(struct tls13_record *r)
{
	while (r->out_off < r->out_len) {
		ssize_t n = send(r->fd, r->out + r->out_off, r->out_len - r->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				r->failed = true;
			return false;
		}
		r->out_off += (uint32_t)n;
	}
	g_clear_pointer(&r->out, g_free);
	r->out_off = r->out_len = 0;
	return true;
}

/* A fatal alert, best effort (never when a record is half sent). */
static void send_alert(struct tls13_record *r, unsigned char level, unsigned char desc)
{
	unsigned char alert[2] = { level, desc };
	unsigned char rec[HEADER + sizeof(alert) + 1 + TAG];
	size_t len;

	if (r->failed || r->out != NULL)
		return;
	len = seal(r, CT_ALERT, alert, sizeof(alert), rec);
	if (len > 0)
		(void)send(r->fd, rec, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t fail(struct tls13_record *r, int alert)
{
	send_alert(r, 2, (unsigned char)alert);
	r->failed = true;
	errno = EPROTO;
	return -1;
}

ssize_t tls13_record_write(struct tls13_record *r, const char *buf, size_t len)
{
	size_t olen = 0, taken = 0;

	if (r->failed) {
		errno = EPIPE;
		return -1;
	}
	if (r->out != NULL) {
		size_t plain = r->out_plain;
		if (!flush_out(r)) {
			if (!r->failed)
				errno = EAGAIN;
			return -1;
		}
		if (plain > 0) {
			if (len < plain) {
				r->error = "write retried with fewer bytes";
				return fail(r, ALERT_INTERNAL_ERROR);
			}
			return (ssize_t)plain;
		}
	}
	if (len == 0)
		return 0;
	if (r->update_due || r->wr.seq >= tls13_record_update_after) {
		/* Ours goes under the old key, then we switch (RFC 8446 4.6.3). */
		static const unsigned char key_update[5] = { HS_KEY_UPDATE, 0, 0, 1, 0 };
		olen = seal(r, CT_HANDSHAKE, key_update, sizeof(key_update), write_scratch);
		if (olen == 0 || !update_keys(r, &r->wr, true)) {
			r->error = "cannot update the sending keys";
			return fail(r, ALERT_INTERNAL_ERROR);
		}
		r->update_due = false;
	}
	for (int i = 0; i < WRITE_RECORDS && taken < len; i++) {
		size_t n = MIN((size_t)MAX_PLAIN, len - taken);
		size_t sealed = seal(r, CT_APPLICATION, buf + taken, n, write_scratch + olen);
		if (sealed == 0) {
			r->error = "cannot encrypt a record";
			return fail(r, ALERT_INTERNAL_ERROR);
		}
		olen += sealed;
		taken += n;
	}
	if (!send_or_keep(r, write_scratch, olen, taken))
		return -1;
	if (r->out != NULL) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)taken;
}

void tls13_record_close_notify(struct tls13_record *r)
{
	if (r->failed || (r->out != NULL && !flush_out(r)))
		return;
	send_alert(r, 1, ALERT_CLOSE_NOTIFY);
}

/* --- receiving ----------------------------------------------------------- */

/* The length of the whole record at @p if @len bytes hold it, else 0. */
static size_t whole_record(const unsigned char *p, size_t len)
{
	size_t body;

	if (len < HEADER)
		return 0;
	body = (size_t)p[3] << 8 | p[4];
	return len >= HEADER + body ? HEADER + body : 0;
}

static void keep(unsigned char **dst, uint32_t *dst_len, const unsigned char *src, size_t len)
{
	g_free(*dst);
	*dst = len > 0 ? g_memdup2(src, len) : NULL;
	*dst_len = (uint32_t)len;
}

/* A post-handshake handshake record from the client: only KeyUpdate can
 * come (no post-handshake authentication is asked for), one per record. */
static int handle_handshake(struct tls13_record *r, const unsigned char *msg, size_t len)
{
	if (len != 5 || msg[0] != HS_KEY_UPDATE || msg[1] != 0 || msg[2] != 0 || msg[3] != 1) {
		r->error = "unexpected handshake message after the handshake";
		return ALERT_UNEXPECTED_MESSAGE;
	}
	if (msg[4] > 1) {
		r->error = "bad KeyUpdate";
		return ALERT_ILLEGAL_PARAMETER;
	}
	if (++r->updates_in_a_row > MAX_UPDATES_IN_A_ROW) {
		r->error = "too many KeyUpdates";
		return ALERT_UNEXPECTED_MESSAGE;
	}
	if (!update_keys(r, &r->rd, false)) {
		r->error = "cannot update the receiving keys";
		return ALERT_INTERNAL_ERROR;
	}
	if (msg[4] == 1)
		r->update_due = true; /* update_requested: ours before our next data */
	return 0;
}

ssize_t tls13_record_read(struct tls13_record *r, char *buf, size_t len)
{
	unsigned char *data = read_scratch;
	size_t have, pos = 0, got = 0;
	bool read_socket = false;

	if (r->failed) {
		errno = EPROTO;
		return -1;
	}
	if (r->plain != NULL) {
		size_t n = MIN(len, (size_t)(r->plain_len - r->plain_off));
		memcpy(buf, r->plain + r->plain_off, n);
		r->plain_off += (uint32_t)n;
		if (r->plain_off == r->plain_len) {
			OPENSSL_cleanse(r->plain, r->plain_len);
			g_clear_pointer(&r->plain, g_free);
			r->plain_off = r->plain_len = 0;
		}
		return (ssize_t)n;
	}
	if (r->closed)
		return 0;
	have = r->raw_len;
	if (have > 0)
		memcpy(data, r->raw, have);
	g_clear_pointer(&r->raw, g_free);
	r->raw_len = 0;

	while (got < len) {
		size_t rec_len = whole_record(data + pos, have - pos);
		unsigned char type;
		size_t content;
		int alert;

		if (have - pos >= HEADER && ((size_t)data[pos + 3] << 8 | data[pos + 4]) > MAX_CIPHER) {
			r->error = "record overflow";
			return fail(r, ALERT_RECORD_OVERFLOW);
		}
		if (rec_len == 0) {
			/* Half a record at most: read more once, unless bytes
			 * are already on their way up. */
			ssize_t n;
			if (got > 0 || read_socket)
				break;
			memmove(data, data + pos, have - pos);
			have -= pos;
			pos = 0;
			do
				n = recv(r->fd, data + have, sizeof(read_scratch) - have, 0);
			while (n < 0 && errno == EINTR);
			if (n == 0) {
				/* The end without close_notify: a clean end for an IRC
				 * server (SSL_OP_IGNORE_UNEXPECTED_EOF); a half record
				 * is dropped. */
				return 0;
			}
			if (n < 0) {
				int saved = errno;
				keep(&r->raw, &r->raw_len, data, have);
				errno = saved;
				return -1;
			}
			have += (size_t)n;
			read_socket = true;
			continue;
		}
		alert = open_record(r, data + pos, rec_len - HEADER, &type, &content);
		if (alert != 0)
			return fail(r, alert);
		const unsigned char *body = data + pos + HEADER;
		pos += rec_len;
		if (type == CT_APPLICATION) {
			size_t n = MIN(content, len - got);
			if (content > 0)
				r->updates_in_a_row = 0;
			memcpy(buf + got, body, n);
			got += n;
			if (n < content) {
				keep(&r->plain, &r->plain_len, body + n, content - n);
				r->plain_off = 0;
			}
			OPENSSL_cleanse((void *)body, content);
			if (r->plain != NULL)
				break;
		} else if (type == CT_ALERT) {
			if (content != 2) {
				r->error = "bad alert";
				return fail(r, ALERT_DECODE_ERROR);
			}
			if (body[1] == ALERT_CLOSE_NOTIFY) {
				r->closed = true;
				break;
			}
			r->error = "the peer sent a fatal alert";
			r->failed = true;
			errno = EPROTO;
			return -1;
		} else if (type == CT_HANDSHAKE) {
			alert = handle_handshake(r, body, content);
			if (alert != 0)
				return fail(r, alert);
		} else {
			r->error = "unexpected content type";
			return fail(r, ALERT_UNEXPECTED_MESSAGE);
		}
	}
	if (pos < have && !r->closed)
		keep(&r->raw, &r->raw_len, data + pos, have - pos);
	if (got > 0)
		return (ssize_t)got;
	if (r->closed)
		return 0;
	errno = EAGAIN;
	return -1;
}

bool tls13_record_pending(const struct tls13_record *r)
{
	return r->plain != NULL || r->raw != NULL;
}
