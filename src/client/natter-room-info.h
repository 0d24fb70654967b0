/* natter-room-info.h - one room in the server's room list (a LIST reply):
 * name, member count and topic, for the "Join a room" browser. GTK-free. */
#ifndef NATTER_ROOM_INFO_H
#define NATTER_ROOM_INFO_H

#include <glib-object.h>

G_BEGIN_DECLS

#define NATTER_TYPE_ROOM_INFO (natter_room_info_get_type())
G_DECLARE_FINAL_TYPE(NatterRoomInfo, natter_room_info, NATTER, ROOM_INFO, GObject)

NatterRoomInfo *natter_room_info_new(const char *name, guint members, const char *topic);
/* Properties "name", "members", "topic" (read-only). */
const char *natter_room_info_get_name(NatterRoomInfo *self);
guint natter_room_info_get_members(NatterRoomInfo *self);
const char *natter_room_info_get_topic(NatterRoomInfo *self);

G_END_DECLS

#endif
