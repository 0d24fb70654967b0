/* Unit tests for src/server/config.c: defaults, the key file, comments
 * after values, command-line overrides, and clear errors for bad values. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char *write_config(const char *text)
{
	GError *error = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("natterd-unit-XXXXXX.conf", &path, &error);

	g_assert_no_error(error);
	g_assert_true(g_file_set_contents(path, text, -1, &error));
	g_assert_no_error(error);
	close(fd);
	return path;
}

static struct config *load(const char *text, const char *data_dir, GError **error)
{
	g_autofree char *path = text != NULL ? write_config(text) : NULL;
	struct config_overrides ov = { 0 };
	struct config *cfg;

	ov.config_file = path;
	ov.data_dir = (char *)data_dir;
	cfg = config_load(&ov, error);
	if (path != NULL)
		g_unlink(path);
	return cfg;
}

static void test_defaults(void)
{
	GError *error = NULL;
	struct config *cfg = load(NULL, "/tmp/natterd-unit-none", &error);

	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	g_assert_nonnull(cfg->name);
	g_assert_cmpint(cfg->max_clients, >, 0);
	g_assert_cmpint(cfg->sendq, >=, 1024);
	g_assert_nonnull(cfg->default_channels);
	g_assert_cmpstr(cfg->default_channels[0], ==, "#lobby");
	g_assert_cmpstr(cfg->data_dir, ==, "/tmp/natterd-unit-none");
	config_free(cfg);
}

static void test_file_values_and_comments(void)
{
	GError *error = NULL;
	struct config *cfg = load("[server]\n"
				  "name = irc.unit.test   # the name\n"
				  "network = UnitNet\n"
				  "[limits]\n"
				  "max_clients = 42 # comment\n"
				  "flood_rate = 2.5\n"
				  "[channels]\n"
				  "default = #a;#b\n",
				  "/tmp/x", &error);

	g_assert_no_error(error);
	g_assert_cmpstr(cfg->name, ==, "irc.unit.test");
	g_assert_cmpstr(cfg->network, ==, "UnitNet");
	g_assert_cmpint(cfg->max_clients, ==, 42);
	g_assert_cmpfloat(cfg->flood_rate, ==, 2.5);
	config_free(cfg);
}

static void test_bad_values_are_errors(void)
{
	static const char *const bad[] = {
		"[limits]\nmax_clients = 0\n",
		"[limits]\nmax_clients = lots\n",
		"[limits]\nsendq = 10\n",
		"[limits]\nflood_rate = -1\n",
		"this is not a key file\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *error = NULL;
		struct config *cfg = load(bad[i], "/tmp/x", &error);
		g_assert_null(cfg);
		g_assert_nonnull(error);
		g_assert_cmpuint(strlen(error->message), >, 10);
		g_error_free(error);
	}
}

static void test_unknown_keys_are_only_warnings(void)
{
	GError *error = NULL;
	struct config *cfg = load("[server]\nno_such_key = 1\n[nosuchgroup]\nx = y\n", "/tmp/x",
				  &error);

	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	config_free(cfg);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/file-values-and-comments", test_file_values_and_comments);
	g_test_add_func("/config/bad-values", test_bad_values_are_errors);
	g_test_add_func("/config/unknown-keys", test_unknown_keys_are_only_warnings);
	return g_test_run();
}
