/*  fuzz_mdp_reply: jm_mdp_reply_decode, a client's (the CLI's, the
    dashboard's) reading of a reply from the gateway.  Checks: a well-formed
    reply has a service, an envelope (our request id) and body frames,
    all of the message.    */
#include "fuzz_mdp.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = fuzz_mdp_message (data, size);
    jm_mdp_reply_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    int rc = jm_mdp_reply_decode (msg, &out, problem, sizeof problem);
    if (rc != JM_MDP_DECODE_OK && rc != JM_MDP_DECODE_DROP)
        abort ();
    if ((rc == JM_MDP_DECODE_OK) != (*problem == 0))
        abort ();
    if (rc == JM_MDP_DECODE_OK) {
        if (!out.service || out.body_size < 1 || out.body_size > JM_MDP_BODY_FRAMES_MAX
        ||  out.envelope_size > JM_MDP_ENVELOPE_MAX)
            abort ();
        fuzz_mdp_check_frame (msg, out.service);
        for (size_t index = 0; index < out.envelope_size; index++)
            fuzz_mdp_check_frame (msg, out.envelope [index]);
        for (size_t index = 0; index < out.body_size; index++)
            fuzz_mdp_check_frame (msg, out.body [index]);
    }
    zmsg_destroy (&msg);
    return 0;
}
