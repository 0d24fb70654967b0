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
/* Focuses the entry and types @text at its end (typing while the focus is
 * elsewhere in the chat screen is not lost). */
void natter_input_bar_type(NatterInputBar *self, const char *text);
/* "bob: " into an empty box, else " bob " at the end; focused. */
void natter_input_bar_mention(NatterInputBar *self, const char *nick);
/* Shows @text (or nothing, NULL) under the box, as for a failed send. */
void natter_input_bar_show_error(NatterInputBar *self, const char *text);
/* Puts @text into the entry (replacing it), cursor at the end, focused. */
void natter_input_bar_set_text(NatterInputBar *self, const char *text);
/* What Tab does: completes the word before the cursor to the nickname of
 * someone in the conversation shown ("bo" -> "bob: " at the start of the
 * line, "bob " elsewhere); Tab again cycles through the other matches. */
void natter_input_bar_complete(NatterInputBar *self);
/* What Up (-1) and Down (+1) do: walk the input history. Edits to a line
 * (and what was typed before browsing) are kept while walking. */
void natter_input_bar_history_move(NatterInputBar *self, int delta);

G_END_DECLS

#endif
