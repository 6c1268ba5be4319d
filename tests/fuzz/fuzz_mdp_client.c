/*  fuzz_mdp_client: jm_mdp_client_decode, the gateway's reading of a
    client message.  Checks: the outcome is one of the three; a well-formed
    message has an identity, a usable service and 1..JM_MDP_BODY_FRAMES_MAX
    body frames, and every frame returned belongs to the message; a problem
    text is set exactly when the message is malformed.                    */
#include "fuzz_mdp.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = fuzz_mdp_message (data, size);
    jm_mdp_client_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    int rc = jm_mdp_client_decode (msg, &out, problem, sizeof problem);
    if (rc != JM_MDP_DECODE_OK && rc != JM_MDP_DECODE_ANSWER && rc != JM_MDP_DECODE_DROP)
        abort ();
    if ((rc == JM_MDP_DECODE_OK) != (*problem == 0))
        abort ();
    if (rc == JM_MDP_DECODE_OK
    && (!out.identity || !out.service || out.body_size < 1
        || out.body_size > JM_MDP_BODY_FRAMES_MAX
        || !jm_mdp_service_name_ok (zframe_data (out.service), zframe_size (out.service))))
        abort ();
    if (rc == JM_MDP_DECODE_ANSWER && !out.identity)
        abort ();
    if (out.envelope_size > JM_MDP_ENVELOPE_MAX)
        abort ();
    fuzz_mdp_check_frame (msg, out.identity);
    fuzz_mdp_check_frame (msg, out.service);
    for (size_t index = 0; index < out.envelope_size; index++)
        fuzz_mdp_check_frame (msg, out.envelope [index]);
    for (size_t index = 0; rc == JM_MDP_DECODE_OK && index < out.body_size; index++)
        fuzz_mdp_check_frame (msg, out.body [index]);
    zmsg_destroy (&msg);
    return 0;
}
