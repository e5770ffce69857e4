/* clock: the monotonic clock, for timeouts, ages and intervals (never for event times). */
#ifndef KAA_CLOCK_H
#define KAA_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);
/* CLOCK_MONOTONIC in microseconds. */
int64_t clock_mono_us(void);

#endif
