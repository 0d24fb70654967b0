/* libFuzzer target for the SASL SCRAM-SHA-256 server parser (scram.c).
 *
 * The input is a client-first-message, a NUL, then a client-final-message
 * (without a NUL, the whole input is the first message). The exchange runs
 * as natterd runs it, with fixed credentials, and must never crash, leak
 * or read out of bounds; a proof that checks out on random input would be
 * a bug too, so it aborts. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scram_credentials cred;
	static bool ready;
	struct scram_session s = { 0 };
	const char *error = NULL;
	char *text, *second;

	if (!ready) {
		static const unsigned char salt[SCRAM_SALT_LEN] = "fuzzing salt....";
		if (!scram_derive("pencil", 6, salt, sizeof(salt), 4096, &cred))
			abort();
		ready = true;
	}
	text = g_malloc(size + 2);
	memcpy(text, data, size);
	text[size] = text[size + 1] = '\0';
	second = memchr(text, '\0', size) != NULL ? text + strlen(text) + 1 : NULL;
	if (scram_client_first(&s, text, &error)) {
		char *first = scram_server_first(&s, &cred, "servernonce");
		char *final = NULL;
		g_free(first);
		if (second != NULL && scram_client_final(&s, second, &final, &error)) {
			/* Only a client that knows "pencil" could get here. */
			if (final == NULL || strncmp(final, "v=", 2) != 0)
				abort();
			g_free(final);
		}
	}
	scram_clear(&s);
	g_free(text);
	return 0;
}
