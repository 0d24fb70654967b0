/* natter-tls.h - TLS for the client: GIO's GTlsClientConnection (the
 * glib-networking backend) and trust on first use (TOFU).
 *
 * natter servers usually have a self-signed certificate (natterd makes one
 * on first start), so a CA check would refuse them all. Instead the SHA-256
 * fingerprint of the certificate a server showed is remembered per host and
 * port in the known-hosts file (see natter_tls_known_hosts_path()): the first
 * time, the person is asked (the session fails with CERT_UNKNOWN and the
 * fingerprint; after natter_tls_remember() it connects again), later the same
 * certificate is taken without asking, and a different one is refused
 * (CERT_CHANGED, naming both fingerprints). A certificate a CA vouches for
 * is still shown on first use: one rule, no surprises. */
#ifndef NATTER_TLS_H
#define NATTER_TLS_H

#include <gio/gio.h>

G_BEGIN_DECLS

/* The port natterd (and IRC in general) speaks TLS on. */
#define NATTER_TLS_PORT 6697

/* "AB:CD:..." (32 bytes, upper-case hex, colons) of @cert's DER form. */
char *natter_tls_fingerprint(GTlsCertificate *cert);
/* $NATTER_KNOWN_HOSTS when set, else $XDG_DATA_HOME/natter/known-hosts
 * (~/.local/share/natter/known-hosts): lines "host:port FINGERPRINT". */
char *natter_tls_known_hosts_path(void);
/* The fingerprint remembered for @host:@port, or NULL. */
char *natter_tls_lookup(const char *host, guint16 port);
/* Remembers (or replaces) the fingerprint of @host:@port. */
gboolean natter_tls_remember(const char *host, guint16 port, const char *fingerprint,
			     GError **error);

G_END_DECLS

#endif
