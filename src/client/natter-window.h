/* natter-window.h - the main window: the connect screen, then the chat
 * screen, over one NatterSession. Raises a notification for private
 * messages that arrive while the window is not focused. */
#ifndef NATTER_WINDOW_H
#define NATTER_WINDOW_H

#include <adwaita.h>

#include "natter-session.h"
#include "natter-join-dialog.h"
#include "natter-switcher.h"

G_BEGIN_DECLS

#define NATTER_TYPE_WINDOW (natter_window_get_type())
G_DECLARE_FINAL_TYPE(NatterWindow, natter_window, NATTER, WINDOW, AdwApplicationWindow)

NatterWindow *natter_window_new(GtkApplication *app);
/* Fills the connect screen (NULL/0: keep the remembered value). */
void natter_window_fill(NatterWindow *self, const char *host, guint16 port, const char *nick);
void natter_window_connect(NatterWindow *self);
/* Ticks "Use a secure connection (TLS)" (natter --tls). */
void natter_window_set_tls(NatterWindow *self, gboolean tls);
/* The window's connection (owned by the window). */
NatterSession *natter_window_get_session(NatterWindow *self);
/* Ctrl+N, the header's + button: "Join a Room" (NULL when not connected). */
NatterJoinDialog *natter_window_open_join_dialog(NatterWindow *self);
/* Ctrl+K: the conversation switcher (NULL before connecting). */
NatterSwitcher *natter_window_open_switcher(NatterWindow *self);
/* Keys (actions on the window, so they work without an application):
 * Ctrl+K win.switcher, Alt+1..9 win.conversation-nth, Ctrl+Page Down/Up
 * win.conversation-next/-previous, Escape win.focus-input (back to the
 * message box), Page Up/Down win.scroll-page (the history). */
/* A passing message at the bottom of the window (an AdwToast). */
void natter_window_add_toast(NatterWindow *self, const char *text);
/* Shows the conversation called @name, if open. */
void natter_window_show_conversation(NatterWindow *self, const char *name);

/* TRUE when @msg in @conv deserves a desktop notification: someone else's
 * words in a private chat, or that mention one's name in a room, while the
 * window is not focused. */
gboolean natter_window_wants_notification(NatterConversation *conv, NatterMessage *msg,
					  gboolean window_focused);

/* Where the window's notifications go. The default sends a GNotification
 * (id "private-NICK" or "mention-#ROOM", default action
 * app.show-conversation) through the
 * window's application; tests put their own function here to observe them. */
typedef void (*NatterNotifyFunc)(NatterWindow *window, const char *id, const char *title,
				 const char *body, const char *conversation, gpointer data);
void natter_window_set_notify_func(NatterWindow *self, NatterNotifyFunc func, gpointer data);

G_END_DECLS

#endif
