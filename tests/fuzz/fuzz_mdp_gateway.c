/*  fuzz_mdp_gateway: jm_mdp_gateway_decode, a worker's (the matcher's)
    reading of a message from the gateway.  Checks: a well-formed message
    is REQUEST (with a token and body frames of the message), HEARTBEAT or
    DISCONNECT, never with an identity.                                   */
#include "fuzz_mdp.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = fuzz_mdp_message (data, size);
    jm_mdp_worker_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    int rc = jm_mdp_gateway_decode (msg, &out, problem, sizeof problem);
    if (rc != JM_MDP_DECODE_OK && rc != JM_MDP_DECODE_DROP)
        abort ();
    if ((rc == JM_MDP_DECODE_OK) != (*problem == 0) || out.identity)
        abort ();
    if (rc == JM_MDP_DECODE_OK) {
        if (out.command == JM_MDPW_REQUEST) {
            if (!out.token || out.body_size < 1 || out.body_size > JM_MDP_BODY_FRAMES_MAX)
                abort ();
            fuzz_mdp_check_frame (msg, out.token);
            for (size_t index = 0; index < out.body_size; index++)
                fuzz_mdp_check_frame (msg, out.body [index]);
        }
        else
        if (out.command != JM_MDPW_HEARTBEAT && out.command != JM_MDPW_DISCONNECT)
            abort ();
    }
    zmsg_destroy (&msg);
    return 0;
}
