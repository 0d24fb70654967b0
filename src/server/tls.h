/* tls.h - the TLS transport (OpenSSL 3) and the server certificate: loading
 * it, generating a self-signed one, and swapping it on SIGHUP. */
#ifndef NATTERD_TLS_H
#define NATTERD_TLS_H

#include <glib.h>
#include <stdbool.h>

#include "config.h"
#include "transport.h"

/* TLS over TCP: non-blocking, buffers released while idle. */
extern const struct transport_ops transport_tls;

/* The certificate and key files @cfg names, or the defaults in its data
 * directory (tls-cert.pem, tls-key.pem). Free with g_free. */
void tls_cert_paths(const struct config *cfg, char **cert, char **key);

/* Loads the certificate and key that @cfg names (generating a self-signed
 * pair first when the defaults are used and missing) and makes them the
 * ones new connections get; connections already open keep theirs. Logs the
 * certificate's SHA-256 fingerprint. On failure the previous certificate
 * (if any) stays in use and @error says why. */
bool tls_load(const struct config *cfg, GError **error);

/* True once tls_load has succeeded: a TLS listener may accept. */
bool tls_ready(void);

/* Writes a new self-signed certificate (ECDSA P-256, SHA-256, ten years)
 * for @name and its key (mode 0600) to @cert_path and @key_path, replacing
 * what is there. Sets *@fingerprint to its "AB:CD:..." SHA-256 fingerprint. */
bool tls_generate_cert(const char *name, const char *cert_path, const char *key_path,
		       char **fingerprint, GError **error);

struct conn;

/* True when the TLS 1.3 connection's records are carried by tls13_record.c
 * (its SSL freed after the handshake), for tests and logs. */
bool tls_records_handed_over(const struct conn *conn);

/* Frees the certificate context (at exit). */
void tls_shutdown(void);

#endif
