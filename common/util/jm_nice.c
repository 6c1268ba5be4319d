/*  jm_nice: a program's CPU priority.  See jm_nice.h.  */
#include "jm_nice.h"

#include <assert.h>
#include <errno.h>
#include <sys/resource.h>

int
jm_nice_at_least (int niceness)
{
    assert (niceness >= 0 && niceness <= 19);
    errno = 0;
    int current = getpriority (PRIO_PROCESS, 0);
    if (current == -1 && errno)
        return -1;
    if (current >= niceness)
        return 0;
    //  on Linux, PRIO_PROCESS with 0 is the calling thread
    return setpriority (PRIO_PROCESS, 0, niceness);
}
