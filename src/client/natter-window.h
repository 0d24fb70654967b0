/* natter-window.h - the main window: the connect screen, then the chat
 * screen, over one NatterSession. Raises a notification for private
 * messages that arrive while the window is not focused. */
#ifndef NATTER_WINDOW_H
#define NATTER_WINDOW_H

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define NATTER_TYPE_WINDOW (natter_window_get_type())
G_DECLARE_FINAL_TYPE(NatterWindow, natter_window, NATTER, WINDOW, GtkApplicationWindow)

NatterWindow *natter_window_new(GtkApplication *app);
/* Fills the connect screen (NULL/0: keep the remembered value). */
void natter_window_fill(NatterWindow *self, const char *host, guint16 port, const char *nick);
void natter_window_connect(NatterWindow *self);
/* Shows the conversation called @name, if open. */
void natter_window_show_conversation(NatterWindow *self, const char *name);

G_END_DECLS

#endif
