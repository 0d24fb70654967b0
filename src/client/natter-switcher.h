/* natter-switcher.h - Ctrl+K: a small window to jump to a conversation by
 * typing part of its name. Enter opens the first match (or the selected
 * one, with Down/Up), Escape closes it. */
#ifndef NATTER_SWITCHER_H
#define NATTER_SWITCHER_H

#include <adwaita.h>

#include "natter-session.h"

G_BEGIN_DECLS

#define NATTER_TYPE_SWITCHER (natter_switcher_get_type())
G_DECLARE_FINAL_TYPE(NatterSwitcher, natter_switcher, NATTER, SWITCHER, AdwWindow)

/* Emits "done" after making a conversation active, then closes. */
NatterSwitcher *natter_switcher_new(GtkWindow *parent, NatterSession *session);
/* Types @text into the search field (for tests). */
void natter_switcher_set_query(NatterSwitcher *self, const char *text);
/* Opens the first (or selected) match, as Enter does. */
void natter_switcher_choose(NatterSwitcher *self);

G_END_DECLS

#endif
