/* window-helpers.h - for the GUI tests (real natter window in process,
 * under Xvfb): finding widgets, letting the window draw, the message view's
 * scroll position and screenshots, kept here once instead of a copy in
 * every GUI test file. */
#ifndef NATTER_TEST_WINDOW_HELPERS_H
#define NATTER_TEST_WINDOW_HELPERS_H

#include <gtk/gtk.h>

/* Starts a GUI test program: natter's settings go to a new temporary
 * XDG_CONFIG_HOME (@tmp_template, e.g. "natter-widgets-XXXXXX"), never the
 * real one; then gtk_test_init() and natter's style sheet. */
void test_gui_init(int *argc, char ***argv, const char *tmp_template);
/* g_test_run(), then removes that XDG_CONFIG_HOME; returns g_test_run's result. */
int test_gui_run(void);
/* The first widget of @type under @root (depth first, @root included), or NULL. */
GtkWidget *test_find_widget(GtkWidget *root, GType type);
/* Lets @win lay out and draw what arrived (a few frames). */
void test_settle(GtkWidget *win);
/* The vertical adjustment of the message view under @root. */
GtkAdjustment *test_message_adjustment(GtkWidget *root);
/* Renders @widget (its window) into a texture; saves it as @path when not NULL. */
GdkTexture *test_render_widget(GtkWidget *widget, const char *path);
/* test_render_widget() and drop the texture. */
void test_save_png(GtkWidget *widget, const char *path);
/* $NATTER_ARTIFACTS/@name (the directory made), or NULL when it is not set. */
char *test_artifact_path(const char *name);

#endif
