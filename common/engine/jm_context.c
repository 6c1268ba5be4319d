/*  jm_context: negation, intent and other people's skills.  See jm_context.h.

    One pass over the plain text, word by word.  Each word is looked up
    (lower-cased, one hash probe) in a lexicon that gives it roles (a clause
    break, a blocker such as "only" after "not", a verb that opens an
    intent...) and the cue phrases it starts.  The pass keeps the state of
    the current clause (its latest cue, a cue that may apply backward) and of
    the current heading block ("Want to learn:" over the bullet lines below
    it), and decides each mention when it reaches the mention's start; a cue
    that applies backward ("Ich möchte Kubernetes lernen.") decides the
    clause's mentions at the clause's end, and a cue after a single skill
    ("Java: none", "Kotlin (never used)") decides that one mention at once.
    Look-aheads are bounded (a few words, one line), so the pass is linear
    in the text and allocates nothing.                                      */
#include "jm_context.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

//  --------------------------------------------------------------------------
//  The lexicon

//  What a cue says about the skills it covers
typedef enum { CUE_NONE = 0, CUE_NEGATION, CUE_INTENT, CUE_OTHERS } s_kind_t;

//  How a cue phrase applies
#define F_FWD       0x001       //  covers the mentions after it, to the clause's end
#define F_POST      0x002       //  after a single skill: "Java: none", "PHP (never used)"
#define F_TAIL      0x004       //  at a clause's end, covers the clause before it
#define F_HEAD      0x008       //  may open a heading: "No:", "Want to learn:"
#define F_HONLY     0x010       //  only as a heading (or after a skill, with F_POST)
#define F_GATE      0x020       //  "no", "without": only before a skill or "experience"
#define F_VERB      0x040       //  "want to": only before learn, try, explore...
#define F_LEARN     0x080       //  "learning": only after "currently", "am"... or first
#define F_TEAM      0x100       //  "a team that used", "juniors who used": not when
                                //  the candidate led or mentored them
#define F_COMMA     0x200       //  scope also ends at a comma (other people's)
#define F_WORK      0x400       //  only after "worked", "working": "worked alongside"
#define F_LIST      0x800       //  "no PHP, Java or Ruby": covers a list of skills only
#define F_SOFT      0x1000      //  "never": forward only before a skill, "used", "with"...
#define F_GROUP     0x2000      //  "team used": not after "our", "my" (the candidate's own)
#define F_BACK      0x4000      //  also covers the clause before it: "the Ruby monolith, owned by"
#define F_POSS      0x8000      //  only written with 's: "the frontend team's React app"
#define F_PAREN     0x10000     //  only right before '(': "the iOS team (Swift)"

typedef struct {
    const char *words;          //  positions separated by ' ', alternatives by '|'
    s_kind_t kind;
    int flags;
} s_phrase_t;

//  Alternatives shared by several phrases
#define OTHER_VERBS "own|owns|owned|use|uses|used|using|maintain|maintains|maintained|" \
    "build|builds|built|run|runs|ran|handle|handles|handled|manage|manages|managed|" \
    "write|writes|wrote|develop|develops|developed|operate|operates|operated|work|works|" \
    "worked|support|supports|supported|do|does|did|are|is|were|was|had|has|have"
#define NEG_FWD     (F_FWD | F_POST | F_TAIL | F_HEAD | F_SOFT)
#define NEG_NT      (F_FWD | F_TAIL | F_HEAD)
#define INT_VERB    (F_FWD | F_VERB | F_HEAD)
#define OTHERS      (F_FWD | F_COMMA)

//  Longer phrases before shorter ones with the same first word
static const s_phrase_t s_phrases [] = {
    //  negation, English
    { "no", CUE_NEGATION, F_FWD | F_GATE | F_POST | F_HEAD },
    { "not", CUE_NEGATION, F_FWD | F_POST | F_TAIL | F_HEAD },
    { "never had the|a chance|opportunity", CUE_NEGATION, F_FWD },
    { "never", CUE_NEGATION, NEG_FWD },
    { "none", CUE_NEGATION, F_POST | F_HEAD | F_HONLY },
    { "nope", CUE_NEGATION, F_POST | F_HEAD | F_HONLY },
    { "without", CUE_NEGATION, F_FWD | F_GATE | F_HEAD },
    { "lack", CUE_NEGATION, F_FWD | F_GATE },
    { "lacks", CUE_NEGATION, F_FWD | F_GATE },
    { "lacking", CUE_NEGATION, F_FWD | F_GATE },
    { "unfamiliar", CUE_NEGATION, F_FWD | F_GATE },
    { "neither", CUE_NEGATION, F_FWD },
    { "nor", CUE_NEGATION, F_FWD },
    { "zero experience|knowledge|exposure", CUE_NEGATION, F_FWD },
    { "dont", CUE_NEGATION, NEG_NT },
    { "doesnt", CUE_NEGATION, NEG_NT },
    { "didnt", CUE_NEGATION, NEG_NT },
    { "havent", CUE_NEGATION, NEG_NT },
    { "hasnt", CUE_NEGATION, NEG_NT },
    { "hadnt", CUE_NEGATION, NEG_NT },
    { "cant", CUE_NEGATION, NEG_NT },
    { "cannot", CUE_NEGATION, NEG_NT },
    { "wont", CUE_NEGATION, NEG_NT },
    { "isnt", CUE_NEGATION, NEG_NT },
    { "arent", CUE_NEGATION, NEG_NT },
    { "wasnt", CUE_NEGATION, NEG_NT },
    { "werent", CUE_NEGATION, NEG_NT },
    //  negation, German
    { "kein", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "keine", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "keinen", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "keinem", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "keiner", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "keines", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "keinerlei", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "nicht", CUE_NEGATION, NEG_FWD },
    { "nie", CUE_NEGATION, NEG_FWD },
    { "niemals", CUE_NEGATION, NEG_FWD },
    { "ohne", CUE_NEGATION, F_FWD | F_GATE | F_HEAD },
    { "weder", CUE_NEGATION, F_FWD },
    { "nein", CUE_NEGATION, F_POST | F_HEAD | F_HONLY },
    //  negation, Spanish ("no" above)
    { "nunca", CUE_NEGATION, NEG_FWD },
    { "jamás", CUE_NEGATION, NEG_FWD },
    { "jamas", CUE_NEGATION, NEG_FWD },
    { "ningún", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "ningun", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "ninguna", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "ninguno", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "sin", CUE_NEGATION, F_FWD | F_GATE | F_HEAD },
    { "ni", CUE_NEGATION, F_FWD },
    { "tampoco", CUE_NEGATION, F_FWD | F_TAIL },
    { "nada", CUE_NEGATION, F_POST | F_HONLY },
    //  negation, French
    { "pas", CUE_NEGATION, F_FWD | F_TAIL | F_POST | F_HEAD },
    { "aucun", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "aucune", CUE_NEGATION, F_FWD | F_POST | F_HEAD },
    { "jamais", CUE_NEGATION, NEG_FWD },
    { "sans", CUE_NEGATION, F_FWD | F_GATE | F_HEAD },
    { "non", CUE_NEGATION, F_POST | F_HEAD | F_HONLY },
    //  intent, English
    { "learn", CUE_INTENT, F_FWD | F_TAIL | F_HEAD },
    { "learning", CUE_INTENT, F_FWD | F_LEARN | F_HEAD },
    { "studying", CUE_INTENT, F_FWD | F_LEARN | F_HEAD },
    { "want to", CUE_INTENT, INT_VERB },
    { "wants to", CUE_INTENT, INT_VERB },
    { "wanted to", CUE_INTENT, INT_VERB },
    { "wanting to", CUE_INTENT, INT_VERB },
    { "would like to", CUE_INTENT, INT_VERB },
    { "would love to", CUE_INTENT, INT_VERB },
    { "d like to", CUE_INTENT, INT_VERB },
    { "d love to", CUE_INTENT, INT_VERB },
    { "plan to", CUE_INTENT, INT_VERB },
    { "plans to", CUE_INTENT, INT_VERB },
    { "planning to", CUE_INTENT, INT_VERB },
    { "hope to", CUE_INTENT, INT_VERB },
    { "hoping to", CUE_INTENT, INT_VERB },
    { "aim to", CUE_INTENT, INT_VERB },
    { "aiming to", CUE_INTENT, INT_VERB },
    { "intend to", CUE_INTENT, INT_VERB },
    { "wish to", CUE_INTENT, INT_VERB },
    { "eager to", CUE_INTENT, INT_VERB },
    { "keen to", CUE_INTENT, INT_VERB },
    { "excited to", CUE_INTENT, INT_VERB },
    { "looking to", CUE_INTENT, INT_VERB },
    { "going to", CUE_INTENT, INT_VERB },
    { "interested in", CUE_INTENT, F_FWD | F_HEAD },
    { "curious about", CUE_INTENT, F_FWD | F_HEAD },
    { "goals", CUE_INTENT, F_HEAD | F_HONLY },
    { "goal", CUE_INTENT, F_HEAD | F_HONLY },
    { "wishlist", CUE_INTENT, F_HEAD | F_HONLY },
    { "wish list", CUE_INTENT, F_HEAD | F_HONLY },
    { "next", CUE_INTENT, F_HEAD | F_HONLY },
    //  intent, German (verb last: "Ich möchte Kubernetes lernen")
    { "lernen", CUE_INTENT, F_TAIL | F_HEAD },
    { "erlernen", CUE_INTENT, F_TAIL },
    { "einarbeiten", CUE_INTENT, F_TAIL },
    { "kennenlernen", CUE_INTENT, F_TAIL },
    { "ausprobieren", CUE_INTENT, F_TAIL },
    { "lerne", CUE_INTENT, F_FWD },
    { "interessiere mich für", CUE_INTENT, F_FWD },
    { "ziele", CUE_INTENT, F_HEAD | F_HONLY },
    { "ziel", CUE_INTENT, F_HEAD | F_HONLY },
    { "lernziel", CUE_INTENT, F_HEAD | F_HONLY },
    { "lernziele", CUE_INTENT, F_HEAD | F_HONLY },
    //  intent, Spanish
    { "aprender", CUE_INTENT, F_FWD | F_TAIL | F_HEAD },
    { "aprendiendo", CUE_INTENT, F_FWD | F_HEAD },
    { "formarme", CUE_INTENT, F_FWD },          //  "quiero formarme en Kubernetes"
    { "estudiar", CUE_INTENT, F_FWD },
    { "interesado en", CUE_INTENT, F_FWD },
    { "interesada en", CUE_INTENT, F_FWD },
    { "objetivos", CUE_INTENT, F_HEAD | F_HONLY },
    { "metas", CUE_INTENT, F_HEAD | F_HONLY },
    //  intent, French
    { "apprendre", CUE_INTENT, F_FWD | F_TAIL | F_HEAD },
    { "étudier", CUE_INTENT, F_FWD },
    { "intéressé par", CUE_INTENT, F_FWD },
    { "intéressée par", CUE_INTENT, F_FWD },
    { "objectifs", CUE_INTENT, F_HEAD | F_HONLY },
    { "me former", CUE_INTENT, F_FWD },         //  "j'aimerais me former à Kubernetes"
    { "se former", CUE_INTENT, F_FWD },
    //  other people's
    { "who " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "team that|which " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "teams that|which " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "colleagues " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "colleague " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "coworkers " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "coworker " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "teammates " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "teammate " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "they " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "ils utilisent|utilisaient|développent|développaient|maintiennent|gèrent", CUE_OTHERS, OTHERS },
    { "elles utilisent|utilisaient|développent|développaient|maintiennent|gèrent", CUE_OTHERS, OTHERS },
    { "ellos usan|usaban|utilizan|utilizaban|mantienen|desarrollan", CUE_OTHERS, OTHERS },
    { "ellas usan|usaban|utilizan|utilizaban|mantienen|desarrollan", CUE_OTHERS, OTHERS },
    { "clients stack|stacks|systems", CUE_OTHERS, OTHERS },
    { "customers stack|stacks|systems", CUE_OTHERS, OTHERS },
    { "client stack|uses|used|use|runs|ran|run|had|has|owns|owned", CUE_OTHERS, OTHERS },
    { "customer stack|uses|used|use|runs|ran|run|had|has|owns|owned", CUE_OTHERS, OTHERS },
    { "alongside", CUE_OTHERS, OTHERS | F_WORK },
    { "another team|teams", CUE_OTHERS, OTHERS },
    { "other team|teams", CUE_OTHERS, OTHERS },
    //  a team or a group of people as the subject: "the platform team owned the Kafka
    //  clusters", "our data scientists used Python", "the data team, whose Spark jobs"
    { "team " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "team * " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "teams " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "whose", CUE_OTHERS, OTHERS | F_TEAM },
    { "their", CUE_OTHERS, OTHERS | F_LIST },
    { "team", CUE_OTHERS, OTHERS | F_PAREN | F_GROUP },
    { "teams", CUE_OTHERS, OTHERS | F_LIST | F_POSS | F_GROUP },
    { "clients", CUE_OTHERS, OTHERS | F_LIST | F_POSS },
    { "customers", CUE_OTHERS, OTHERS | F_LIST | F_POSS },
    { "vendors", CUE_OTHERS, OTHERS | F_LIST | F_POSS },
    { "partners", CUE_OTHERS, OTHERS | F_LIST | F_POSS },
    { "contractors " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "consultants " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "vendor " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "agency " OTHER_VERBS, CUE_OTHERS, OTHERS },
    { "written by", CUE_OTHERS, OTHERS | F_BACK },
    { "built by", CUE_OTHERS, OTHERS | F_BACK },
    { "developed by", CUE_OTHERS, OTHERS | F_BACK },
    { "devs " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "devs", CUE_OTHERS, OTHERS | F_PAREN },
    { "developers", CUE_OTHERS, OTHERS | F_PAREN },
    { "engineers", CUE_OTHERS, OTHERS | F_PAREN },
    { "developers " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "engineers " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "scientists " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "analysts " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "admins " OTHER_VERBS, CUE_OTHERS, OTHERS | F_TEAM },
    { "owned by", CUE_OTHERS, OTHERS | F_BACK },
    { "managed by", CUE_OTHERS, OTHERS | F_BACK },
    { "maintained by", CUE_OTHERS, OTHERS | F_BACK },
    { "operated by", CUE_OTHERS, OTHERS | F_BACK },
    { "team nutzt|nutzte|nutzen|nutzten|betreibt|betrieb|betreut|betreute|verwendet|verwendete|"
      "pflegt|pflegte|entwickelt|entwickelte|arbeitet|arbeitete|setzt|setzte", CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "equipo * * usa|usaba|usan|utiliza|utilizaba|mantiene|gestiona|desarrolla|trabaja",
      CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "equipo * usa|usaba|usan|utiliza|utilizaba|mantiene|gestiona|desarrolla|trabaja",
      CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "equipo usa|usaba|usan|utiliza|utilizaba|mantiene|gestiona|desarrolla|trabaja",
      CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "équipe * * utilise|utilisait|gère|maintient|développe|développait|travaille",
      CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "équipe * utilise|utilisait|gère|maintient|développe|développait|travaille",
      CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "équipe utilise|utilisait|gère|maintient|développe|développait|travaille",
      CUE_OTHERS, OTHERS | F_TEAM | F_GROUP },
    { "qui utilise|utilisent|utilisait|développe|développent|gère|gèrent|maintient",
      CUE_OTHERS, OTHERS | F_TEAM },
    { "kollegen nutzten|nutzen|verwendeten|verwenden|betreuten|betreuen", CUE_OTHERS, OTHERS },
    { "entwickler nutzen|nutzten|verwenden|verwendeten|setzen|arbeiten|betreuen|pflegen|entwickeln",
      CUE_OTHERS, OTHERS | F_TEAM },
    { "desarrolladores usan|usaban|utilizan|utilizaban|trabajan|mantienen|desarrollan",
      CUE_OTHERS, OTHERS | F_TEAM },
    { "développeurs utilisent|utilisaient|développent|maintiennent|travaillent",
      CUE_OTHERS, OTHERS | F_TEAM },
    { "ingénieurs utilisent|utilisaient|développent|maintiennent", CUE_OTHERS, OTHERS | F_TEAM },
    { "kolleginnen nutzten|nutzen|verwendeten|verwenden|betreuten|betreuen", CUE_OTHERS, OTHERS },
    { "equipo que usaba|usa|usaban|usan|mantenía|mantiene|gestionaba|gestiona|utilizaba|utiliza",
      CUE_OTHERS, OTHERS },
    { "compañeros usaban|usan|utilizaban|utilizan|mantenían", CUE_OTHERS, OTHERS },
    { "équipe qui utilisait|utilise|utilisaient|utilisent|gérait|gère|maintenait|maintient",
      CUE_OTHERS, OTHERS },
    { "collègues utilisaient|utilisent|géraient|maintenaient", CUE_OTHERS, OTHERS },
};
#define PHRASE_COUNT (sizeof s_phrases / sizeof s_phrases [0])

//  Roles of single words
#define R_BREAK     0x001       //  ends a clause: "but", "aber", "pero", "mais"
#define R_AND       0x002       //  "and": ends a clause before R_ANDVERB
#define R_ANDVERB   0x004       //  "... and have 5 years of Java"
#define R_FRESH     0x008       //  after a comma, a new clause: "No Java, strong Python"
#define R_EXP       0x010       //  opens "no" / "without": experience, knowledge...
#define R_BLOCK     0x020       //  cancels a negation: "not only", "no problem"
#define R_IVERB     0x040       //  opens "want to": learn, try, explore...
#define R_TVERB     0x080       //  may follow a backward cue: "never used."
#define R_CONT      0x100       //  a line ending in it goes on: "experience with\nPython"
#define R_LPREV     0x200       //  opens "learning": currently, still, am
#define R_LED       0x400       //  the candidate led the team: led, managed
#define R_ARTICLE   0x800       //  skipped before a blocker or skill
#define R_WORK      0x1000      //  opens "alongside"
#define R_PREP      0x2000      //  "no con Java", "not with PHP"
#define R_JOIN      0x4000      //  joins a list: "no PHP or Ruby"
#define R_TEACH     0x8000      //  someone else learns: "helped the QA team learn Python"

typedef struct {
    const char *words;          //  separated by spaces
    int role;
} s_roles_t;

static const s_roles_t s_roles [] = {
    { "but however although though whereas while whilst instead rather except because unlike since "
      "aber doch jedoch sondern dafür stattdessen während weil obwohl "
      "pero sino aunque mientras porque embargo mais cependant toutefois pourtant tandis contre "
      "parce plutôt", R_BREAK },
    { "and und y et", R_AND },
    { "i have has am use uses using know knew worked work working built build love enjoy enjoyed "
      "prefer wrote write lead led managed manage developed develop ich habe nutze kenne arbeite bin "
      "tengo uso conozco trabajo he je j ai utilise connais travaille suis strong solid", R_ANDVERB },
    { "i we my but though although however whereas while yet instead rather strong solid good great "
      "expert proficient experienced fluent advanced extensive deep plenty lots ich aber doch sondern "
      "jedoch dafür lieber gute sehr pero sino aunque tengo trabajo uso domino manejo mais je j par plutôt "
      "cependant yes ja sí oui prefer prefers love enjoy use used using so then thus therefore hence",
      R_FRESH },
    { "experience exp prior previous professional commercial real practical hands production working "
      "direct knowledge exposure familiarity background expertise skills skill idea clue notion using "
      "use any tengo he has ha conozco sé se manejo uso utilizo domino usado trabajado sabe tiene hemos "
      "tenemos experiencia conocimientos conocimiento expérience connaissance connaissances utiliser "
      "avoir erfahrung erfahrungen kenntnisse vorkenntnisse praxis ahnung wissen familiar vertraut", R_EXP },
    { "only just merely simply limited least problem problems issue issues trouble troubles "
      "difficulty difficulties doubt longer matter worries worry single afraid shy hesitant hesitate stop stopped stops mind "
      "exception necessarily hitch "
      "nur bloß probleme schwierigkeiten solo sólo solamente únicamente problema problemas seulement "
      "uniquement problème problèmes souci soucis difficulté", R_BLOCK },
    { "learn study explore try master pick get dive acquire gain start begin work become expand move "
      "transition switch grow deepen improve experiment", R_IVERB },
    { "used use using worked touched tried learned learnt before yet professionally much been heard again "
      "written wrote write coded programmed deployed run ran "
      "got done seen really actually ever trabajé usé utilicé fait benutzt "
      "verwendet genutzt gearbeitet eingesetzt programmiert gemacht kennengelernt gelernt angewendet "
      "bisher zuvor utilisé travaillé touché usado trabajado utilizado probado", R_TVERB },
    { "with in of and or to the a an any mit und oder con en y o de avec et ou for von für para pour "
      "nor like such", R_CONT },
    { "currently still now am m actively been also presently is are me", R_LPREV },
    { "led lead leading managed managing mentored coached headed supervised directed", R_LED },
    { "worked working work works", R_WORK },
    { "or and nor und oder y o ni et ou also even", R_JOIN },
    { "who taught teach teaches teaching trained helped help helping coached mentored mentoring "
      "onboarded onboarding showed enabled", R_TEACH },
    { "a an the ein eine einen el la le les un une los las der die das de d of", R_ARTICLE },
    { "with in on of mit con en avec de", R_PREP },
};

#define KEY_MAX     24          //  longest word looked up, bytes
#define TABLE_SIZE  2048        //  slots, a power of two
#define PHRASES_MAX 6           //  phrases starting with one word

typedef struct {
    char key [KEY_MAX];
    uint8_t len;                //  0: a free slot
    uint8_t phrase_count;
    uint16_t roles;
    uint16_t phrases [PHRASES_MAX];
} s_entry_t;

static s_entry_t s_table [TABLE_SIZE];
//  ASCII letters and digits in lower case, 0 for every other byte
static unsigned char s_lower [256];
//  A Bloom filter of the words the pass must look up at every occurrence
//  (the others it looks up only around a cue): one bit per hash
#define FILTER_BITS (1 << 16)
static uint64_t s_filter [FILTER_BITS / 64];
#define MAIN_ROLES  (R_BREAK | R_AND | R_LED | R_TEACH)
//  The same without "and" (R_AND), which matters only while a cue is open
static uint64_t s_calm_filter [FILTER_BITS / 64];
static pthread_once_t s_table_once = PTHREAD_ONCE_INIT;

//  The hash of a key padded with zeros to KEY_MAX bytes: its three 64-bit
//  words at once, no loop over the bytes
static uint32_t
s_hash (const char *padded)
{
    uint64_t x [3];
    memcpy (x, padded, KEY_MAX);
    uint64_t hash = x [0] * 0x9E3779B97F4A7C15ull ^ x [1] * 0xC2B2AE3D27D4EB4Full
                  ^ x [2] * 0x165667B19E3779F9ull;
    return (uint32_t) (hash >> 32);
}

static uint32_t
s_slot (uint32_t hash)
{
    return (hash ^ (hash >> 11) ^ (hash >> 21)) & (TABLE_SIZE - 1);
}

//  The filter's hash of a word: its length and first four key bytes
static uint32_t
s_filter_key (uint32_t head, size_t len)
{
    uint32_t hash = (head ^ ((uint32_t) len << 27)) * 0x9E3779B1u;
    return hash >> 16;
}

static void
s_filter_add (uint64_t *filter, const char *key, size_t len)
{
    uint32_t head = 0;
    for (size_t i = 0; i < len && i < 4; i++)
        head = (head << 8) | (unsigned char) key [i];
    uint32_t bit = s_filter_key (head, len) & (FILTER_BITS - 1);
    filter [bit / 64] |= 1ull << (bit % 64);
}

static bool
s_filter_has (const uint64_t *filter, uint32_t hash)
{
    uint32_t bit = hash & (FILTER_BITS - 1);
    return (filter [bit / 64] >> (bit % 64)) & 1;
}

//  Whether two keys padded with zeros to KEY_MAX bytes are the same
static inline bool
s_same_key (const char *a, const char *b)
{
    uint64_t x [3], y [3];
    memcpy (x, a, KEY_MAX);
    memcpy (y, b, KEY_MAX);
    return ((x [0] ^ y [0]) | (x [1] ^ y [1]) | (x [2] ^ y [2])) == 0;
}

//  The entry for a word (lower case, padded with zeros to KEY_MAX bytes),
//  created when create is true
static s_entry_t *
s_entry_hashed (const char *key, size_t len, uint32_t hash, bool create)
{
    if (len == 0 || len >= KEY_MAX)
        return NULL;
    for (uint32_t slot = s_slot (hash);; slot = (slot + 1) & (TABLE_SIZE - 1)) {
        s_entry_t *entry = &s_table [slot];
        if (entry->len == len && s_same_key (entry->key, key))
            return entry;
        if (entry->len == 0) {
            if (!create)
                return NULL;
            memcpy (entry->key, key, len);
            entry->len = (uint8_t) len;
            return entry;
        }
    }
}

static s_entry_t *
s_entry (const char *key, size_t len, bool create)
{
    if (len >= KEY_MAX)
        return NULL;
    char padded [KEY_MAX] = { 0 };
    memcpy (padded, key, len);
    return s_entry_hashed (padded, len, s_hash (padded), create);
}

//  The phrases' later positions, compiled once: each position is a set of
//  lexicon slots (one bit a slot), or CHOICE_ANY for "*"; phrases that
//  share the alternatives ("own|owns|owned|...") share the set
#define PHRASE_POSITIONS 4      //  words after the first, at most
#define CHOICE_SETS_MAX  64     //  distinct sets of alternatives
#define CHOICE_ANY       0xFF
typedef struct {
    uint8_t positions;
    uint8_t set [PHRASE_POSITIONS];
} s_compiled_t;

static s_compiled_t s_compiled [PHRASE_COUNT];
static uint64_t s_choice_bits [CHOICE_SETS_MAX][TABLE_SIZE / 64];
static const char *s_choice_text [CHOICE_SETS_MAX];
static size_t s_choice_len [CHOICE_SETS_MAX];
static int s_choice_sets;

//  The set of the alternatives "own|owns|owned" (size bytes), entering the
//  words in the lexicon
static uint8_t
s_choice_set (const char *choices, size_t size)
{
    if (size == 1 && *choices == '*')
        return CHOICE_ANY;
    for (int i = 0; i < s_choice_sets; i++)
        if (s_choice_len [i] == size && memcmp (s_choice_text [i], choices, size) == 0)
            return (uint8_t) i;
    assert (s_choice_sets < CHOICE_SETS_MAX);
    int set = s_choice_sets++;
    s_choice_text [set] = choices;
    s_choice_len [set] = size;
    for (const char *end = choices + size, *word = choices; word < end;) {
        const char *bar = memchr (word, '|', (size_t) (end - word));
        size_t word_len = bar ? (size_t) (bar - word) : (size_t) (end - word);
        s_entry_t *entry = s_entry (word, word_len, true);
        assert (entry);
        size_t slot = (size_t) (entry - s_table);
        s_choice_bits [set][slot / 64] |= 1ull << (slot % 64);
        word += word_len + 1;
    }
    return (uint8_t) set;
}

static void
s_table_build (void)
{
    for (int c = '0'; c <= '9'; c++)
        s_lower [c] = (unsigned char) c;
    for (int c = 'a'; c <= 'z'; c++)
        s_lower [c] = s_lower [c - 32] = (unsigned char) c;
    for (size_t i = 0; i < sizeof s_roles / sizeof s_roles [0]; i++)
        for (const char *word = s_roles [i].words; *word;) {
            size_t len = strcspn (word, " ");
            s_entry_t *entry = s_entry (word, len, true);
            if (entry)
                entry->roles |= (uint16_t) s_roles [i].role;
            if (entry && (s_roles [i].role & MAIN_ROLES))
                s_filter_add (s_filter, word, len);
            if (entry && (s_roles [i].role & MAIN_ROLES & ~R_AND))
                s_filter_add (s_calm_filter, word, len);
            word += len;
            word += *word == ' ';
        }
    for (size_t i = 0; i < PHRASE_COUNT; i++) {
        const char *words = s_phrases [i].words;
        size_t len = strcspn (words, " ");
        s_entry_t *entry = s_entry (words, len, true);
        assert (entry && entry->phrase_count < PHRASES_MAX);
        entry->phrases [entry->phrase_count++] = (uint16_t) i;
        s_filter_add (s_filter, words, len);
        s_filter_add (s_calm_filter, words, len);
        //  the later positions, compiled: a set of lexicon slots each
        s_compiled_t *compiled = &s_compiled [i];
        for (const char *position = words + len; *position;) {
            position++;
            size_t size = strcspn (position, " ");
            assert (compiled->positions < PHRASE_POSITIONS);
            compiled->set [compiled->positions++] = s_choice_set (position, size);
            position += size;
        }
    }
}

//  --------------------------------------------------------------------------
//  Characters and words

//  Code point at text [pos], its byte length in *size
static uint32_t
s_decode (const char *text, size_t len, size_t pos, size_t *size)
{
    const unsigned char *bytes = (const unsigned char *) text + pos;
    size_t left = len - pos;
    uint32_t c = bytes [0];
    if (c < 0x80 || left < 2) {
        *size = 1;
        return c;
    }
    if (c < 0xE0) {
        *size = 2;
        return ((c & 0x1F) << 6) | (bytes [1] & 0x3F);
    }
    if (c < 0xF0 || left < 4) {
        if (left < 3) {
            *size = left;
            return 0xFFFD;
        }
        *size = 3;
        return ((c & 0x0F) << 12) | ((bytes [1] & 0x3F) << 6) | (bytes [2] & 0x3F);
    }
    *size = 4;
    return ((c & 0x07) << 18) | ((bytes [1] & 0x3F) << 12) | ((bytes [2] & 0x3F) << 6) | (bytes [3] & 0x3F);
}

static bool
s_ascii_alnum (unsigned char c)
{
    return s_lower [c] != 0;            //  built with the lexicon, before any pass
}

//  Byte length of the letter or digit at text [pos], 0 when it is none
//  (non-ASCII letters count; punctuation, symbols and emoji do not)
static size_t
s_letter (const char *text, size_t len, size_t pos)
{
    unsigned char c = (unsigned char) text [pos];
    if (c < 0x80)
        return s_ascii_alnum (c) ? 1 : 0;
    size_t size;
    uint32_t code = s_decode (text, len, pos, &size);
    if (code < 0xC0 || code == 0xD7 || code == 0xF7
    ||  (code >= 0x2000 && code < 0x2C00) || (code >= 0x3000 && code < 0x3040)
    ||  (code >= 0xE000 && code < 0xF900) || (code >= 0xFE00 && code < 0xFE10)
    ||  (code >= 0xFF00 && code < 0xFF10) || code >= 0x1F000 || code == 0xFFFD)
        return 0;
    return size;
}

//  Byte length of an apostrophe at text [pos] (' or ’), else 0
static size_t
s_apostrophe (const char *text, size_t len, size_t pos)
{
    if (text [pos] == '\'')
        return 1;
    if (pos + 3 <= len && memcmp (text + pos, "\xE2\x80\x99", 3) == 0)
        return 3;
    return 0;
}

//  The end of the run of ASCII letters and digits from pos: sixteen bytes
//  a step where SSE2 is (every x86-64), else one
static inline size_t
s_alnum_run (const char *text, size_t len, size_t pos)
{
#ifdef __SSE2__
    const __m128i before_a = _mm_set1_epi8 ('a' - 1), after_z = _mm_set1_epi8 ('z' + 1);
    const __m128i before_0 = _mm_set1_epi8 ('0' - 1), after_9 = _mm_set1_epi8 ('9' + 1);
    while (pos + 16 <= len) {
        __m128i bytes = _mm_loadu_si128 ((const __m128i *) (text + pos));
        //  signed compares: bytes from 0x80 are negative, in no range
        __m128i folded = _mm_or_si128 (bytes, _mm_set1_epi8 (0x20));
        __m128i letter = _mm_and_si128 (_mm_cmpgt_epi8 (folded, before_a), _mm_cmplt_epi8 (folded, after_z));
        __m128i digit = _mm_and_si128 (_mm_cmpgt_epi8 (bytes, before_0), _mm_cmplt_epi8 (bytes, after_9));
        unsigned other = (unsigned) _mm_movemask_epi8 (_mm_or_si128 (letter, digit)) ^ 0xFFFFu;
        if (other)
            return pos + (size_t) __builtin_ctz (other);
        pos += 16;
    }
#endif
    while (pos < len && s_lower [(unsigned char) text [pos]])
        pos++;
    return pos;
}

//  One word
typedef struct {
    uint32_t start, end;
    const s_entry_t *entry;     //  NULL when the lexicon does not know it
    uint32_t key_len;           //  bytes without apostrophes
    bool digits;                //  all ASCII digits (s_next_word only)
    uint32_t hash;              //  for the filter, s_filter_key
} s_word_t;

//  Finds the end of the word starting at text [pos] (a letter).  An
//  apostrophe inside joins ("don't" is "dont") except after one letter or
//  "qu", where it splits ("d'expérience", "I'm", "qu'il").  Does not look
//  the word up.
static inline __attribute__ ((always_inline)) s_word_t
s_scan_word (const char *text, size_t len, size_t pos)
{
    s_word_t word = { (uint32_t) pos, 0, NULL, 0, false, 0 };
    size_t quotes = 0;
    while (pos < len) {
        pos = s_alnum_run (text, len, pos);
        if (pos >= len)
            break;
        size_t size = (unsigned char) text [pos] >= 0x80 ? s_letter (text, len, pos) : 0;
        if (size) {
            pos += size;
            continue;
        }
        //  the word ends at anything but an apostrophe (' or the 0xE2 of ’)
        if (text [pos] != '\'' && text [pos] != (char) 0xE2)
            break;
        size_t quote = s_apostrophe (text, len, pos);
        if (quote && pos + quote < len && s_letter (text, len, pos + quote) && pos - word.start > 1
        &&  !(pos - word.start == 2 && (text [word.start] | 0x20) == 'q' && (text [word.start + 1] | 0x20) == 'u')) {
            pos += quote;
            quotes += quote;
            continue;
        }
        break;
    }
    word.end = (uint32_t) pos;
    word.key_len = (uint32_t) (pos - word.start - quotes);
    //  the filter's key: the length and the first four bytes of the key
    uint32_t head = 0;
    int taken = 0;
    if (!quotes && word.start + 4 <= len) {
        //  four bytes at once: upper-case ASCII letters get 0x20, the rest
        //  (digits, UTF-8 bytes) stay as they are
        uint32_t bytes;
        memcpy (&bytes, text + word.start, 4);
        uint32_t low7 = bytes & 0x7F7F7F7Fu;
        uint32_t upper = (low7 + 0x3F3F3F3Fu) & ~(low7 + 0x25252525u) & ~bytes & 0x80808080u;
        head = __builtin_bswap32 (bytes | (upper >> 2));
        size_t size = word.end - word.start;
        if (size < 4)
            head >>= 8 * (4 - size);
        taken = 4;
    }
    else
    if (!quotes) {
        size_t stop = word.end - word.start < 4 ? word.end : word.start + 4;
        for (size_t at = word.start; at < stop; at++) {
            unsigned char byte = (unsigned char) text [at];
            head = (head << 8) | (s_lower [byte] ? s_lower [byte] : byte);
        }
        taken = 4;
    }
    for (size_t at = word.start; at < word.end && taken < 4; at++) {
        unsigned char byte = (unsigned char) text [at];
        if (byte == '\'' || (quotes && byte >= 0x80 && s_apostrophe (text, word.end, at))) {
            at += byte == '\'' ? 0 : 2;
            continue;
        }
        head = (head << 8) | (s_lower [byte] ? s_lower [byte] : byte);
        taken++;
    }
    word.hash = s_filter_key (head, word.key_len);
    return word;
}

//  Whether the word is all ASCII digits ("2019", "5")
static bool
s_digits (const char *text, const s_word_t *word)
{
    for (size_t at = word->start; at < word->end; at++)
        if (text [at] < '0' || text [at] > '9')
            return false;
    return true;
}

//  Looks the word up in the lexicon
static void
s_look_up (const char *text, s_word_t *word)
{
    if (word->key_len >= KEY_MAX)
        return;
    char key [KEY_MAX] = { 0 };
    size_t key_len = 0;
    if (word->end - word->start == word->key_len) {
        key_len = word->key_len;                //  no apostrophe: the bytes as they are
        memcpy (key, text + word->start, key_len);
    }
    else
    for (size_t pos = word->start; pos < word->end && key_len < KEY_MAX;) {
        char byte = text [pos];
        if (byte == '\'') {
            pos++;
            continue;
        }
        if (byte == (char) 0xE2 && pos + 3 <= word->end && memcmp (text + pos, "\xE2\x80\x99", 3) == 0) {
            pos += 3;
            continue;
        }
        key [key_len++] = byte;
        pos++;
    }
    //  ASCII upper case to lower, eight bytes a step; other bytes stay
    uint64_t x [3];
    memcpy (x, key, KEY_MAX);
    for (int i = 0; i < 3; i++) {
        uint64_t low7 = x [i] & 0x7F7F7F7F7F7F7F7Full;
        uint64_t upper = (low7 + 0x3F3F3F3F3F3F3F3Full) & ~(low7 + 0x2525252525252525ull)
                       & ~x [i] & 0x8080808080808080ull;
        x [i] |= upper >> 2;
    }
    memcpy (key, x, KEY_MAX);
    word->entry = s_entry_hashed (key, key_len, s_hash (key), false);
}

//  The word starting at text [pos], looked up
static s_word_t
s_read_word (const char *text, size_t len, size_t pos)
{
    s_word_t word = s_scan_word (text, len, pos);
    word.digits = s_digits (text, &word);
    s_look_up (text, &word);
    return word;
}

//  Roles of the word at text [start, end), 0 for none
static int
s_roles_at (const char *text, uint32_t start, uint32_t end)
{
    if (end <= start)
        return 0;
    s_word_t word = s_read_word (text, end, start);
    return word.end == end && word.entry ? word.entry->roles : 0;
}

static int
s_roles_of (const s_word_t *word)
{
    return word->entry ? word->entry->roles : 0;
}

static bool
s_space (char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

//  The next word after pos on the same line, past spaces only; end == 0
//  when something else comes first
static s_word_t
s_next_word (const char *text, size_t len, size_t pos)
{
    for (int i = 0; pos < len && s_space (text [pos]) && i < 64; i++)
        pos++;
    if (pos < len && text [pos] == (char) 0xC2 && pos + 1 < len && text [pos + 1] == (char) 0xA0)
        pos += 2;                           //  no-break space
    if (pos < len && s_letter (text, len, pos))
        return s_read_word (text, len, pos);
    return (s_word_t) { (uint32_t) pos, 0, NULL, 0, false, 0 };
}

//  Whether a word matches one compiled position of a phrase ("own|owns|owned")
static bool
s_word_is (const s_word_t *word, uint8_t set)
{
    if (set == CHOICE_ANY)
        return true;
    if (!word->end || !word->entry)
        return false;
    size_t slot = (size_t) (word->entry - s_table);
    return (s_choice_bits [set][slot / 64] >> (slot % 64)) & 1;
}

//  --------------------------------------------------------------------------
//  The pass

typedef struct {
    s_kind_t kind;              //  CUE_NONE: no cue
    uint32_t start, end;
    int flags;
} s_cue_t;

typedef struct {
    const char *text;
    size_t len;
    jm_found_t *found;
    long count;
    long next;                  //  the first mention not yet decided
    //  the clause
    long clause_first;          //  its first mention
    s_cue_t forward;            //  its latest forward cue
    s_cue_t tail;               //  a cue that may apply backward at its end
    int tail_words;             //  words since the tail cue
    bool led;                   //  "led a team that used X": the candidate's
    bool teaching;              //  "helped the team learn X": their learning
    bool intent_negated;        //  "not interested in": the negation stays
    size_t heading_colon;       //  the colon of the heading on this line
    int clause_words;
    //  the line
    int line_words;             //  words (and mentions) on it so far
    uint32_t prev_start;        //  the word before, when there is one
    uint32_t prev_end;
    bool prev_was_cue;          //  the word before ended a cue
    bool prev_was_mention;
    char last_mark;             //  the last punctuation on the line, 0 after a word
    //  the heading block: "Want to learn:" and the lines under it
    s_cue_t block;
    bool block_lines;           //  covers the following lines, not only its own
    bool block_bullets;         //  bullet lines seen under it
    int block_line_count;
} s_pass_t;

#define BLOCK_LINES_MAX 25      //  a heading covers at most this many lines

static jm_claim_t
s_claim (s_kind_t kind)
{
    return kind == CUE_NEGATION ? JM_CLAIM_NEGATED
         : kind == CUE_INTENT ? JM_CLAIM_INTENDED : JM_CLAIM_OTHERS;
}

static jm_reason_t
s_reason (s_kind_t kind)
{
    return kind == CUE_NEGATION ? JM_REASON_NEGATION
         : kind == CUE_INTENT ? JM_REASON_INTENT : JM_REASON_OTHERS;
}

//  Marks a held mention as the cue says
static void
s_apply (jm_found_t *item, const s_cue_t *cue)
{
    if (item->claim != JM_CLAIM_HELD || cue->kind == CUE_NONE)
        return;
    item->claim = s_claim (cue->kind);
    item->reason = s_reason (cue->kind);
    item->cue_start = cue->start;
    item->cue_end = cue->end;
}

//  Ends the current clause: a backward cue covers the mentions before it
static void
s_clause_end (s_pass_t *self)
{
    if (self->tail.kind != CUE_NONE)
        for (long i = self->clause_first; i < self->next; i++)
            if (self->found [i].start < self->tail.start)
                s_apply (&self->found [i], &self->tail);
    self->clause_first = self->next;
    self->forward.kind = CUE_NONE;
    self->tail.kind = CUE_NONE;
    self->led = false;
    self->teaching = false;
    self->intent_negated = false;
    self->clause_words = 0;
}

//  A mention starts: the clause's latest cue decides, else the heading's
static void
s_mention (s_pass_t *self, jm_found_t *item)
{
    if (self->forward.kind != CUE_NONE)
        s_apply (item, &self->forward);
    else
    if (self->block.kind != CUE_NONE)
        s_apply (item, &self->block);
    self->tail.kind = CUE_NONE;         //  a backward cue must end its clause
    self->line_words++;
    self->clause_words++;
    self->prev_end = self->prev_start = 0;
    self->prev_was_cue = false;
    self->prev_was_mention = true;
    self->last_mark = 0;
}

//  Whether a mention starts at pos
static bool
s_mention_at (const s_pass_t *self, size_t pos)
{
    for (long i = self->next; i < self->count && self->found [i].start <= pos; i++)
        if (self->found [i].start == pos)
            return true;
    return false;
}

//  Whether the line from pos is a heading of its own: at most four words
//  then a colon (or, when bare is true, the line's end), no skill on the
//  way.  When strict, the words must be such as "used", "experience with",
//  "learn" ("Never used:", not "Learning never stops:").  Sets *rest_blank
//  when nothing follows on the line, *colon to the colon's offset.
static bool
s_heading_after (const s_pass_t *self, size_t pos, bool bare, bool strict, bool *rest_blank,
                 size_t *colon)
{
    const char *text = self->text;
    size_t len = self->len;
    int words = 0;
    for (int steps = 0; steps < 80 && pos < len; steps++) {
        char c = text [pos];
        if (c == ':') {
            *colon = pos;
            pos++;
            while (pos < len && s_space (text [pos]))
                pos++;
            *rest_blank = pos >= len || text [pos] == '\n';
            return true;
        }
        if (c == '\n') {
            *rest_blank = true;
            return bare;
        }
        if (s_space (c) || c == '(' || c == ')' || c == '/' || c == '&' || c == '-' || c == '*' || c == '_') {
            pos++;
            continue;
        }
        if (!s_letter (text, len, pos) || s_mention_at (self, pos) || ++words > 4)
            return false;
        s_word_t word = s_read_word (text, len, pos);
        if (strict && !word.digits
        &&  !(word.entry && ((word.entry->roles & (R_TVERB | R_EXP | R_PREP | R_ARTICLE | R_IVERB))
                             || word.entry->phrase_count)))
            return false;
        pos = word.end;
    }
    *rest_blank = true;
    return bare && pos >= len;
}

//  Whether a line that starts at pos is a heading: "Skills:", "## Tools",
//  or a short line with no skill ("EXPERIENCE", "Work history")
static bool
s_line_is_heading (const s_pass_t *self, size_t pos)
{
    const char *text = self->text;
    if (pos < self->len && text [pos] == '#')
        return true;
    bool rest_blank;
    size_t colon;
    return s_heading_after (self, pos, true, false, &rest_blank, &colon);
}

//  The line from pos: whether it is blank, and whether it is a bullet line
static void
s_line_kind (const char *text, size_t len, size_t pos, bool *blank, bool *bullet)
{
    while (pos < len && s_space (text [pos]))
        pos++;
    *blank = pos >= len || text [pos] == '\n';
    *bullet = false;
    if (*blank)
        return;
    char c = text [pos];
    if ((c == '-' || c == '*' || c == '+') && pos + 1 < len && s_space (text [pos + 1]))
        *bullet = true;
    else
    if ((unsigned char) c >= 0x80) {
        size_t size;
        uint32_t code = s_decode (text, len, pos, &size);
        *bullet = code == 0x2022 || code == 0xB7 || code == 0x2013 || code == 0x2014
               || code == 0x25AA || code == 0x25CF || code == 0x25E6 || code == 0x2023
               || code == 0x2043 || code == 0x27A4 || code == 0x25BA || (code >= 0xE000 && code < 0xF900);
    }
}

//  After a cue that ends at pos, whether the next word (past one article)
//  cancels it: "not only", "no problem", "not a problem"
static bool
s_blocked (const s_pass_t *self, size_t pos)
{
    s_word_t word = s_next_word (self->text, self->len, pos);
    if (word.end && (s_roles_of (&word) & R_ARTICLE) && !s_mention_at (self, word.start))
        word = s_next_word (self->text, self->len, word.end);
    return word.end && (s_roles_of (&word) & R_BLOCK) && !s_mention_at (self, word.start);
}

//  "no", "without": only before a skill (then F_LIST: "no PHP or Ruby") or
//  before experience ("no experience with", then 0); -1 when neither
//  When soft ("never"), "used", "worked"... open it too.
static int
s_gate (const s_pass_t *self, size_t pos, bool soft)
{
    s_word_t word = s_next_word (self->text, self->len, pos);
    if (!word.end)
        return -1;
    if (s_mention_at (self, word.start))
        return soft ? 0 : F_LIST;
    if (s_roles_of (&word) & (soft ? R_EXP | R_TVERB : R_EXP))
        return 0;
    //  a name the taxonomy lacks, then a skill: "no Android or Kotlin experience"
    if (self->text [word.start] >= 'A' && self->text [word.start] <= 'Z') {
        s_word_t joint = s_next_word (self->text, self->len, word.end);
        if (joint.end && joint.end - joint.start <= 3 && (s_roles_of (&joint) & R_CONT)) {
            s_word_t next = s_next_word (self->text, self->len, joint.end);
            if (next.end && s_mention_at (self, next.start))
                return 0;
        }
    }
    if (s_roles_of (&word) & (R_ARTICLE | R_PREP)) {
        //  "no con Java", "lack of exposure to", "never with"
        word = s_next_word (self->text, self->len, word.end);
        if (word.end && s_mention_at (self, word.start))
            return soft ? 0 : F_LIST;
        return word.end && (s_roles_of (&word) & R_EXP) ? 0 : -1;
    }
    return -1;
}

//  "want to": only before learn, try, explore... (one word may come between)
static bool
s_verb_follows (const s_pass_t *self, size_t pos)
{
    s_word_t word = s_next_word (self->text, self->len, pos);
    for (int i = 0; i < 2 && word.end && !s_mention_at (self, word.start); i++) {
        if (s_roles_of (&word) & R_IVERB)
            return true;
        word = s_next_word (self->text, self->len, word.end);
    }
    return false;
}

//  A cue right after a single skill: "Java: none", "PHP — no experience",
//  "Kotlin (never used)", "Java? No.", "PHP ❌".  True when it decided it.
static bool
s_post_cue (s_pass_t *self, const s_cue_t *cue, bool symbol)
{
    if (self->next == 0)
        return false;
    jm_found_t *item = &self->found [self->next - 1];
    const char *text = self->text;
    size_t len = self->len;
    if (item->end > cue->start || cue->start - item->end > 8)
        return false;
    bool marked = symbol;
    for (size_t pos = item->end; pos < cue->start;) {
        size_t size;
        uint32_t code = s_decode (text, len, pos, &size);
        if (code == '\n' || s_letter (text, len, pos))
            return false;
        if (code == ':' || code == '-' || code == '(' || code == '?' || code == '=' || code == '|'
        ||  code == '\t' || code == 0x2013 || code == 0x2014 || code == 0x2192)
            marked = true;
        pos += size;
    }
    if (!marked)
        return false;
    //  the cue ends the item: at most three more words, then the item's end
    size_t pos = cue->end;
    for (int words = 0, steps = 0; steps < 64; steps++) {
        while (pos < len && s_space (text [pos]))
            pos++;
        if (pos >= len)
            break;
        char c = text [pos];
        if (c == '\n' || c == ',' || c == ';' || c == ')' || c == '|' || c == '.' || c == '!' || c == '\t')
            break;
        if (!s_letter (text, len, pos) || s_mention_at (self, pos) || ++words > 3)
            return false;
        pos = s_read_word (text, len, pos).end;
    }
    s_apply (item, cue);
    return true;
}

//  Words in text [from, to), 2 when more (or far)
static int
s_words_between (const s_pass_t *self, size_t from, size_t to)
{
    if (to < from || to - from > 48)
        return 2;
    int words = 0;
    for (size_t pos = from; pos < to; pos++)
        if (s_letter (self->text, self->len, pos) && (pos == from || !s_letter (self->text, self->len, pos - 1)))
            words++;
    return words;
}

//  Whether the next word is the candidate: "me", "myself", "us"
static bool
s_self_follows (const char *text, size_t len, size_t pos)
{
    static const char *selves [] = { "me", "myself", "us", "ourselves", NULL };
    while (pos < len && (text [pos] == ' ' || text [pos] == '\t'))
        pos++;
    size_t end = pos;
    while (end < len && end - pos < 10 && ((text [end] | 0x20) >= 'a' && (text [end] | 0x20) <= 'z'))
        end++;
    for (int i = 0; selves [i]; i++)
        if (strlen (selves [i]) == end - pos && strncasecmp (selves [i], text + pos, end - pos) == 0)
            return true;
    return false;
}

//  A cue phrase matched: decides how it applies, if at all
static void
s_cue (s_pass_t *self, s_cue_t cue, int line_words)
{
    const char *text = self->text;
    size_t len = self->len;
    int flags = cue.flags;
    //  inside a compound: "no-code", "non-blocking", "e-learning"; a team
    //  may be named so: "das Data-Team nutzt Spark"
    if ((cue.end + 1 < len && text [cue.end] == '-' && s_letter (text, len, cue.end + 1))
    ||  (!(flags & F_GROUP) && cue.start >= 2 && text [cue.start - 1] == '-'
         && s_ascii_alnum ((unsigned char) text [cue.start - 2])))
        return;
    if (cue.kind == CUE_NEGATION && s_blocked (self, cue.end))
        return;
    if ((flags & F_POST) && s_post_cue (self, &cue, false))
        return;
    //  a heading: "No:", "Want to learn:", "Goals for 2025:" (this one first on its line)
    if ((flags & F_HEAD) && line_words < ((flags & F_HONLY) ? 1 : 6)) {
        bool rest_blank = false;
        size_t colon = SIZE_MAX;
        //  after other words or an intent, only heading words: "Technologies
        //  I have not used:", "Learning goals:", not "Learning never stops:"
        bool strict = !(flags & F_HONLY) && (line_words > 0 || cue.kind == CUE_INTENT);
        if (s_heading_after (self, cue.end, (flags & F_HONLY) || cue.kind == CUE_INTENT,
                             strict, &rest_blank, &colon)) {
            self->heading_colon = colon;
            if (rest_blank) {
                self->block = cue;
                self->block_lines = true;
                self->block_bullets = false;
                self->block_line_count = 0;
            }
            else
                self->forward = cue;
            return;
        }
    }
    if (flags & F_HONLY)
        return;
    if (flags & F_GATE) {
        int gate = s_gate (self, cue.end, false);
        if (gate < 0)
            return;
        cue.flags = flags |= gate;
    }
    //  "never stops": no forward cue, but "Java kenne ich nie." may apply backward
    if ((flags & F_SOFT) && s_gate (self, cue.end, true) < 0)
        cue.flags = flags &= ~F_FWD;
    if ((flags & F_VERB) && !s_verb_follows (self, cue.end))
        return;
    if ((flags & F_LEARN) && self->clause_words > 0 && !(s_roles_at (self->text, self->prev_start, self->prev_end) & R_LPREV))
        return;
    if ((flags & F_TEAM) && self->led)
        return;
    //  "new hires who want to learn Kubernetes": someone else's wish, and the
    //  candidate who teaches them likely holds it
    if (cue.kind == CUE_INTENT && self->teaching)
        return;
    if ((flags & F_WORK) && !(s_roles_at (self->text, self->prev_start, self->prev_end) & R_WORK))
        return;
    if (cue.kind == CUE_INTENT && self->forward.kind == CUE_NEGATION
    &&  (self->intent_negated || s_words_between (self, self->forward.end, cue.start) <= 1)) {
        self->intent_negated = true;        //  "not interested in", "don't want to learn"
        return;
    }
    if ((flags & F_BACK) && s_self_follows (text, len, cue.end))
        return;                             //  "maintained by me"
    if (flags & F_BACK)
        for (long i = self->clause_first; i < self->next; i++)
            s_apply (&self->found [i], &cue);
    if (flags & F_FWD) {
        self->forward = cue;
        self->intent_negated = false;
    }
    if (flags & F_TAIL) {
        self->tail = cue;
        self->tail_words = 0;
    }
    else
        self->tail.kind = CUE_NONE;
}

//  Whether the word before start (on its line, past spaces) is a possessive
//  that makes a team the candidate's own: "our team used Docker" is held,
//  "our ops team runs Kubernetes" is someone else's
static bool
s_own_team (const char *text, uint32_t start)
{
    static const char *owners [] = { "our", "my", "unser", "unsere", "unserem", "mein", "meinem",
                                     "notre", "mon", "ma", "nuestro", "nuestra", "mi", NULL };
    uint32_t end = start;
    while (end > 0 && (text [end - 1] == ' ' || text [end - 1] == '\t') && start - end < 16)
        end--;
    uint32_t begin = end;
    while (begin > 0 && end - begin < 8 && ((text [begin - 1] | 0x20) >= 'a' && (text [begin - 1] | 0x20) <= 'z'))
        begin--;
    if (begin == end || (begin > 0 && (unsigned char) text [begin - 1] >= 0x80))
        return false;
    for (int i = 0; owners [i]; i++)
        if (strlen (owners [i]) == end - begin && strncasecmp (owners [i], text + begin, end - begin) == 0)
            return true;
    return false;
}

//  Whether a word ending at end was written with 's (or ’s)
static bool
s_possessive (const char *text, uint32_t end)
{
    if (end >= 2 && (text [end - 1] | 0x20) == 's' && text [end - 2] == '\'')
        return true;
    return end >= 4 && (text [end - 1] | 0x20) == 's' && memcmp (text + end - 4, "\xE2\x80\x99", 3) == 0;
}

//  Whether '(' comes next on the line, past spaces
static bool
s_paren_follows (const char *text, size_t len, size_t pos)
{
    for (int i = 0; pos < len && (text [pos] == ' ' || text [pos] == '\t') && i < 8; i++)
        pos++;
    return pos < len && text [pos] == '(';
}

//  Tries the phrases a word starts; returns the end of the one matched, or 0
static uint32_t
s_phrases_at (s_pass_t *self, const s_word_t *word, int line_words)
{
    const s_entry_t *entry = word->entry;
    s_word_t words [PHRASE_POSITIONS];      //  words read after it, by start offset
    uint32_t read_at [PHRASE_POSITIONS];
    int read = 0;
    for (int i = 0; entry && i < entry->phrase_count; i++) {
        const s_phrase_t *phrase = &s_phrases [entry->phrases [i]];
        if ((phrase->flags & F_GROUP) && s_own_team (self->text, word->start))
            continue;
        if ((phrase->flags & F_POSS) && !s_possessive (self->text, word->end))
            continue;
        if ((phrase->flags & F_PAREN) && !s_paren_follows (self->text, self->len, word->end))
            continue;
        const s_compiled_t *compiled = &s_compiled [entry->phrases [i]];
        s_word_t last = *word;
        bool matched = true;
        for (int position = 0; matched && position < compiled->positions; position++) {
            //  the phrases a word starts read the same words after it: once
            s_word_t next;
            int cached = 0;
            while (cached < read && read_at [cached] != last.end)
                cached++;
            if (cached < read)
                next = words [cached];
            else {
                next = s_next_word (self->text, self->len, last.end);
                if (read < PHRASE_POSITIONS) {
                    read_at [read] = last.end;
                    words [read++] = next;
                }
            }
            //  "*": any one word ("team * uses")
            if (!next.end || s_mention_at (self, next.start) || !s_word_is (&next, compiled->set [position]))
                matched = false;
            else
                last = next;
        }
        if (matched) {
            s_cue_t cue = { phrase->kind, word->start, last.end, phrase->flags };
            s_cue (self, cue, line_words);
            return last.end;
        }
    }
    return 0;
}

//  At the start of a line after the one that just ended: the heading block
//  goes on over bullet lines and the lines of a plain list, and ends at a
//  blank line, another heading or a paragraph after bullets.
static void
s_line_start (s_pass_t *self, size_t pos)
{
    if (self->block.kind == CUE_NONE)
        return;
    if (!self->block_lines) {
        self->block.kind = CUE_NONE;            //  "No: PHP, Java" covers its own line
        return;
    }
    bool blank, bullet;
    s_line_kind (self->text, self->len, pos, &blank, &bullet);
    if (blank || ++self->block_line_count > BLOCK_LINES_MAX
    ||  (!bullet && (self->block_bullets || s_line_is_heading (self, pos))))
        self->block.kind = CUE_NONE;
    if (bullet)
        self->block_bullets = true;
}

//  The first newline in text [pos, stop), else stop: eight bytes a step
//  (a mention's few bytes: no call)
static inline size_t
s_newline_or (const char *text, size_t pos, size_t stop)
{
    for (; pos + 8 <= stop; pos += 8) {
        uint64_t bytes;
        memcpy (&bytes, text + pos, 8);
        uint64_t x = bytes ^ 0x0A0A0A0A0A0A0A0Aull;       //  a newline is a zero byte
        if ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull)
            break;
    }
    while (pos < stop && text [pos] != '\n')
        pos++;
    return pos;
}

void
jm_context_classify (const char *text, size_t len, jm_found_t *found, long count)
{
    if (!text || !found || count <= 0)
        return;
    pthread_once (&s_table_once, s_table_build);
    s_pass_t pass = { .text = text, .len = len, .found = found, .count = count,
                      .heading_colon = SIZE_MAX };
    s_pass_t *self = &pass;
    size_t pos = 0;
    size_t skip_to = 0;
    size_t next_start = found [0].start;
    while (pos < len) {
        if (pos < next_start && text [pos] == ' ') {
            pos++;
            continue;
        }
        //  mentions that start here or before: decide them, skip their text
        if (pos >= next_start) {
            while (self->next < count && found [self->next].start <= pos) {
                s_mention (self, &found [self->next]);
                if (found [self->next].end > skip_to)
                    skip_to = found [self->next].end;
                self->next++;
            }
            next_start = self->next < count ? found [self->next].start : SIZE_MAX;
        }
        if (pos < skip_to) {
            //  a mention's text is no cue, but its line may end inside it
            //  only in malformed input: keep newlines seen
            size_t stop = skip_to < len ? skip_to : len;
            pos = s_newline_or (text, pos, stop);
            if (pos == stop)
                continue;
        }
        unsigned char c = (unsigned char) text [pos];
        if (s_ascii_alnum (c) || (c >= 0x80 && s_letter (text, len, pos))) {
            s_word_t word = s_scan_word (text, len, pos);
            bool listing = self->forward.kind != CUE_NONE && (self->forward.flags & F_LIST);
            bool open = self->forward.kind != CUE_NONE || self->tail.kind != CUE_NONE;
            if (self->tail.kind != CUE_NONE || listing || s_filter_has (open ? s_filter : s_calm_filter, word.hash))
                s_look_up (text, &word);
            int roles = s_roles_of (&word);
            //  "No SQL injection issues in the PHP code": a list ends at a word
            if (listing && !(roles & (R_JOIN | R_ARTICLE | R_PREP)))
                self->forward.kind = CUE_NONE;
            //  words after a backward cue: only "used", "gelernt"...
            if (self->tail.kind != CUE_NONE && (!(roles & R_TVERB) || ++self->tail_words > 2))
                self->tail.kind = CUE_NONE;
            if (roles & R_BREAK)
                s_clause_end (self);
            else
            if ((roles & R_AND) && (self->forward.kind || self->tail.kind)) {
                s_word_t after = s_next_word (text, len, word.end);
                if (after.end && (s_roles_of (&after) & R_ANDVERB) && !s_mention_at (self, after.start))
                    s_clause_end (self);
            }
            if (roles & R_LED)
                self->led = true;
            if (roles & R_TEACH)
                self->teaching = true;
            uint32_t end = 0;
            if (word.entry && word.entry->phrase_count)
                end = s_phrases_at (self, &word, self->line_words);
            self->prev_was_cue = end != 0;
            if (end > word.end) {
                //  a phrase: its words are read
                self->line_words += 2;
                self->clause_words += 2;
                self->prev_start = self->prev_end = 0;
                pos = end;
            }
            else {
                if (self->line_words || !s_digits (text, &word))
                    self->line_words++;
                self->clause_words++;
                self->prev_start = word.start;
                self->prev_end = word.end;
                pos = word.end;
            }
            self->prev_was_mention = false;
            self->last_mark = 0;
            continue;
        }
        if (c == '\n') {
            //  a line that breaks a phrase goes on: "experience with\nPython"
            //  (the next line's kind matters only then)
            bool blank = true, bullet = false;
            if ((self->forward.kind || self->tail.kind) && self->line_words > 0)
                s_line_kind (text, len, pos + 1, &blank, &bullet);
            bool goes_on = (self->forward.kind || self->tail.kind) && !blank && !bullet && self->line_words > 0
                        && (self->last_mark == ','
                            || (self->last_mark == 0 && !self->prev_was_mention
                                && (self->prev_was_cue
                                    || (s_roles_at (text, self->prev_start, self->prev_end) & R_CONT))));
            if (!goes_on)
                s_clause_end (self);
            self->line_words = 0;
            self->prev_start = self->prev_end = 0;
            self->prev_was_cue = false;
            self->prev_was_mention = false;
            self->last_mark = 0;
            pos++;
            s_line_start (self, pos);
            continue;
        }
        if (c < 0x80) {
            switch (c) {
                case '.':
                    //  "Node.js", "3.5" and "e.g." do not end a sentence
                    if (pos + 1 >= len || !s_ascii_alnum ((unsigned char) text [pos + 1]))
                        if (!(pos >= 2 && text [pos - 2] == '.'))
                            s_clause_end (self);
                    break;
                case '!': case '?': case ';': case ')': case ']': case '|':
                    s_clause_end (self);
                    break;
                case ':':
                    //  "Learning never stops: picked up Rust" (not a heading's,
                    //  not a time)
                    if (pos != self->heading_colon && (self->forward.kind || self->tail.kind)
                    &&  !(pos + 1 < len && text [pos + 1] >= '0' && text [pos + 1] <= '9'))
                        s_clause_end (self);
                    break;
                case ',': {
                    if (self->forward.kind != CUE_NONE && (self->forward.flags & F_COMMA))
                        self->forward.kind = CUE_NONE;
                    if (!self->forward.kind && !self->tail.kind)
                        break;                  //  no cue whose scope it could end
                    s_word_t after = s_next_word (text, len, pos + 1);
                    if (after.end && !s_mention_at (self, after.start)
                    &&  ((s_roles_of (&after) & (R_FRESH | R_BREAK)) || after.digits))
                        s_clause_end (self);
                    break;
                }
                default:
                    break;
            }
            if (!s_space ((char) c))
                self->last_mark = (char) c;
            pos++;
            continue;
        }
        //  other non-ASCII: a cross mark is a negation, a tick a new clause
        size_t size;
        uint32_t code = s_decode (text, len, pos, &size);
        if (code == 0x274C || code == 0x2717 || code == 0x2718 || code == 0x2716
        ||  code == 0x1F6AB || code == 0x26D4 || code == 0x274E) {
            s_cue_t cue = { CUE_NEGATION, (uint32_t) pos, (uint32_t) (pos + size), F_FWD | F_POST | F_LIST };
            //  after a skill only at the end of the item: "PHP ❌"
            size_t after = pos + size;
            while (after < len && s_space (text [after]))
                after++;
            if (after + 3 <= len && memcmp (text + after, "\xEF\xB8\x8F", 3) == 0)
                after += 3;                     //  the emoji variation selector
            while (after < len && s_space (text [after]))
                after++;
            bool item_end = after >= len || text [after] == '\n' || text [after] == ','
                         || text [after] == ';' || text [after] == '|';
            if (!(item_end && s_post_cue (self, &cue, true))) {
                self->forward = cue;
                self->tail.kind = CUE_NONE;
            }
            self->line_words++;
            self->last_mark = 0;
        }
        else
        if (code == 0x2713 || code == 0x2714 || code == 0x2705 || code == 0x2611)
            s_clause_end (self);
        else
        if (code == 0x2014 || code == 0x2013)
            self->last_mark = '-';
        pos += size;
    }
    //  mentions at the very end, then the last clause
    while (self->next < count) {
        s_mention (self, &found [self->next]);
        self->next++;
    }
    s_clause_end (self);
}
