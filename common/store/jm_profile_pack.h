/*  jm_profile_pack: the stored normalized profile in compact binary form.

    The matcher keeps each candidate's normalized profile for re-scoring
    (<ns>:profile:<candidate>, proto/services.md): as JSON
    (jm_candidate_write_profile) a 15-skill profile takes some 850 bytes;
    packed here, some 310.  Packing takes what jm_candidate_write_profile
    writes, field by field in its order, and unpacking writes that JSON
    back byte for byte (tests/unit/test_profile.c checks every round trip),
    so the stored form changes nothing a re-scoring sees.  Profiles stored
    as JSON by older matchers are still read: the first byte tells the two
    apart ('{' for JSON, JM_PROFILE_PACKED).

    Layout: the byte JM_PROFILE_PACKED, the id, a flags byte (1: name, 2:
    years_experience, 4: ignored), name?, years_experience?, then the skill
    count and each skill (id, flags 1: name, 2: level, 4: years, 8:
    last_used, 16: from_resume, then those present), the unknown count and
    each, the ignored count and each (id, status, reason).  A string is a
    varint length then its UTF-8 bytes; a count a varint; a number a tag
    byte (0: a zigzag varint integer follows, 1: 8 bytes of IEEE double,
    little-endian).                                                         */
#ifndef JM_PROFILE_PACK_H
#define JM_PROFILE_PACK_H

#include "jm_buf.h"
#include "jm_candidate.h"
#include "jm_taxonomy.h"
#include "jm_error.h"

#include <stdbool.h>
#include <stddef.h>

#define JM_PROFILE_PACKED   0xF1    //  never the first byte of JSON text or of UTF-8

//  Appends the packed normalized profile of candidate to out (the JSON of
//  jm_candidate_write_profile, packed).
void jm_profile_pack (const jm_candidate_t *candidate, const jm_taxonomy_t *taxonomy,
                      jm_buf_t *out);

//  True when len bytes at data are a packed profile (by the first byte).
bool jm_profile_is_packed (const char *data, size_t len);

//  Appends the JSON text of a packed profile to out, as
//  jm_candidate_write_profile wrote it.  Returns 0, or -1 with err set
//  (invalid_data, naming the byte) when the bytes are truncated, overlong
//  or malformed (out is then as it was).
int jm_profile_unpack (const char *data, size_t len, jm_buf_t *out, jm_error_t *err);

#endif
