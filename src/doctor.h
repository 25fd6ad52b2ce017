/*
 * doctor.h - omg doctor: one line per check, ok/warn/fail and what to do.
 */
#ifndef OMG_DOCTOR_H
#define OMG_DOCTOR_H

#include "client.h"

/* Exit status 0 when nothing fails (warnings allowed), else 1. */
int	doctor_run(const struct client_opts *);

#endif
