/* window-helpers.c - widget lookup, drawing and screenshots shared by the
 * GUI tests (see window-helpers.h). */
#include "window-helpers.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "natter-application.h"
#include "natter-message-view.h"
#include "natterd-harness.h"

static char *gui_config_dir; /* the XDG_CONFIG_HOME of test_gui_init() */

void test_gui_init(int *argc, char ***argv, const char *tmp_template)
{
	gui_config_dir = g_dir_make_tmp(tmp_template, NULL);
	g_assert_nonnull(gui_config_dir);
	g_setenv("XDG_CONFIG_HOME", gui_config_dir, TRUE);
	gtk_test_init(argc, argv, NULL);
	natter_application_load_style();
}

int test_gui_run(void)
{
	int rc = g_test_run();
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", gui_config_dir);

	if (system(cmd) != 0)
		g_printerr("could not remove %s\n", gui_config_dir);
	g_clear_pointer(&gui_config_dir, g_free);
	return rc;
}

GtkWidget *test_find_widget(GtkWidget *root, GType type)
{
	if (G_TYPE_CHECK_INSTANCE_TYPE(root, type))
		return root;
	for (GtkWidget *c = gtk_widget_get_first_child(root); c != NULL; c = gtk_widget_get_next_sibling(c)) {
		GtkWidget *hit = test_find_widget(c, type);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

void test_settle(GtkWidget *win)
{
	for (int i = 0; i < 4; i++) {
		test_pump(10);
		gtk_widget_queue_draw(win);
		gtk_test_widget_wait_for_draw(win);
	}
	test_pump(0);
}

GtkAdjustment *test_message_adjustment(GtkWidget *root)
{
	GtkWidget *view = test_find_widget(root, NATTER_TYPE_MESSAGE_VIEW);
	GtkWidget *scroller = test_find_widget(view, GTK_TYPE_SCROLLED_WINDOW);

	return gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(scroller));
}

GdkTexture *test_render_widget(GtkWidget *widget, const char *path)
{
	int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
	g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
	GtkSnapshot *snapshot = gtk_snapshot_new();

	gdk_paintable_snapshot(paintable, snapshot, w, h);
	g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(snapshot);
	g_assert_nonnull(node);
	GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(widget));
	g_autoptr(GdkTexture) texture = gsk_renderer_render_texture(
		renderer, node, &GRAPHENE_RECT_INIT(0, 0, (float)w, (float)h));
	if (path != NULL) {
		g_assert_true(gdk_texture_save_to_png(texture, path));
		g_test_message("screenshot: %s (%dx%d)", path, w, h);
	}
	return g_steal_pointer(&texture);
}

void test_save_png(GtkWidget *widget, const char *path)
{
	g_autoptr(GdkTexture) texture = test_render_widget(widget, path);
}

char *test_artifact_path(const char *name)
{
	const char *dir = g_getenv("NATTER_ARTIFACTS");

	if (dir == NULL)
		return NULL;
	g_mkdir_with_parents(dir, 0755);
	return g_build_filename(dir, name, NULL);
}
