/* tls13_record.h - the TLS 1.3 record layer (RFC 8446 section 5) for a
 * connection whose handshake OpenSSL has finished.
 *
 * Why: an idle OpenSSL 3.0 connection holds about 14 KB (the SSL object
 * alone is 7.6 KB; bench/README.md, "Idle TLS memory"). Once a TLS 1.3
 * handshake is over, all a connection needs is one AEAD key, IV, traffic
 * secret and sequence number per direction. tls.c hands those over (from
 * OpenSSL's key log callback, at the moment the handshake completes, before
 * OpenSSL has sent or read any application record) and frees the SSL; this
 * file then protects and checks the records: AES-128-GCM, AES-256-GCM or
 * ChaCha20-Poly1305 through OpenSSL's EVP AEAD interface, per-record nonces
 * (IV xor sequence number), inner content types and padding, alerts
 * (close_notify ends the stream; anything else is fatal), KeyUpdate in both
 * directions (at most 32 from the client with no data between them), and a
 * KeyUpdate of its own before 2^23 records under one key (RFC 8446 5.5
 * allows 2^24.5 for AES-GCM).
 *
 * Reads and writes follow the transport conventions (transport.h), and a
 * write that could not finish keeps the SSL_write contract conn.c relies
 * on: -1/EAGAIN, then the same bytes again. Buffers exist only while they
 * hold something, so an idle connection costs this struct (~250 B) and two
 * cipher contexts. */
#ifndef NATTERD_TLS13_RECORD_H
#define NATTERD_TLS13_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS13_MAX_SECRET 48 /* SHA-384 */

struct tls13_record;

/* Records sent under one key before natterd sends a KeyUpdate of its own:
 * 2^23 (RFC 8446 5.5: at most 2^24.5 for AES-GCM). Tests lower it. */
extern uint64_t tls13_record_update_after;

/* True for the cipher suites handled here (0x1301, 0x1302, 0x1303: the
 * low 16 bits of SSL_CIPHER_get_id). */
bool tls13_record_suite_supported(uint16_t suite);

/* The record layer for @suite from the two application traffic secrets
 * (CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0), both sequence
 * numbers at zero, on socket @fd. NULL when the suite is unknown or the
 * keys cannot be set up. The caller wipes its copies of the secrets. */
struct tls13_record *tls13_record_new(uint16_t suite, int fd, const unsigned char *client_secret,
				      const unsigned char *server_secret, size_t secret_len);

/* Like read(2): bytes of application data, 0 at the end of the stream
 * (close_notify, or the socket closed), -1 with errno EAGAIN (wait until
 * readable), EPROTO (a TLS error: tls13_record_error says which; a fatal
 * alert has been sent) or the socket's error. */
ssize_t tls13_record_read(struct tls13_record *r, char *buf, size_t len);

/* Like write(2), with SSL_write's retry contract: after -1/EAGAIN the
 * caller calls again with the same bytes (it may have more after them) and
 * gets the count of the ones now sent. */
ssize_t tls13_record_write(struct tls13_record *r, const char *buf, size_t len);

/* True when a read can return something without the socket becoming
 * readable (decrypted bytes or whole records already read). */
bool tls13_record_pending(const struct tls13_record *r);

/* Sends close_notify without waiting (skipped when a record is half sent). */
void tls13_record_close_notify(struct tls13_record *r);

/* The reason of the last EPROTO ("bad record MAC", ...). */
const char *tls13_record_error(const struct tls13_record *r);

/* Frees it, wiping the keys. */
void tls13_record_free(struct tls13_record *r);

#endif
