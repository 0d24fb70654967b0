/* natter-coalesced-model.h - a GListModel that shows another one, but
 * passes its changes on at most once per main-loop turn, as the smallest
 * items-changed (common head and tail kept). A 10,000-member NAMES reply is
 * ~300 changes to the member store; the member list sees one, so its
 * visible rows are bound once instead of ~300 times. GTK-free. */
#ifndef NATTER_COALESCED_MODEL_H
#define NATTER_COALESCED_MODEL_H

#include <gio/gio.h>

G_BEGIN_DECLS

#define NATTER_TYPE_COALESCED_MODEL (natter_coalesced_model_get_type())
G_DECLARE_FINAL_TYPE(NatterCoalescedModel, natter_coalesced_model, NATTER, COALESCED_MODEL, GObject)

NatterCoalescedModel *natter_coalesced_model_new(GType item_type);
/* Shows @source (or nothing, NULL) at once. */
void natter_coalesced_model_set_source(NatterCoalescedModel *self, GListModel *source);
/* Passes pending changes on now (else: in an idle before the next frame). */
void natter_coalesced_model_flush(NatterCoalescedModel *self);

G_END_DECLS

#endif
