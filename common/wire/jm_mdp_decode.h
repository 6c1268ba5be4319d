/*  jm_mdp_decode: pure decoders for every Majordomo message jobmatch reads
    (proto/protocol.md).  Each takes a received zmsg_t apart by position
    after checking its frame count, and returns the frames it found as
    borrowed pointers in a small struct, or a text that says what is wrong
    and where.  They never touch a socket, never log, never allocate and
    never trust zmsg_next (which wraps around to the first frame after
    returning NULL), so any message at all is safe to hand them: the
    fuzz targets in tests/fuzz/ call them directly.

        jm_mdp_client_decode     gateway: a message from a client
        jm_mdp_worker_decode     gateway: a message from a worker
        jm_mdp_gateway_decode    worker:  a message from the gateway
        jm_mdp_reply_decode      client:  a reply from the gateway

    The frames stay the message's: they are valid until it is destroyed or
    the caller takes them out of it (zmsg_remove).  This module is the
    protocol itself (its constants and names too); jm_mdp builds the
    sockets and the worker and client classes on top of it.              */
#ifndef JM_MDP_DECODE_H
#define JM_MDP_DECODE_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

//  --------------------------------------------------------------------------
//  Protocol constants

#define JM_MDPC                 "MDPC01"    //  client protocol header (7/MDP)
#define JM_MDPW                 "MDPW01"    //  worker protocol header (7/MDP)

#define JM_MDPW_READY           0x01
#define JM_MDPW_REQUEST         0x02
#define JM_MDPW_REPLY           0x03
#define JM_MDPW_HEARTBEAT       0x04
#define JM_MDPW_DISCONNECT      0x05

#define JM_MDP_REQUEST_ID_MAX   255         //  request ids are 1..255 bytes
#define JM_MDP_SERVICE_MAX      255         //  service names are 1..255 bytes
#define JM_MDP_SLOTS_MAX        1000        //  READY "slots=N", 1..1000
#define JM_MDP_TOKEN_SIZE       12          //  size of the gateway's dispatch tokens

#define JM_MDP_HEARTBEAT_MS     1000        //  default heartbeat interval
#define JM_MDP_STOCK_HEARTBEAT_MS 2500      //  a stock 7/MDP worker's, when it declares none
#define JM_MDP_HEARTBEAT_MIN    10          //  READY "heartbeat=N", 10..600000
#define JM_MDP_HEARTBEAT_MAX    600000
#define JM_MDP_LIVENESS         3           //  default heartbeats missed before "lost"
#define JM_MDP_HWM              100000      //  send/receive high water marks

//  Built-in services the gateway answers itself
#define JM_MDP_MMI_PREFIX       "mmi."
#define JM_MDP_MMI_SERVICE      "mmi.service"
#define JM_MDP_STATS_SERVICE    "jobmatch.stats"
#define JM_MDP_SYSTEM_SERVICE   "jobmatch.system"
#define JM_MDP_NAME_MAX         64          //  READY "name=TEXT", bytes of TEXT

//  --------------------------------------------------------------------------
//  Decoding

#define JM_MDP_ENVELOPE_MAX     8       //  frames a client's envelope may have
#define JM_MDP_ENVELOPE_FRAME_MAX 255   //  bytes an envelope frame may have
#define JM_MDP_BODY_FRAMES_MAX  64      //  frames a body may have
#define JM_MDP_EXTENSIONS_MAX   16      //  READY extension frames
#define JM_MDP_PROBLEM_MAX      200     //  a problem text fits in this

//  Outcomes of a decoder.
#define JM_MDP_DECODE_OK        0       //  well formed; out is filled
#define JM_MDP_DECODE_ANSWER    (-1)    //  malformed, but the sender can be told so
#define JM_MDP_DECODE_DROP      (-2)    //  malformed beyond an answer

//  A client message as the gateway's ROUTER receives it.
typedef struct {
    zframe_t *identity;                         //  the client's routing id
    zframe_t *envelope [JM_MDP_ENVELOPE_MAX];   //  frames before the delimiter
    size_t envelope_size;
    zframe_t *service;                          //  NULL when unusable
    zframe_t *body [JM_MDP_BODY_FRAMES_MAX];
    size_t body_size;                           //  frames in body
} jm_mdp_client_msg_t;

//  A worker protocol message: from a worker at the gateway (identity set)
//  or from the gateway at a worker (identity NULL).
typedef struct {
    zframe_t *identity;                         //  the worker's routing id (gateway side)
    int command;                                //  JM_MDPW_*, or 0 when unknown
    zframe_t *service;                          //  READY
    zframe_t *extensions [JM_MDP_EXTENSIONS_MAX];   //  READY, HEARTBEAT "key=value" frames
    size_t extension_size;
    zframe_t *token;                            //  REQUEST, REPLY
    zframe_t *body [JM_MDP_BODY_FRAMES_MAX];    //  REQUEST, REPLY
    size_t body_size;
} jm_mdp_worker_msg_t;

//  A reply as a client receives it.
typedef struct {
    zframe_t *envelope [JM_MDP_ENVELOPE_MAX];   //  frames before the delimiter:
    size_t envelope_size;                       //  our clients' request id
    zframe_t *service;
    zframe_t *body [JM_MDP_BODY_FRAMES_MAX];
    size_t body_size;
} jm_mdp_reply_msg_t;

//  Name of a worker command for logs ("READY", ..., "UNKNOWN").
const char *
    jm_mdp_command_name (int command);

//  Writes a peer-supplied frame as printable text into buffer: at most 32
//  bytes, other bytes as '?', "..." when cut.  Returns buffer.
const char *
    jm_mdp_printable (zframe_t *frame, char *buffer, size_t size);

//  Returns true when data is a valid service name: 1..255 printable ASCII
//  characters without spaces.
bool
    jm_mdp_service_name_ok (const void *data, size_t size);

//  Decodes a client message [identity, envelope..., "", MDPC01, service,
//  body...]: up to JM_MDP_ENVELOPE_MAX envelope frames of 1..255 bytes (a
//  stock client has none, ours one: the request id) and 1 to
//  JM_MDP_BODY_FRAMES_MAX body frames.  Returns JM_MDP_DECODE_OK, or
//  JM_MDP_DECODE_ANSWER with a problem the client should be told
//  (out->identity and out->envelope are set, out->service when usable),
//  or JM_MDP_DECODE_DROP with a problem to log.  problem gets a
//  NUL-terminated text either way ("" when well formed).
int
    jm_mdp_client_decode (zmsg_t *msg, jm_mdp_client_msg_t *out, char *problem, size_t size);

//  Decodes a message from a worker [identity, "", MDPW01, command, ...]:
//  READY service extension*, REPLY token "" body..., HEARTBEAT,
//  DISCONNECT.  Bodies are 1 to JM_MDP_BODY_FRAMES_MAX frames.
//  Returns JM_MDP_DECODE_OK, or JM_MDP_DECODE_DROP with a problem (then
//  out->identity is set when the message had a frame at all, and
//  out->command when it was readable).
int
    jm_mdp_worker_decode (zmsg_t *msg, jm_mdp_worker_msg_t *out, char *problem, size_t size);

//  Decodes a message from the gateway at a worker ["", MDPW01, command,
//  ...]: REQUEST token "" body..., HEARTBEAT, DISCONNECT.  Returns
//  JM_MDP_DECODE_OK or JM_MDP_DECODE_DROP with a problem.
int
    jm_mdp_gateway_decode (zmsg_t *msg, jm_mdp_worker_msg_t *out, char *problem, size_t size);

//  Decodes a reply at a client [envelope..., "", MDPC01, service, body...]
//  (the envelope is what the client sent before its delimiter: our
//  clients' request id).  Returns JM_MDP_DECODE_OK or JM_MDP_DECODE_DROP
//  with a problem.
int
    jm_mdp_reply_decode (zmsg_t *msg, jm_mdp_reply_msg_t *out, char *problem, size_t size);

#endif
