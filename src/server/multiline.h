/* multiline.h - IRCv3 draft/multiline: a client sends one message of
 * several lines as "BATCH +ref draft/multiline <target>", PRIVMSG (or
 * NOTICE) lines tagged @batch=ref, then "BATCH -ref". natterd checks the
 * limits it advertises in the cap value and delivers it as one batch to
 * recipients with draft/multiline and batch, as separate lines to others. */
#ifndef NATTERD_MULTILINE_H
#define NATTERD_MULTILINE_H

#include <stdbool.h>

#include "irc_message.h"

struct client;

/* "max-bytes=4096,max-lines=24": the cap value. */
const char *multiline_cap_value(void);

/* BATCH from a client. */
void cmd_batch(struct client *c, struct irc_message *msg);

/* When @msg belongs to @c's open multiline batch, takes it and returns
 * true (command_dispatch calls this before the command table). */
bool multiline_take_line(struct client *c, const struct irc_message *msg);

/* Forgets @c's open batch (at client exit). */
void multiline_free(struct client *c);

#endif
