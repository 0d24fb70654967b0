/* test-settings.c - remembered connect values; each running natter keeps its
 * own name (a second window is not pre-filled with the first one's). */
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>

#include "natter-settings.h"

static char *tmp;

/* Pretends another natter (process @pid) uses @nick. */
static void other_uses(long pid, const char *nick)
{
	g_autofree char *dir = g_build_filename(g_get_user_runtime_dir(), "natter", NULL);
	g_autofree char *name = g_strdup_printf("in-use-%ld", pid);
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_true(g_file_set_contents(path, nick, -1, NULL));
}

static void save_nick(const char *nick)
{
	g_autoptr(NatterSettings) s = natter_settings_load();
	g_autoptr(GError) error = NULL;
	g_free(s->nick);
	s->nick = g_strdup(nick);
	g_assert_true(natter_settings_save(s, &error));
	g_assert_no_error(error);
}

/* A process id that is certainly not running: one that just ended. */
static long dead_pid(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSubprocess) p = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, "true", NULL);
	g_assert_no_error(error);
	long pid = atol(g_subprocess_get_identifier(p));
	g_subprocess_wait(p, NULL, NULL);
	return pid;
}

static void test_own_name(void)
{
	{
		g_autoptr(NatterSettings) s = natter_settings_load();
		g_assert_cmpstr(s->host, ==, NATTER_DEFAULT_HOST);
		g_assert_cmpuint(s->port, ==, NATTER_DEFAULT_PORT);
		g_assert_cmpstr(s->nick, ==, "");
	}
	/* This window used bob, an earlier one alice: alice is the older name. */
	save_nick("alice");
	save_nick("bob");
	{
		g_autoptr(NatterSettings) s = natter_settings_load();
		g_assert_cmpstr(s->nick, ==, "bob"); /* our own claim does not count */
	}
	/* Another running natter uses bob: this window gets alice. */
	other_uses((long)getppid(), "BOB");
	{
		g_autoptr(NatterSettings) s = natter_settings_load();
		g_assert_cmpstr(s->nick, ==, "alice");
		g_autoptr(GPtrArray) used = natter_settings_names_in_use();
		g_assert_cmpuint(used->len, ==, 1);
	}
	/* Both in use: nothing pre-filled rather than a name that is taken. */
	other_uses(1, "alice");
	{
		g_autoptr(NatterSettings) s = natter_settings_load();
		g_assert_cmpstr(s->nick, ==, "");
	}
	/* A natter that has ended frees its name (and its file goes). */
	g_autofree char *dir = g_build_filename(g_get_user_runtime_dir(), "natter", NULL);
	g_autofree char *one = g_build_filename(dir, "in-use-1", NULL);
	g_unlink(one);
	long gone = dead_pid();
	other_uses(gone, "alice");
	{
		g_autoptr(NatterSettings) s = natter_settings_load();
		g_assert_cmpstr(s->nick, ==, "alice");
		g_autofree char *name = g_strdup_printf("in-use-%ld", gone);
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	}
}

/* Each name's rooms come back at the next start, and saving the connect
 * values (which rewrites the file) keeps them. */
static void test_rooms_per_name(void)
{
	g_autoptr(GError) error = NULL;
	const char *const alice_rooms[] = { "#dev", "#Music", NULL };
	const char *const bob_rooms[] = { "#ops", NULL };

	g_auto(GStrv) none = natter_settings_load_rooms("carol");
	g_assert_cmpuint(g_strv_length(none), ==, 0);
	g_assert_true(natter_settings_save_rooms("Alice", alice_rooms, &error));
	g_assert_true(natter_settings_save_rooms("bob", bob_rooms, &error));
	g_assert_no_error(error);
	save_nick("alice"); /* rewrites [connect] */
	g_auto(GStrv) a = natter_settings_load_rooms("ALICE"); /* names fold as IRC does */
	g_assert_cmpstrv(a, alice_rooms);
	g_auto(GStrv) b = natter_settings_load_rooms("bob");
	g_assert_cmpstrv(b, bob_rooms);
	/* left every room: an empty list, not the old one */
	const char *const empty[] = { NULL };
	g_assert_true(natter_settings_save_rooms("bob", empty, &error));
	g_auto(GStrv) b2 = natter_settings_load_rooms("bob");
	g_assert_cmpuint(g_strv_length(b2), ==, 0);
}

int main(int argc, char **argv)
{
	/* before GLib looks them up (it caches them) */
	tmp = g_dir_make_tmp("natter-settings-XXXXXX", NULL);
	g_autofree char *config = g_build_filename(tmp, "config", NULL);
	g_autofree char *runtime = g_build_filename(tmp, "run", NULL);
	g_setenv("XDG_CONFIG_HOME", config, TRUE);
	g_setenv("XDG_RUNTIME_DIR", runtime, TRUE);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/settings/own-name", test_own_name);
	g_test_add_func("/settings/rooms-per-name", test_rooms_per_name);
	int rc = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		rc = 1;
	g_free(tmp);
	return rc;
}
