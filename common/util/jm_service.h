/*  jm_service: the life of a service process, shared by every main.c.

    Reads the settings (command line, JOBMATCH_* variables, config file),
    starts logging, blocks SIGINT and SIGTERM in every thread (threads
    inherit the mask) and ignores SIGPIPE, starts the service, waits for a
    stop signal with sigwait, so no thread is interrupted mid-call, and
    stops it.                                                              */
#ifndef JM_SERVICE_H
#define JM_SERVICE_H

#include "jm_config.h"
#include "jm_error.h"

//  Starts the service from its settings; NULL with err set when it cannot.
typedef void *(jm_service_start_fn) (jm_config_t *config, jm_error_t *err);

//  Stops and frees what start returned.
typedef void (jm_service_stop_fn) (void *service);

//  Runs a service to the end and returns the process's exit status: 0
//  after a clean stop (or --help, --version), 1 when it cannot start, 2 for
//  bad settings.  The settings must hold a "verbose" boolean and a
//  "log-format" string (text or json).
int jm_service_main (const char *program, const char *synopsis,
                     const jm_config_option_t *options, int argc, char **argv,
                     jm_service_start_fn *start, jm_service_stop_fn *stop);

#endif
