/* tls.c - the TLS transport (see transport.h) and the server certificate.
 *
 * Each TLS connection has an SSL object on its socket, in server mode; the
 * handshake runs inside the first reads, so conn.c sees a TLS connection as
 * one that is readable a little later. Memory: SSL_MODE_RELEASE_BUFFERS
 * frees the 16 KiB record buffers whenever they are empty, but an idle
 * OpenSSL 3.0 connection still holds about 14 KB. So once a TLS 1.3
 * handshake completes, the connection's traffic secrets (from the key log
 * callback) go to tls13_record.c, which carries the records from then on,
 * and the SSL is freed: about 2.5 KB stay (bench/README.md, "Idle TLS
 * memory"). To make that hand-over exact, the handshake runs with
 * SSL_do_handshake() and without read-ahead (OpenSSL reads nothing past the
 * client's Finished) and the server sends no session tickets (it writes
 * nothing after its Finished), so both sequence numbers are still zero.
 * TLS 1.2 connections, and any that do not fit, stay with OpenSSL.
 * [tls] own_records=false keeps OpenSSL for every connection (with session
 * tickets): the fallback should a client not get on with tls13_record.c.
 *
 * The certificate lives in one SSL_CTX. A reload builds a new one and makes
 * it current; each SSL keeps a reference to the context it was made from,
 * so connections already open carry on and the old context is freed with
 * the last of them. */
#include "tls.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "tls13_record.h"

#define CERT_DAYS 3650

/* The application traffic secrets, caught during the handshake. */
struct tls_secrets {
	unsigned char client[TLS13_MAX_SECRET], server[TLS13_MAX_SECRET];
	size_t client_len, server_len;
};

/* Per connection, in conn->tp_state. */
struct tls_conn {
	SSL *ssl;                   /* until the TLS 1.3 hand-over, then NULL */
	struct tls13_record *rec;   /* after it */
	struct tls_secrets *secrets; /* during the handshake */
	char *certfp;      /* client certificate fingerprint, once known */
	short read_needs;  /* socket event the last SSL_read waits for */
	short write_needs; /* the same for the last SSL_write */
	bool established;  /* handshake complete */
	bool failed;       /* a fatal TLS error: no close_notify */
};

static SSL_CTX *current_ctx;

/* The reason of the last fatal TLS error, for tls_strerror; the loop reads
 * it straight after the failed call, so one buffer serves everyone. */
static char last_error[160];

/* --- errors -------------------------------------------------------------- */

/* OpenSSL's reason for the error at the top of its queue, then clears it. */
static const char *openssl_reason(char *out, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	g_strlcpy(out, reason != NULL ? reason : "unknown error", len);
	ERR_clear_error();
	return out;
}

static void set_openssl_error(GError **error, const char *what, const char *path)
{
	char reason[160];

	openssl_reason(reason, sizeof(reason));
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s%s%s: %s", what,
		    path != NULL ? " " : "", path != NULL ? path : "", reason);
}

/* --- the transport ------------------------------------------------------- */

static void note_established(struct conn *conn, struct tls_conn *t)
{
	X509 *peer = SSL_get0_peer_certificate(t->ssl);

	t->established = true;
	if (peer != NULL) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		if (X509_digest(peer, EVP_sha256(), md, &n) == 1) {
			t->certfp = g_malloc(2 * n + 1);
			for (unsigned int i = 0; i < n; i++)
				snprintf(t->certfp + 2 * i, 3, "%02x", md[i]);
		}
	}
	log_debug("TLS with %s: %s, %s%s%s", conn->addr, SSL_get_version(t->ssl),
		  SSL_get_cipher_name(t->ssl), t->certfp != NULL ? ", client certificate " : "",
		  t->certfp != NULL ? t->certfp : "");
}

/* Turns a failed SSL_read/SSL_write into the transport conventions:
 * -1 with errno EAGAIN (and *@needs set), 0 for a clean close, -1 with
 * errno EPROTO (reason in last_error) for a TLS failure. */
static ssize_t result(struct tls_conn *t, int ret, short *needs, bool reading)
{
	int err = SSL_get_error(t->ssl, ret);
	int saved = errno;

	switch (err) {
	case SSL_ERROR_WANT_READ:
		*needs = EV_READ;
		ERR_clear_error();
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*needs = EV_WRITE;
		ERR_clear_error();
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN: /* close_notify, or EOF (IGNORE_UNEXPECTED_EOF) */
		ERR_clear_error();
		if (reading)
			return 0;
		errno = EPIPE;
		return -1;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		t->failed = true;
		if (saved == 0) {
			if (reading)
				return 0;
			saved = EPIPE;
		}
		errno = saved;
		return -1;
	default:
		t->failed = true;
		snprintf(last_error, sizeof(last_error), "TLS %s: ",
			 t->established ? "error" : "handshake failed");
		openssl_reason(last_error + strlen(last_error),
			       sizeof(last_error) - strlen(last_error));
		errno = EPROTO;
		return -1;
	}
}

static bool tls_open(struct conn *conn)
{
	struct tls_conn *t;
	SSL *ssl;

	if (current_ctx == NULL || (ssl = SSL_new(current_ctx)) == NULL)
		return false;
	if (SSL_set_fd(ssl, conn->fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return false;
	}
	SSL_set_accept_state(ssl);
	t = g_new0(struct tls_conn, 1);
	t->ssl = ssl;
	if (SSL_CTX_get_keylog_callback(SSL_get_SSL_CTX(ssl)) != NULL) {
		/* No read-ahead until the handshake is over: see the top. */
		SSL_set_read_ahead(ssl, 0);
		t->secrets = g_new0(struct tls_secrets, 1);
	}
	SSL_set_app_data(ssl, t);
	t->read_needs = EV_READ;
	t->write_needs = EV_WRITE;
	conn->tp_state = t;
	return true;
}

static void forget_secrets(struct tls_conn *t)
{
	if (t->secrets != NULL) {
		OPENSSL_cleanse(t->secrets, sizeof(*t->secrets));
		g_free(t->secrets);
		t->secrets = NULL;
	}
}

/* OpenSSL's key log callback: keeps the two application traffic secrets
 * ("CLIENT_TRAFFIC_SECRET_0 <client random> <hex>") for the hand-over. */
static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_conn *t = SSL_get_app_data(ssl);
	unsigned char *dst;
	size_t *dst_len;
	const char *hex;

	if (t == NULL || t->secrets == NULL)
		return;
	if (g_str_has_prefix(line, "CLIENT_TRAFFIC_SECRET_0 ")) {
		dst = t->secrets->client;
		dst_len = &t->secrets->client_len;
	} else if (g_str_has_prefix(line, "SERVER_TRAFFIC_SECRET_0 ")) {
		dst = t->secrets->server;
		dst_len = &t->secrets->server_len;
	} else {
		return;
	}
	hex = strrchr(line, ' ') + 1;
	*dst_len = 0;
	for (size_t i = 0; hex[2 * i] != '\0' && hex[2 * i + 1] != '\0'; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]), lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0 || i >= TLS13_MAX_SECRET) {
			*dst_len = 0;
			return;
		}
		dst[i] = (unsigned char)(hi << 4 | lo);
		*dst_len = i + 1;
	}
}

/* Right after a TLS 1.3 handshake: hands the records to tls13_record.c and
 * frees the SSL, when everything is as the hand-over needs it. */
static void hand_over(struct conn *conn, struct tls_conn *t)
{
	const SSL_CIPHER *cipher = SSL_get_current_cipher(t->ssl);
	uint16_t suite = cipher != NULL ? (uint16_t)(SSL_CIPHER_get_id(cipher) & 0xffff) : 0;
	struct tls_secrets *s = t->secrets;

	if (SSL_version(t->ssl) == TLS1_3_VERSION && s != NULL && s->client_len > 0 &&
	    s->client_len == s->server_len && tls13_record_suite_supported(suite) &&
	    SSL_has_pending(t->ssl) == 0 && SSL_want(t->ssl) == SSL_NOTHING &&
	    BIO_wpending(SSL_get_wbio(t->ssl)) == 0)
		t->rec = tls13_record_new(suite, conn->fd, s->client, s->server, s->client_len);
	forget_secrets(t);
	if (t->rec == NULL) {
		SSL_set_read_ahead(t->ssl, 1); /* OpenSSL carries on */
		return;
	}
	SSL_free(t->ssl);
	t->ssl = NULL;
	t->read_needs = EV_READ;
	t->write_needs = EV_WRITE;
	log_debug("TLS with %s: records carried by natterd from here (TLS 1.3, suite %04x)",
		  conn->addr, suite);
}

bool tls_records_handed_over(const struct conn *conn)
{
	const struct tls_conn *t = conn->tp_state;

	return conn->tp == &transport_tls && t != NULL && t->rec != NULL;
}

/* Runs the handshake on: true once it is complete (and handed over where it
 * can be), else -1-style result in *@ret with errno set. */
static bool handshake(struct conn *conn, struct tls_conn *t, short *needs, bool reading,
		      ssize_t *ret)
{
	int n;

	if (t->established)
		return true;
	ERR_clear_error();
	n = SSL_do_handshake(t->ssl);
	if (n != 1) {
		*ret = result(t, n, needs, reading);
		return false;
	}
	note_established(conn, t);
	hand_over(conn, t);
	return true;
}

static ssize_t record_result(struct tls_conn *t, ssize_t n)
{
	if (n < 0 && errno == EPROTO) {
		t->failed = true;
		snprintf(last_error, sizeof(last_error), "TLS error: %s",
			 tls13_record_error(t->rec));
		errno = EPROTO;
	} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		t->failed = true;
	}
	return n;
}

static ssize_t tls_read(struct conn *conn, char *buf, size_t len)
{
	struct tls_conn *t = conn->tp_state;
	ssize_t ret;
	int n;

	if (!handshake(conn, t, &t->read_needs, true, &ret))
		return ret;
	if (t->rec != NULL)
		return record_result(t, tls13_record_read(t->rec, buf, len));
	ERR_clear_error(); /* SSL_get_error reads the queue: start it empty */
	n = SSL_read(t->ssl, buf, (int)MIN(len, (size_t)INT_MAX));
	if (n > 0) {
		t->read_needs = EV_READ;
		return n;
	}
	return result(t, n, &t->read_needs, true);
}

static ssize_t tls_write(struct conn *conn, const char *buf, size_t len)
{
	struct tls_conn *t = conn->tp_state;
	ssize_t ret;
	int n;

	if (!handshake(conn, t, &t->write_needs, false, &ret))
		return ret;
	if (t->rec != NULL)
		return record_result(t, tls13_record_write(t->rec, buf, len));
	ERR_clear_error();
	n = SSL_write(t->ssl, buf, (int)MIN(len, (size_t)INT_MAX));
	if (n > 0) {
		t->write_needs = EV_WRITE;
		return n;
	}
	return result(t, n, &t->write_needs, false);
}

/* Whole records already read from the socket (read-ahead) raise no socket
 * event; conn.c reads again while this is true and a read returned bytes. */
static bool tls_pending(struct conn *conn)
{
	struct tls_conn *t = conn->tp_state;

	if (t->rec != NULL)
		return tls13_record_pending(t->rec);
	return SSL_has_pending(t->ssl) == 1;
}

static short tls_events(struct conn *conn, short want)
{
	struct tls_conn *t = conn->tp_state;
	short events = 0;

	if (want & EV_READ)
		events |= t->read_needs;
	if (want & EV_WRITE)
		events |= t->write_needs;
	return events;
}

static short tls_ready_events(struct conn *conn, short fired)
{
	struct tls_conn *t = conn->tp_state;
	short ready = 0;

	if (fired & t->read_needs)
		ready |= EV_READ;
	if (fired & t->write_needs)
		ready |= EV_WRITE;
	return ready;
}

static bool tls_established(struct conn *conn)
{
	struct tls_conn *t = conn->tp_state;

	return t->established && !t->failed;
}

static const char *tls_strerror(struct conn *conn, int err)
{
	(void)conn;
	return err == EPROTO && last_error[0] != '\0' ? last_error : strerror(err);
}

static const char *tls_peer_fingerprint(struct conn *conn)
{
	struct tls_conn *t = conn->tp_state;

	return t->certfp;
}

static void tls_close_notify(struct conn *conn)
{
	struct tls_conn *t = conn->tp_state;

	if (t->established && !t->failed && t->rec != NULL)
		tls13_record_close_notify(t->rec);
	else if (t->established && !t->failed)
		SSL_shutdown(t->ssl); /* best effort: never waits for the peer's */
	ERR_clear_error();
}

static void tls_free(struct conn *conn)
{
	struct tls_conn *t = conn->tp_state;

	tls13_record_free(t->rec);
	SSL_free(t->ssl);
	forget_secrets(t);
	g_free(t->certfp);
	g_free(t);
	conn->tp_state = NULL;
}

const struct transport_ops transport_tls = {
	.name = "tls",
	.secure = true,
	.write_claim = 16384, /* one record's plaintext (OpenSSL or tls13_record.c) */
	.open = tls_open,
	.read = tls_read,
	.write = tls_write,
	.pending = tls_pending,
	.events = tls_events,
	.ready = tls_ready_events,
	.established = tls_established,
	.strerror = tls_strerror,
	.peer_fingerprint = tls_peer_fingerprint,
	.shutdown = tls_close_notify,
	.free = tls_free,
};

/* --- certificates -------------------------------------------------------- */

void tls_cert_paths(const struct config *cfg, char **cert, char **key)
{
	if (cfg->tls_cert_file != NULL) {
		*cert = g_strdup(cfg->tls_cert_file);
		*key = g_strdup(cfg->tls_key_file);
		return;
	}
	*cert = g_build_filename(cfg->data_dir, "tls-cert.pem", NULL);
	*key = g_build_filename(cfg->data_dir, "tls-key.pem", NULL);
}

static char *fingerprint_of(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	GString *out = g_string_new(NULL);

	if (X509_digest(x, EVP_sha256(), md, &n) == 1)
		for (unsigned int i = 0; i < n; i++)
			g_string_append_printf(out, "%s%02X", i > 0 ? ":" : "", md[i]);
	return g_string_free(out, FALSE);
}

static bool add_extension(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return false;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* Writes @data to @path through a temporary file and a rename, so a reader
 * (a reload) never sees half a file. */
static bool write_pem(const char *path, int mode, X509 *x, EVP_PKEY *pkey, GError **error)
{
	g_autofree char *tmp = g_strdup_printf("%s.tmp%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *fp;
	bool ok;

	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot write %s: %s", tmp, strerror(errno));
		return false;
	}
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		g_unlink(tmp);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s", tmp);
		return false;
	}
	ok = x != NULL ? PEM_write_X509(fp, x) == 1
		       : PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	ok = fclose(fp) == 0 && ok;
	if (!ok || g_rename(tmp, path) != 0) {
		g_unlink(tmp);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s: %s", path,
			    strerror(errno));
		ERR_clear_error();
		return false;
	}
	return true;
}

bool tls_generate_cert(const char *name, const char *cert_path, const char *key_path,
		       char **fingerprint, GError **error)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *subject;
	BIGNUM *serial = BN_new();
	g_autofree char *san = g_strdup_printf("DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", name);
	bool ok = false;

	if (pkey == NULL || x == NULL || serial == NULL) {
		set_openssl_error(error, "cannot make a key for", cert_path);
		goto out;
	}
	subject = X509_get_subject_name(x);
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) == NULL ||
	    X509_set_pubkey(x, pkey) != 1 ||
	    X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
				       (const unsigned char *)"natter", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
				       (const unsigned char *)name, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, subject) != 1 ||
	    !add_extension(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_extension(x, NID_key_usage, "critical,digitalSignature") ||
	    !add_extension(x, NID_ext_key_usage, "serverAuth") ||
	    !add_extension(x, NID_subject_key_identifier, "hash") ||
	    !add_extension(x, NID_subject_alt_name, san) ||
	    X509_sign(x, pkey, EVP_sha256()) == 0) {
		set_openssl_error(error, "cannot make a certificate for", cert_path);
		goto out;
	}
	if (!write_pem(key_path, 0600, NULL, pkey, error) ||
	    !write_pem(cert_path, 0644, x, NULL, error))
		goto out;
	*fingerprint = fingerprint_of(x);
	ok = true;
out:
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ok;
}

/* Any client certificate is welcome, self-signed ones included: it is not
 * checked against a CA but matched by fingerprint (SASL EXTERNAL). */
static int accept_any_cert(int preverify, X509_STORE_CTX *store)
{
	(void)preverify;
	(void)store;
	return 1;
}

/* Whether connections made from now on are handed to tls13_record.c. */
static bool own_records = true;

static SSL_CTX *make_ctx(const char *cert, const char *key, GError **error)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		set_openssl_error(error, "cannot set up TLS", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
				 SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
	/* Partial writes and a moving buffer match conn.c's output queue (it
	 * may grow, and so move, between a write that must wait and its
	 * retry); released buffers keep idle connections small. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
			      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/* One read(2) takes every record the kernel has, not a header first. */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* No server-side session cache, and no TLS 1.3 session tickets: the
	 * hand-over to tls13_record.c needs a server that writes nothing after
	 * its Finished (a resumed handshake would save the client one ECDHE and
	 * one signature, not worth 11 KB per idle client). */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (own_records) {
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any_cert);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		set_openssl_error(error, "cannot load the TLS certificate", cert);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
			set_openssl_error(error, "the TLS key does not match the certificate", key);
		else
			set_openssl_error(error, "cannot load the TLS key", key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		set_openssl_error(error, "the TLS key does not match the certificate", cert);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

bool tls_load(const struct config *cfg, GError **error)
{
	g_autofree char *cert = NULL;
	g_autofree char *key = NULL;
	g_autofree char *fingerprint = NULL;
	SSL_CTX *ctx;

	own_records = cfg->tls_own_records;
	tls_cert_paths(cfg, &cert, &key);
	if (cfg->tls_cert_file == NULL && !g_file_test(cert, G_FILE_TEST_EXISTS)) {
		if (!tls_generate_cert(cfg->name, cert, key, &fingerprint, error))
			return false;
		log_info("generated a self-signed TLS certificate in %s", cert);
		g_clear_pointer(&fingerprint, g_free);
	}
	ctx = make_ctx(cert, key, error);
	if (ctx == NULL)
		return false;
	fingerprint = fingerprint_of(SSL_CTX_get0_certificate(ctx));
	if (current_ctx != NULL)
		SSL_CTX_free(current_ctx); /* open connections hold their own reference */
	current_ctx = ctx;
	log_info("TLS certificate %s, SHA-256 fingerprint %s", cert, fingerprint);
	return true;
}

bool tls_ready(void)
{
	return current_ctx != NULL;
}

void tls_shutdown(void)
{
	if (current_ctx != NULL)
		SSL_CTX_free(current_ctx);
	current_ctx = NULL;
}
