/*  jm_service: the life of a service process.  See jm_service.h.  */
#include "jm_service.h"
#include "jm_log.h"

#include <assert.h>
#include <czmq.h>
#include <signal.h>
#include <string.h>

int
jm_service_main (const char *program, const char *synopsis,
                 const jm_config_option_t *options, int argc, char **argv,
                 jm_service_start_fn *start, jm_service_stop_fn *stop)
{
    assert (program && options && start && stop);
    int exit_code;
    jm_config_t *config = jm_config_from_main (program, synopsis, options, argc, argv, &exit_code);
    if (!config)
        return exit_code;
    jm_log_init (program, jm_config_bool (config, "verbose") ? JM_LOG_DEBUG : JM_LOG_INFO);
    jm_log_format_t log_format;
    if (jm_log_format_parse (jm_config_string (config, "log-format"), &log_format)) {
        fprintf (stderr, "%s: --log-format: '%s' is not text or json\n", program,
                 jm_config_string (config, "log-format"));
        jm_config_destroy (&config);
        return 2;
    }
    jm_log_set_format (log_format);

    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    signal (SIGPIPE, SIG_IGN);
    zsys_handler_set (NULL);

    jm_error_t err;
    jm_error_clear (&err);
    void *service = start (config, &err);
    jm_config_destroy (&config);
    if (!service) {
        jm_log_error ("cannot start: %s", err.message);
        return 1;
    }
    int signal_number = 0;
    sigwait (&signals, &signal_number);
    jm_log_info ("stopping on %s", strsignal (signal_number));
    stop (service);
    return 0;
}
