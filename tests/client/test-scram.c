/* test-scram.c - the client's SCRAM-SHA-256 against RFC 7677's example
 * (section 3) and PBKDF2-HMAC-SHA-256 against a known vector. */
#include <gio/gio.h>
#include <string.h>

#include "natter-scram.h"

static void test_rfc7677(void)
{
	g_autoptr(NatterScram) s = natter_scram_new("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
	g_assert_cmpstr(natter_scram_client_first(s), ==, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");

	const char *server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
				   "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
	g_autoptr(GError) error = NULL;
	g_autofree char *final = natter_scram_client_final(s, server_first, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(final, ==, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
				   "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
	g_assert_true(natter_scram_check_server_final(
		s, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", &error));
	g_assert_no_error(error);
	g_assert_false(natter_scram_check_server_final(
		s, "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", &error));
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

static void test_bad_challenges(void)
{
	g_autoptr(NatterScram) s = natter_scram_new("user", "pencil", "abc");
	const char *bad[] = {
		"r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", /* not our nonce */
		"r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",    /* no server part */
		"r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",    /* no iterations */
		"r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999", /* too many */
		"r=abcdef,i=4096",                             /* no salt */
	};
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *final = natter_scram_client_final(s, bad[i], &error);
		g_assert_null(final);
		g_assert_nonnull(error);
	}
	/* Nothing to check a server-final against before the challenge. */
	g_autoptr(GError) error = NULL;
	g_assert_false(natter_scram_check_server_final(s, "v=AAAA", &error));
}

static void test_pbkdf2(void)
{
	/* RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1), first 32 bytes. */
	static const guint8 want[32] = {
		0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91, 0xc2, 0x25, 0x44, 0xb6, 0x05,
		0xf9, 0x41, 0x85, 0x21, 0x6d, 0xde, 0x04, 0x65, 0xe6, 0x8b, 0x9d, 0x57, 0xc2, 0x0d, 0xac, 0xbc,
	};
	guint8 out[32];
	natter_pbkdf2_sha256("passwd", (const guint8 *)"salt", 4, 1, out);
	g_assert_cmpmem(out, 32, want, 32);
}

static void test_random_nonce(void)
{
	g_autoptr(NatterScram) a = natter_scram_new("a=b,c", "pw", NULL);
	g_autoptr(NatterScram) b = natter_scram_new("a=b,c", "pw", NULL);
	g_assert_true(g_str_has_prefix(natter_scram_client_first(a), "n,,n=a=3Db=2Cc,r="));
	g_assert_cmpstr(natter_scram_client_first(a), !=, natter_scram_client_first(b));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/scram/rfc7677", test_rfc7677);
	g_test_add_func("/scram/bad-challenges", test_bad_challenges);
	g_test_add_func("/scram/pbkdf2", test_pbkdf2);
	g_test_add_func("/scram/random-nonce", test_random_nonce);
	return g_test_run();
}
