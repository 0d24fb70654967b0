/* natter-event-groups.h - a GListModel over a conversation's messages in
 * which each run of two or more consecutive joins, parts and quits is one
 * line: "bob and carol joined", "12 people joined, 3 left". Everything else
 * passes through. Appends (the usual change) update only the last line;
 * lines dropped at the front (the history cap) drop only their lines.
 * GTK-free: what the message view shows. */
#ifndef NATTER_EVENT_GROUPS_H
#define NATTER_EVENT_GROUPS_H

#include <gio/gio.h>

#include "natter-message.h"

G_BEGIN_DECLS

#define NATTER_TYPE_EVENT_GROUPS (natter_event_groups_get_type())
G_DECLARE_FINAL_TYPE(NatterEventGroups, natter_event_groups, NATTER, EVENT_GROUPS, GObject)

/* @messages: a GListModel of NatterMessage (kept, watched). */
NatterEventGroups *natter_event_groups_new(GListModel *messages);
/* How many source messages line @position stands for (1 unless grouped). */
guint natter_event_groups_get_span(NatterEventGroups *self, guint position);
/* The line that shows source message @message (by identity). */
gboolean natter_event_groups_find_source(NatterEventGroups *self, NatterMessage *message, guint *line);
/* The summary for a run of join/part/quit messages (for tests). */
char *natter_event_groups_summary(NatterMessage **run, guint n);

G_END_DECLS

#endif
