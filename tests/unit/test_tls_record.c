/* Unit tests for natterd's TLS transport after the handshake: the hand-over
 * of TLS 1.3 records from OpenSSL to src/server/tls13_record.c (tls.c).
 *
 * The server side is natterd's own transport (tls_load, transport_tls) on
 * one end of a socketpair; the client is a real OpenSSL client on memory
 * BIOs, and the test moves the bytes between them, so it can hold them
 * back, cut them or flip a bit. Every check is against OpenSSL's client:
 * that it decrypts what natterd sends (all three TLS 1.3 suites, KeyUpdate
 * both ways, close_notify, partial writes) and that natterd refuses what
 * it must refuse (a flipped bit, an oversized record, an unprotected one). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "tls.h"
#include "tls13_record.h"

static char *tmp_dir;
static OSSL_LIB_CTX *client_lib;

struct pair {
	struct conn conn;
	int fds[2]; /* [0] the server's socket, [1] the test's end */
	SSL_CTX *cctx;
	SSL *client;
	BIO *c_in, *c_out;
};

/* Client bytes to the server's socket, server bytes to the client. */
static void pump(struct pair *p)
{
	char buf[65536];
	int n;
	ssize_t r;

	while ((n = BIO_read(p->c_out, buf, sizeof(buf))) > 0) {
		size_t off = 0;
		while (off < (size_t)n) {
			r = write(p->fds[1], buf + off, (size_t)n - off);
			g_assert_cmpint(r, >, 0);
			off += (size_t)r;
		}
	}
	while ((r = read(p->fds[1], buf, sizeof(buf))) > 0)
		g_assert_cmpint(BIO_write(p->c_in, buf, (int)r), ==, r);
}

static ssize_t server_read(struct pair *p, char *buf, size_t len)
{
	return transport_tls.read(&p->conn, buf, len);
}

/* A handshake between natterd's transport and an OpenSSL client that
 * offers @suites (TLS 1.3) and at most @max_version. */
static void pair_open(struct pair *p, const char *suites, int max_version)
{
	char buf[64];

	memset(p, 0, sizeof(*p));
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fds), ==, 0);
	p->conn.fd = p->fds[0];
	p->conn.addr = "test";
	p->conn.tp = &transport_tls;
	g_assert_true(transport_tls.open(&p->conn));
	p->cctx = SSL_CTX_new_ex(client_lib, NULL, TLS_client_method());
	SSL_CTX_set_verify(p->cctx, SSL_VERIFY_NONE, NULL);
	if (suites != NULL)
		g_assert_cmpint(SSL_CTX_set_ciphersuites(p->cctx, suites), ==, 1);
	if (max_version != 0)
		SSL_CTX_set_max_proto_version(p->cctx, max_version);
	p->client = SSL_new(p->cctx);
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p->c_in, -1);
	SSL_set_bio(p->client, p->c_in, p->c_out);
	SSL_set_connect_state(p->client);
	for (int i = 0; i < 20 && !(SSL_is_init_finished(p->client) &&
				    transport_tls.established(&p->conn)); i++) {
		(void)SSL_do_handshake(p->client);
		pump(p);
		g_assert_cmpint(server_read(p, buf, sizeof(buf)), ==, -1);
		g_assert_cmpint(errno, ==, EAGAIN);
		pump(p);
	}
	g_assert_true(SSL_is_init_finished(p->client));
	g_assert_true(transport_tls.established(&p->conn));
}

static void pair_close(struct pair *p)
{
	transport_tls.free(&p->conn);
	SSL_free(p->client);
	SSL_CTX_free(p->cctx);
	close(p->fds[0]);
	close(p->fds[1]);
	ERR_clear_error();
}

static void client_send(struct pair *p, const void *data, size_t len)
{
	g_assert_cmpint(SSL_write(p->client, data, (int)len), ==, (int)len);
	pump(p);
}

/* Everything the server reads until it would wait. */
static GString *server_read_all(struct pair *p)
{
	GString *got = g_string_new(NULL);
	char buf[5000]; /* smaller than a record: plaintext is kept between reads */
	ssize_t n;

	while ((n = server_read(p, buf, sizeof(buf))) > 0)
		g_string_append_len(got, buf, n);
	g_assert_cmpint(n, ==, -1);
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_false(transport_tls.pending(&p->conn));
	return got;
}

/* Writes all of @len bytes through the server's transport, with the
 * retry contract: after EAGAIN, the same bytes again. */
static void server_send(struct pair *p, const char *data, size_t len, GString *client_got)
{
	size_t off = 0;
	char buf[65536];
	int n;

	while (off < len) {
		ssize_t w = transport_tls.write(&p->conn, data + off, len - off);
		if (w < 0) {
			g_assert_cmpint(errno, ==, EAGAIN);
		} else {
			g_assert_cmpint(w, >, 0);
			off += (size_t)w;
		}
		pump(p);
		while ((n = SSL_read(p->client, buf, sizeof(buf))) > 0)
			g_string_append_len(client_got, buf, n);
	}
	for (int i = 0; i < 5; i++) {
		pump(p);
		while ((n = SSL_read(p->client, buf, sizeof(buf))) > 0)
			g_string_append_len(client_got, buf, n);
	}
}

static char *pattern(size_t len)
{
	char *s = g_malloc(len);
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('a' + (i * 7 + i / 251) % 26);
	return s;
}

/* --- tests --------------------------------------------------------------- */

static void check_suite(const char *suite)
{
	struct pair p;
	const char *lines = "NICK alice\r\nUSER alice 0 * :Alice\r\n";
	g_autofree char *big = pattern(100000);
	g_autoptr(GString) got = NULL;
	g_autoptr(GString) back = g_string_new(NULL);

	pair_open(&p, suite, 0);
	g_assert_true(tls_records_handed_over(&p.conn));
	g_assert_cmpstr(SSL_get_cipher_name(p.client), ==, suite);
	client_send(&p, lines, strlen(lines));
	got = server_read_all(&p);
	g_assert_cmpstr(got->str, ==, lines);
	g_string_truncate(got, 0);
	/* A client's burst over many records, bigger than one read. */
	client_send(&p, big, 100000);
	g_string_free(got, TRUE);
	got = server_read_all(&p);
	g_assert_cmpuint(got->len, ==, 100000);
	g_assert_true(memcmp(got->str, big, 100000) == 0);
	server_send(&p, big, 100000, back);
	g_assert_cmpuint(back->len, ==, 100000);
	g_assert_true(memcmp(back->str, big, 100000) == 0);
	pair_close(&p);
}

static void test_aes_256_gcm(void)
{
	check_suite("TLS_AES_256_GCM_SHA384");
}

static void test_aes_128_gcm(void)
{
	check_suite("TLS_AES_128_GCM_SHA256");
}

static void test_chacha20_poly1305(void)
{
	check_suite("TLS_CHACHA20_POLY1305_SHA256");
}

/* Data the client sends in the same flight as its Finished is read after
 * the hand-over, with the first sequence number. */
static void test_data_right_after_finished(void)
{
	struct pair p;
	char buf[256];
	g_autoptr(GString) got = NULL;

	memset(&p, 0, sizeof(p));
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p.fds), ==, 0);
	p.conn.fd = p.fds[0];
	p.conn.addr = "test";
	p.conn.tp = &transport_tls;
	g_assert_true(transport_tls.open(&p.conn));
	p.cctx = SSL_CTX_new_ex(client_lib, NULL, TLS_client_method());
	SSL_CTX_set_verify(p.cctx, SSL_VERIFY_NONE, NULL);
	p.client = SSL_new(p.cctx);
	p.c_in = BIO_new(BIO_s_mem());
	p.c_out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(p.c_in, -1);
	SSL_set_bio(p.client, p.c_in, p.c_out);
	SSL_set_connect_state(p.client);
	(void)SSL_do_handshake(p.client); /* ClientHello */
	pump(&p);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, -1);
	pump(&p);
	/* Finished and a line, in one write to the server's socket. */
	g_assert_cmpint(SSL_do_handshake(p.client), ==, 1);
	g_assert_cmpint(SSL_write(p.client, "PING :early\r\n", 13), ==, 13);
	pump(&p);
	got = server_read_all(&p);
	g_assert_true(tls_records_handed_over(&p.conn));
	g_assert_cmpstr(got->str, ==, "PING :early\r\n");
	pair_close(&p);
}

/* A server write that the socket takes only in part: -1/EAGAIN, then the
 * same bytes again, as conn.c does; everything arrives once, in order. */
static void test_partial_writes(void)
{
	struct pair p;
	int small = 4096;
	g_autofree char *big = pattern(300000);
	g_autoptr(GString) back = g_string_new(NULL);
	size_t off = 0;
	int eagain = 0;
	char buf[65536];
	int n;

	pair_open(&p, NULL, 0);
	g_assert_cmpint(setsockopt(p.fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), ==, 0);
	while (off < 300000) {
		ssize_t w = transport_tls.write(&p.conn, big + off, 300000 - off);
		if (w < 0) {
			g_assert_cmpint(errno, ==, EAGAIN);
			eagain++;
			pump(&p); /* the client reads a little, then the retry */
			while ((n = SSL_read(p.client, buf, sizeof(buf))) > 0)
				g_string_append_len(back, buf, n);
			continue;
		}
		off += (size_t)w;
	}
	for (int i = 0; i < 50 && back->len < 300000; i++) {
		pump(&p);
		while ((n = SSL_read(p.client, buf, sizeof(buf))) > 0)
			g_string_append_len(back, buf, n);
	}
	g_assert_cmpint(eagain, >, 0);
	g_assert_cmpuint(back->len, ==, 300000);
	g_assert_true(memcmp(back->str, big, 300000) == 0);
	pair_close(&p);
}

/* KeyUpdate from the client, with and without update_requested, several
 * times: the server follows the client's keys and, when asked, updates its
 * own before its next data (which the client can only read if it did). */
static void test_key_update(void)
{
	struct pair p;
	g_autoptr(GString) back = g_string_new(NULL);
	unsigned char wire[4096];
	char buf[256];
	ssize_t n;
	int records, got_n;

	pair_open(&p, NULL, 0);
	for (int i = 0; i < 4; i++) {
		int type = i % 2 == 0 ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED;
		g_autofree char *line = g_strdup_printf("PING :round %d\r\n", i);
		g_autofree char *reply = g_strdup_printf("PONG :round %d\r\n", i);
		g_autoptr(GString) got = NULL;
		g_assert_cmpint(SSL_key_update(p.client, type), ==, 1);
		client_send(&p, line, strlen(line));
		got = server_read_all(&p);
		g_assert_cmpstr(got->str, ==, line);
		/* On the wire: our KeyUpdate record first when one was asked for. */
		g_assert_cmpint(transport_tls.write(&p.conn, reply, strlen(reply)), ==, strlen(reply));
		n = read(p.fds[1], wire, sizeof(wire));
		g_assert_cmpint(n, >, 0);
		records = 0;
		for (ssize_t off = 0; off + 5 <= n; off += 5 + (wire[off + 3] << 8 | wire[off + 4]))
			records++;
		g_assert_cmpint(records, ==, type == SSL_KEY_UPDATE_REQUESTED ? 2 : 1);
		g_assert_cmpint(BIO_write(p.c_in, wire, (int)n), ==, n);
		g_string_truncate(back, 0);
		while ((got_n = SSL_read(p.client, buf, sizeof(buf))) > 0)
			g_string_append_len(back, buf, got_n);
		g_assert_cmpstr(back->str, ==, reply);
	}
	pair_close(&p);
}

/* After tls13_record_update_after records under one key the server sends
 * a KeyUpdate of its own, and the client reads on with the new key. */
static void test_server_updates_its_keys(void)
{
	struct pair p;
	unsigned char wire[4096];
	char buf[256];
	g_autoptr(GString) back = g_string_new(NULL);
	int records = 0, n;
	ssize_t got;

	pair_open(&p, NULL, 0);
	tls13_record_update_after = 3;
	for (int i = 0; i < 10; i++) {
		g_autofree char *line = g_strdup_printf("NOTICE * :line %d\r\n", i);
		g_assert_cmpint(transport_tls.write(&p.conn, line, strlen(line)), ==, strlen(line));
		got = read(p.fds[1], wire, sizeof(wire));
		g_assert_cmpint(got, >, 0);
		for (ssize_t off = 0; off + 5 <= got; off += 5 + (wire[off + 3] << 8 | wire[off + 4]))
			records++;
		g_assert_cmpint(BIO_write(p.c_in, wire, (int)got), ==, got);
		while ((n = SSL_read(p.client, buf, sizeof(buf))) > 0)
			g_string_append_len(back, buf, n);
		g_assert_true(g_str_has_suffix(back->str, line));
	}
	tls13_record_update_after = UINT64_C(1) << 23;
	/* 10 lines, and a KeyUpdate before the 4th, 7th and 10th. */
	g_assert_cmpint(records, ==, 13);
	pair_close(&p);
}

/* A client may update its keys, but not endlessly with nothing in between
 * (each costs the server two key derivations): 32 in a row pass, 33 end
 * the connection. */
static void test_key_update_flood_is_refused(void)
{
	struct pair p;
	char buf[64];
	g_autoptr(GString) got = NULL;

	pair_open(&p, NULL, 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 32; i++) {
			g_assert_cmpint(SSL_key_update(p.client, SSL_KEY_UPDATE_NOT_REQUESTED), ==, 1);
			g_assert_cmpint(SSL_do_handshake(p.client), ==, 1);
		}
		client_send(&p, "PING :x\r\n", 9); /* data resets the count */
		got = server_read_all(&p);
		g_assert_cmpstr(got->str, ==, "PING :x\r\n");
		g_string_free(g_steal_pointer(&got), TRUE);
	}
	for (int i = 0; i < 33; i++) {
		g_assert_cmpint(SSL_key_update(p.client, SSL_KEY_UPDATE_NOT_REQUESTED), ==, 1);
		g_assert_cmpint(SSL_do_handshake(p.client), ==, 1);
	}
	pump(&p);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, -1);
	g_assert_cmpint(errno, ==, EPROTO);
	g_assert_nonnull(strstr(transport_tls.strerror(&p.conn, EPROTO), "too many KeyUpdates"));
	pair_close(&p);
}

/* close_notify both ways: the client sees a clean end (not a truncation);
 * the server reads 0 after the client's. */
static void test_close_notify(void)
{
	struct pair p;
	char buf[64];
	int n;

	pair_open(&p, NULL, 0);
	transport_tls.shutdown(&p.conn);
	pump(&p);
	n = SSL_read(p.client, buf, sizeof(buf));
	g_assert_cmpint(n, ==, 0);
	g_assert_cmpint(SSL_get_error(p.client, n), ==, SSL_ERROR_ZERO_RETURN);
	pair_close(&p);

	pair_open(&p, NULL, 0);
	client_send(&p, "QUIT\r\n", 6);
	(void)SSL_shutdown(p.client);
	pump(&p);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, 6);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, 0);
	pair_close(&p);
}

/* One flipped bit in a record: the server refuses it (bad record MAC),
 * hands nothing up, and tells the client with an alert. */
static void test_flipped_bit_is_refused(void)
{
	struct pair p;
	char buf[256];
	int n;

	pair_open(&p, NULL, 0);
	g_assert_cmpint(SSL_write(p.client, "PRIVMSG #a :secret\r\n", 20), ==, 20);
	n = BIO_read(p.c_out, buf, sizeof(buf));
	g_assert_cmpint(n, >, 5 + 20);
	buf[10] ^= 0x04;
	g_assert_cmpint(write(p.fds[1], buf, (size_t)n), ==, n);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, -1);
	g_assert_cmpint(errno, ==, EPROTO);
	g_assert_nonnull(strstr(transport_tls.strerror(&p.conn, EPROTO), "bad record MAC"));
	g_assert_false(transport_tls.established(&p.conn));
	pump(&p);
	g_assert_cmpint(SSL_read(p.client, buf, sizeof(buf)), <=, 0);
	g_assert_cmpint(ERR_GET_REASON(ERR_peek_last_error()), ==,
			SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
	pair_close(&p);
}

/* Records that no TLS 1.3 peer may send after the handshake. */
static void test_bad_records_are_refused(void)
{
	static const struct {
		const char *name;
		unsigned char bytes[5 + 16640];
		size_t len;
		const char *reason;
	} cases[] = {
		{ "oversized", { 23, 3, 3, 0x41, 0x01 }, 5, "record overflow" },
		/* 2^14 + 256 is a legal ciphertext, but not with 2^14 + 240 bytes
		 * of inner plaintext: refused before any decryption. */
		{ "inner plaintext too long", { 23, 3, 3, 0x41, 0x00 }, 5 + 16640, "record overflow" },
		{ "unprotected handshake", { 22, 3, 3, 0, 1, 0 }, 6, "unexpected record type" },
		{ "change_cipher_spec", { 20, 3, 3, 0, 1, 1 }, 6, "unexpected record type" },
		{ "too short", { 23, 3, 3, 0, 2, 0, 0 }, 7, "record too short" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct pair p;
		char buf[64];
		pair_open(&p, NULL, 0);
		g_test_message("%s", cases[i].name);
		g_assert_cmpint(write(p.fds[1], cases[i].bytes, cases[i].len), ==, cases[i].len);
		g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, -1);
		g_assert_cmpint(errno, ==, EPROTO);
		g_assert_nonnull(strstr(transport_tls.strerror(&p.conn, EPROTO), cases[i].reason));
		pair_close(&p);
	}
}

/* A half record and then the end of the stream: a clean end, nothing
 * handed up (natterd ignores a missing close_notify, as before). */
static void test_half_record_then_eof(void)
{
	struct pair p;
	char buf[256];
	int n;

	pair_open(&p, NULL, 0);
	g_assert_cmpint(SSL_write(p.client, "PING :x\r\n", 9), ==, 9);
	n = BIO_read(p.c_out, buf, sizeof(buf));
	g_assert_cmpint(write(p.fds[1], buf, (size_t)n - 3), ==, n - 3);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, -1);
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_true(transport_tls.pending(&p.conn)); /* the half record is held */
	shutdown(p.fds[1], SHUT_WR);
	g_assert_cmpint(server_read(&p, buf, sizeof(buf)), ==, 0);
	pair_close(&p);
}

/* TLS 1.2 stays with OpenSSL, and works as before. */
static void test_tls12_stays_with_openssl(void)
{
	struct pair p;
	g_autoptr(GString) got = NULL;
	g_autoptr(GString) back = g_string_new(NULL);

	pair_open(&p, NULL, TLS1_2_VERSION);
	g_assert_cmpstr(SSL_get_version(p.client), ==, "TLSv1.2");
	g_assert_false(tls_records_handed_over(&p.conn));
	client_send(&p, "NICK bob\r\n", 10);
	got = server_read_all(&p);
	g_assert_cmpstr(got->str, ==, "NICK bob\r\n");
	server_send(&p, "PONG :x\r\n", 9, back);
	g_assert_cmpstr(back->str, ==, "PONG :x\r\n");
	pair_close(&p);
}

int main(int argc, char **argv)
{
	struct config cfg;
	GError *error = NULL;
	int status;

	g_test_init(&argc, &argv, NULL);
	log_set_level(LOG_WARN);
	tmp_dir = g_dir_make_tmp("natter-tls-XXXXXX", NULL);
	g_assert_nonnull(tmp_dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = (char *)"irc.natter.test";
	cfg.data_dir = tmp_dir;
	cfg.tls_own_records = true; /* the default (config.c) */
	if (!tls_load(&cfg, &error))
		g_error("tls_load: %s", error->message);
	client_lib = OSSL_LIB_CTX_new();

	g_test_add_func("/tls/aes-256-gcm", test_aes_256_gcm);
	g_test_add_func("/tls/aes-128-gcm", test_aes_128_gcm);
	g_test_add_func("/tls/chacha20-poly1305", test_chacha20_poly1305);
	g_test_add_func("/tls/data-right-after-finished", test_data_right_after_finished);
	g_test_add_func("/tls/partial-writes", test_partial_writes);
	g_test_add_func("/tls/key-update", test_key_update);
	g_test_add_func("/tls/server-updates-its-keys", test_server_updates_its_keys);
	g_test_add_func("/tls/key-update-flood-is-refused", test_key_update_flood_is_refused);
	g_test_add_func("/tls/close-notify", test_close_notify);
	g_test_add_func("/tls/flipped-bit-is-refused", test_flipped_bit_is_refused);
	g_test_add_func("/tls/bad-records-are-refused", test_bad_records_are_refused);
	g_test_add_func("/tls/half-record-then-eof", test_half_record_then_eof);
	g_test_add_func("/tls/tls12-stays-with-openssl", test_tls12_stays_with_openssl);
	status = g_test_run();

	tls_shutdown();
	OSSL_LIB_CTX_free(client_lib);
	{
		g_autofree char *cert = g_build_filename(tmp_dir, "tls-cert.pem", NULL);
		g_autofree char *key = g_build_filename(tmp_dir, "tls-key.pem", NULL);
		g_unlink(cert);
		g_unlink(key);
		g_rmdir(tmp_dir);
		g_free(tmp_dir);
	}
	return status;
}
