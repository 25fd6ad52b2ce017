/*
 * client.h - one request, one answer: through the daemon's socket when a
 * daemon answers, else in this process from the same cache (embedded
 * mode) with the same query code.
 */
#ifndef OMG_CLIENT_H
#define OMG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct client_opts {
	const char	*socket;
	const char	*config;
	const char	*cache;
	const char	*advisories;
	int		 no_daemon;
	int		 timeout_ms;
};

/*
 * Send the request payload and put the response payload in resp.  Returns
 * 0, or -1 with a one-line reason in err when neither a daemon nor the
 * cache can answer.
 */
int	client_request(const struct client_opts *, const uint8_t *, size_t,
	    struct buf *, char *, size_t);

#endif
