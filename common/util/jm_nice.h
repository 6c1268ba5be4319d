/*  jm_nice: a program's CPU priority against the stages it waits on.

    Every request passes through two single-threaded stages, the gateway's
    loop and Redis, while matchers and the batch CLI are many and keep
    their own queues.  On a host that runs them together, the CPU should go
    to the single stages first: measured on 2 cores during a batch of a
    million, each process waited for a CPU about as long as it ran, Redis
    20% of the time, and matchers and CLI at nice 10 (Redis and gateway at
    0) did 32,100-36,700 candidates/s against 28,300-31,100 at 0, three
    pairs alternated.  So matchers and `jobmatch batch` lower their own
    priority (`--nice`, 10 by default); where nothing competes for the CPU,
    this changes nothing.                                                   */
#ifndef JM_NICE_H
#define JM_NICE_H

//  Sets the calling thread's nice value to niceness (0..19) unless it is
//  already higher; threads it creates afterwards inherit it, so call it
//  before the first one starts (ZeroMQ's I/O thread comes with the first
//  socket).  Returns 0, or -1 with errno set when the system refuses.
int jm_nice_at_least (int niceness);

#endif
