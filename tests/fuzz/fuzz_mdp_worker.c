/*  fuzz_mdp_worker: jm_mdp_worker_decode, the gateway's reading of a
    message on its workers socket, and what the gateway then parses from a
    READY's extension frames.  Checks: a well-formed message has an identity
    and a command a worker may send, with the frames that command needs,
    all belonging to the message.                                         */
#include "fuzz_mdp.h"
#include "jm_mdp.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zmsg_t *msg = fuzz_mdp_message (data, size);
    jm_mdp_worker_msg_t out;
    char problem [JM_MDP_PROBLEM_MAX];
    int rc = jm_mdp_worker_decode (msg, &out, problem, sizeof problem);
    if (rc != JM_MDP_DECODE_OK && rc != JM_MDP_DECODE_DROP)
        abort ();
    if ((rc == JM_MDP_DECODE_OK) != (*problem == 0))
        abort ();
    fuzz_mdp_check_frame (msg, out.identity);
    if (rc == JM_MDP_DECODE_OK) {
        if (!out.identity)
            abort ();
        switch (out.command) {
            case JM_MDPW_READY:
                if (!out.service || out.extension_size > JM_MDP_EXTENSIONS_MAX)
                    abort ();
                fuzz_mdp_check_frame (msg, out.service);
                for (size_t index = 0; index < out.extension_size; index++) {
                    zframe_t *frame = out.extensions [index];
                    fuzz_mdp_check_frame (msg, frame);
                    jm_error_t err;
                    jm_error_clear (&err);
                    int slots = jm_mdp_slots_parse (zframe_data (frame), zframe_size (frame), &err);
                    if (slots != -1 && (slots < 1 || slots > JM_MDP_SLOTS_MAX))
                        abort ();
                }
                break;
            case JM_MDPW_REPLY:
                if (!out.token || out.body_size < 1 || out.body_size > JM_MDP_BODY_FRAMES_MAX)
                    abort ();
                fuzz_mdp_check_frame (msg, out.token);
                for (size_t index = 0; index < out.body_size; index++)
                    fuzz_mdp_check_frame (msg, out.body [index]);
                break;
            case JM_MDPW_HEARTBEAT:
            case JM_MDPW_DISCONNECT:
                break;
            default:
                abort ();
        }
    }
    zmsg_destroy (&msg);
    return 0;
}
