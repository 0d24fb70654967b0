/* test-keyring.c - passwords go to the Secret Service (libsecret) and come
 * back; run under with-xvfb.sh + with-keyring.sh (a private GNOME Keyring).
 * Skips, saying why, where no keyring can run. */
#include <string.h>

#include "natter-keyring.h"

static void test_roundtrip(void)
{
	g_autoptr(GError) error = NULL;

	if (!natter_keyring_store("127.0.0.1", 6697, "Carol", "correct horse", &error)) {
		g_test_skip_printf("no keyring here: %s", error->message);
		return;
	}
	char *pw = natter_keyring_lookup("127.0.0.1", 6697, "carol", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(pw, ==, "correct horse"); /* account names ignore case */
	natter_keyring_free(pw);
	/* Another port, another server: nothing. */
	g_assert_null(natter_keyring_lookup("127.0.0.1", 2048, "carol", NULL));
	g_assert_null(natter_keyring_lookup("10.0.0.1", 6697, "carol", NULL));
	/* Replaced, then gone. */
	g_assert_true(natter_keyring_store("127.0.0.1", 6697, "carol", "new horse", &error));
	pw = natter_keyring_lookup("127.0.0.1", 6697, "carol", &error);
	g_assert_cmpstr(pw, ==, "new horse");
	natter_keyring_free(pw);
	g_assert_true(natter_keyring_clear("127.0.0.1", 6697, "carol", &error));
	g_assert_null(natter_keyring_lookup("127.0.0.1", 6697, "carol", &error));
	g_assert_no_error(error);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/keyring/roundtrip", test_roundtrip);
	return g_test_run();
}
