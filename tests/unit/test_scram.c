/* Unit tests for src/server/scram.c against RFC 7677's SCRAM-SHA-256
 * example exchange (section 3), plus the ways a client can get it wrong. */
#include <glib.h>
#include <string.h>

#include "scram.h"

/* RFC 7677, section 3: user "user", password "pencil". */
#define RFC_PASSWORD "pencil"
#define RFC_SALT_B64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_ITERATIONS 4096
#define RFC_CLIENT_FIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define RFC_SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SERVER_FIRST \
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define RFC_CLIENT_FINAL \
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
	"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void rfc_credentials(struct scram_credentials *cred)
{
	gsize salt_len;
	g_autofree guchar *salt = g_base64_decode(RFC_SALT_B64, &salt_len);

	g_assert_true(scram_derive(RFC_PASSWORD, strlen(RFC_PASSWORD), salt, salt_len,
				   RFC_ITERATIONS, cred));
}

static void test_rfc7677_exchange(void)
{
	struct scram_session s = { 0 };
	struct scram_credentials cred;
	const char *error = NULL;
	g_autofree char *first = NULL;
	char *final = NULL;

	rfc_credentials(&cred);
	g_assert_true(scram_client_first(&s, RFC_CLIENT_FIRST, &error));
	g_assert_null(error);
	g_assert_cmpstr(s.username, ==, "user");
	first = scram_server_first(&s, &cred, RFC_SERVER_NONCE);
	g_assert_cmpstr(first, ==, RFC_SERVER_FIRST);
	g_assert_true(scram_client_final(&s, RFC_CLIENT_FINAL, &final, &error));
	g_assert_cmpstr(final, ==, RFC_SERVER_FINAL);
	g_free(final);
	scram_clear(&s);
}

static void test_wrong_password(void)
{
	struct scram_session s = { 0 };
	struct scram_credentials cred;
	const char *error = NULL;
	g_autofree char *first = NULL;
	char *final = NULL;
	gsize salt_len;
	g_autofree guchar *salt = g_base64_decode(RFC_SALT_B64, &salt_len);

	g_assert_true(scram_derive("pencil2", 7, salt, salt_len, RFC_ITERATIONS, &cred));
	g_assert_true(scram_client_first(&s, RFC_CLIENT_FIRST, &error));
	first = scram_server_first(&s, &cred, RFC_SERVER_NONCE);
	/* Same salt and nonces, so the message is identical; the proof is not. */
	g_assert_cmpstr(first, ==, RFC_SERVER_FIRST);
	g_assert_false(scram_client_final(&s, RFC_CLIENT_FINAL, &final, &error));
	g_assert_null(final);
	g_assert_cmpstr(error, ==, "wrong password");
	scram_clear(&s);
}

static void test_tampered_final(void)
{
	static const char *const bad[] = {
		/* another nonce */
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k1,"
		"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		/* channel binding data that is not the gs2 header */
		"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		/* a proof of the wrong length */
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAA",
		/* no proof */
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
		"",
	};
	struct scram_credentials cred;

	rfc_credentials(&cred);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct scram_session s = { 0 };
		const char *error = NULL;
		char *first, *final = NULL;

		g_assert_true(scram_client_first(&s, RFC_CLIENT_FIRST, &error));
		first = scram_server_first(&s, &cred, RFC_SERVER_NONCE);
		g_free(first);
		g_assert_false(scram_client_final(&s, bad[i], &final, &error));
		g_assert_nonnull(error);
		g_assert_null(final);
		scram_clear(&s);
	}
}

static void test_client_first_parsing(void)
{
	static const struct {
		const char *msg;
		const char *user; /* NULL: refused */
	} cases[] = {
		{ "n,,n=user,r=abc", "user" },
		{ "y,,n=user,r=abc", "user" },
		{ "n,a=user,n=user,r=abc", "user" },
		{ "n,,n=a=2Cb=3Dc,r=abc", "a,b=c" },
		{ "n,a=other,n=user,r=abc", NULL },   /* someone else's authzid */
		{ "p=tls-unique,,n=user,r=abc", NULL }, /* channel binding */
		{ "n,,m=ext,n=user,r=abc", NULL },    /* mandatory extension */
		{ "n,,n=,r=abc", NULL },
		{ "n,,n=us=2Xer,r=abc", NULL },       /* bad escape */
		{ "n,,n=user", NULL },
		{ "n,,n=user,r=", NULL },
		{ "n,,r=abc,n=user", NULL },
		{ "x,,n=user,r=abc", NULL },
		{ "n,n=user,r=abc", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct scram_session s = { 0 };
		const char *error = NULL;
		bool ok = scram_client_first(&s, cases[i].msg, &error);

		if (cases[i].user != NULL) {
			g_assert_true(ok);
			g_assert_cmpstr(s.username, ==, cases[i].user);
		} else {
			g_assert_false(ok);
			g_assert_nonnull(error);
		}
		scram_clear(&s);
	}
}

static void test_derive_is_deterministic(void)
{
	struct scram_credentials a, b, c;
	static const unsigned char salt[] = "0123456789abcdef";

	g_assert_true(scram_derive("secret", 6, salt, 16, 10, &a));
	g_assert_true(scram_derive("secret", 6, salt, 16, 10, &b));
	g_assert_true(scram_derive("secret", 6, salt, 16, 11, &c));
	g_assert_cmpmem(a.stored_key, SCRAM_KEY_LEN, b.stored_key, SCRAM_KEY_LEN);
	g_assert_true(memcmp(a.stored_key, c.stored_key, SCRAM_KEY_LEN) != 0);
	g_assert_false(scram_derive("secret", 6, salt, SCRAM_SALT_MAX + 1, 10, &a));
	g_assert_false(scram_derive("secret", 6, salt, 16, 0, &a));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/scram/rfc7677-exchange", test_rfc7677_exchange);
	g_test_add_func("/scram/wrong-password", test_wrong_password);
	g_test_add_func("/scram/tampered-final", test_tampered_final);
	g_test_add_func("/scram/client-first-parsing", test_client_first_parsing);
	g_test_add_func("/scram/derive", test_derive_is_deterministic);
	return g_test_run();
}
