/* natter-input-bar.h - the message entry and Send button. Enter sends, Tab
 * completes nicknames, Up/Down walk the input history. Text that could not
 * be sent (e.g. while disconnected) stays in the entry. */
#ifndef NATTER_INPUT_BAR_H
#define NATTER_INPUT_BAR_H

#include <gtk/gtk.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_INPUT_BAR (natter_input_bar_get_type())
G_DECLARE_FINAL_TYPE(NatterInputBar, natter_input_bar, NATTER, INPUT_BAR, GtkBox)

void natter_input_bar_set_session(NatterInputBar *self, NatterSession *session);
/* Sends what is in the entry, as Enter and the Send button do. */
void natter_input_bar_send(NatterInputBar *self);
void natter_input_bar_focus(NatterInputBar *self);

G_END_DECLS

#endif
