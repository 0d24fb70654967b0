/* transport_plain.c - the "socket" transport: plain TCP, straight read(2)
 * and write(2) on the connection's descriptor (see transport.h). */
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "transport.h"

static ssize_t plain_read(struct conn *conn, char *buf, size_t len)
{
	return read(conn->fd, buf, len);
}

static ssize_t plain_write(struct conn *conn, const char *buf, size_t len)
{
	return write(conn->fd, buf, len);
}

static bool plain_pending(struct conn *conn)
{
	(void)conn;
	return false;
}

static short plain_events(struct conn *conn, short want)
{
	(void)conn;
	return want;
}

static bool plain_established(struct conn *conn)
{
	(void)conn;
	return true;
}

static const char *plain_strerror(struct conn *conn, int err)
{
	(void)conn;
	return strerror(err);
}

const struct transport_ops transport_plain = {
	.name = "socket",
	.secure = false,
	.read = plain_read,
	.write = plain_write,
	.pending = plain_pending,
	.events = plain_events,
	.ready = plain_events, /* the same identity mapping */
	.established = plain_established,
	.strerror = plain_strerror,
};
