/* natter-room-info.c - a LIST entry (see natter-room-info.h). */
#include "natter-room-info.h"

struct _NatterRoomInfo {
	GObject parent_instance;
	char *name;
	guint members;
	char *topic;
};

G_DEFINE_FINAL_TYPE(NatterRoomInfo, natter_room_info, G_TYPE_OBJECT)

enum { PROP_0, PROP_NAME, PROP_MEMBERS, PROP_TOPIC, N_PROPS };
static GParamSpec *props[N_PROPS];

static void natter_room_info_get_property(GObject *object, guint id, GValue *value,
					  GParamSpec *pspec)
{
	NatterRoomInfo *self = NATTER_ROOM_INFO(object);

	switch (id) {
	case PROP_NAME: g_value_set_string(value, self->name); break;
	case PROP_MEMBERS: g_value_set_uint(value, self->members); break;
	case PROP_TOPIC: g_value_set_string(value, self->topic); break;
	default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
	}
}

static void natter_room_info_finalize(GObject *object)
{
	NatterRoomInfo *self = NATTER_ROOM_INFO(object);

	g_free(self->name);
	g_free(self->topic);
	G_OBJECT_CLASS(natter_room_info_parent_class)->finalize(object);
}

static void natter_room_info_class_init(NatterRoomInfoClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->get_property = natter_room_info_get_property;
	object_class->finalize = natter_room_info_finalize;
	props[PROP_NAME] = g_param_spec_string("name", NULL, NULL, NULL,
					       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_MEMBERS] = g_param_spec_uint("members", NULL, NULL, 0, G_MAXUINT, 0,
						G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	props[PROP_TOPIC] = g_param_spec_string("topic", NULL, NULL, NULL,
						G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void natter_room_info_init(NatterRoomInfo *self)
{
	(void)self;
}

NatterRoomInfo *natter_room_info_new(const char *name, guint members, const char *topic)
{
	NatterRoomInfo *self = g_object_new(NATTER_TYPE_ROOM_INFO, NULL);

	self->name = g_strdup(name);
	self->members = members;
	self->topic = g_strdup(topic != NULL ? topic : "");
	return self;
}

const char *natter_room_info_get_name(NatterRoomInfo *self) { return self->name; }
guint natter_room_info_get_members(NatterRoomInfo *self) { return self->members; }
const char *natter_room_info_get_topic(NatterRoomInfo *self) { return self->topic; }
