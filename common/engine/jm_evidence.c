/*  jm_evidence: years and level from the words around each held mention.
    See jm_evidence.h for the rules and data/README.md for the table.

    Two bounded walks per held mention, no allocation:
      before  back from the mention over the skills coordinated with it
              ("Java, Docker and"), then over filler words ("of experience
              with") and level words ("solid"), to a duration ("5 years"),
              "since 2016" or a level word ("familiar", "senior");
      after   forward from the mention over one opener ("(", ":", "–") to
              a duration ("5 yrs", "for 5 years", "seit 5 Jahren"), a year
              ("since 2016", "2015–2020", "2016–present"), a rating ("4/5",
              "Level 4", "★★★★☆") or a level word ("expert", "basic").
    Words are looked up in one table (s_words) through a small hash built
    once, behind a bit filter that turns most other words away at once.
    Both walks stop at a line or sentence end and at any word the table
    does not know.  A skill coordinated with the previous held one ("Java,
    Docker") reuses that one's backward walk, so a long list costs no more
    than a short one.                                                      */
#include "jm_evidence.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define s_BEFORE        120     //  bytes looked at before a mention
#define s_AFTER         80      //  and after it
#define s_ROLE_AFTER    60      //  from a mention to its role noun ("developer")
#define s_MAX_YEARS     50      //  more is not a career
#define s_YEAR_MIN      1970    //  a year, for "since" and ranges
#define s_YEAR_MAX      2100
#define s_WORD_MAX      24      //  longest word in the table, bytes

//  What a word can be; one word may be several things ("a": filler, the
//  number one before a unit, and Spanish "to" in "de 2015 a 2020").
enum {
    s_FILLER    = 1 << 0,   //  between a phrase and its skill: of, experience, with
    s_SEP       = 1 << 1,   //  joins coordinated skills: and, or, und, y, et
    s_LEVEL     = 1 << 2,   //  a level word; level in .level
    s_ROLE      = 1 << 3,   //  a level only before "X developer": senior, lead
    s_INTENS    = 1 << 4,   //  very, sehr: one more for levels 3 and 4
    s_UNIT      = 1 << 5,   //  a time unit; months in .months
    s_TIGHT     = 1 << 6,   //  a unit only right after digits: 5y, 6mo
    s_NUMBER    = 1 << 7,   //  a number word, value in .number (only before a unit)
    s_LEAD      = 1 << 8,   //  after a skill, before the number: for, over, about
    s_SINCE     = 1 << 9,   //  since, seit, desde, depuis
    s_TO        = 1 << 10,  //  a range's "to": to, until, bis, hasta, à
    s_PRESENT   = 1 << 11,  //  a range's open end: present, now, heute
    s_AGO       = 1 << 12,  //  after a duration: ago, old (no duration then)
    s_AGO_BEFORE= 1 << 13,  //  before a duration: vor, hace (ago)
    s_ROLE_NOUN = 1 << 14,  //  developer, engineer, Entwickler
    s_ROLE_FILL = 1 << 15,  //  between a skill and its role noun: backend, software
    s_NOT_AFTER = 1 << 16,  //  a level word not read after a skill ("Java some")
    s_RATING    = 1 << 17,  //  level, niveau, nivel, Stufe: a rating follows
    s_WITH      = 1 << 18,  //  "X developer with 5 years": with, mit, con, avec
    s_AFTER_DE  = 1 << 19   //  a level only after "de": "connaissances de base en X"
};

typedef struct {
    const char *text;       //  lower case, UTF-8
    int flags;
    int level;              //  s_LEVEL
    int number;             //  s_NUMBER
    int months;             //  s_UNIT
} s_word_t;

#define s_W(text, flags)            { text, flags, 0, 0, 0 }
#define s_L(text, flags, level)     { text, flags, level, 0, 0 }
#define s_N(text, flags, number)    { text, flags, 0, number, 0 }
#define s_U(text, flags, months)    { text, flags, 0, 0, months }

//  Every word the walks know.  Lower case; the lookup folds ASCII and
//  Latin-1 letters (É -> é).  One row per word.
static const s_word_t s_words [] = {
    //  English fillers
    s_W ("of", s_FILLER), s_W ("in", s_FILLER), s_W ("with", s_FILLER | s_WITH), s_W ("using", s_FILLER),
    s_W ("on", s_FILLER), s_W ("the", s_FILLER | s_LEAD), s_N ("a", s_FILLER | s_NUMBER | s_TO, 1),
    { "an", s_FILLER | s_NUMBER | s_UNIT, 0, 1, 12 }, s_W ("as", s_FILLER),
    s_W ("to", s_FILLER | s_TO), s_W ("experience", s_FILLER), s_W ("experiences", s_FILLER),
    s_W ("professional", s_FILLER), s_W ("professionally", s_FILLER), s_W ("commercial", s_FILLER),
    s_W ("commercially", s_FILLER), s_W ("industry", s_FILLER), s_W ("industrial", s_FILLER),
    s_W ("production", s_FILLER), s_W ("practical", s_FILLER), s_W ("relevant", s_FILLER),
    s_W ("hands", s_FILLER), s_W ("working", s_FILLER), s_W ("work", s_FILLER),
    s_W ("programming", s_FILLER), s_W ("development", s_FILLER), s_W ("developing", s_FILLER),
    s_W ("coding", s_FILLER), s_W ("writing", s_FILLER), s_W ("building", s_FILLER),
    s_W ("software", s_FILLER | s_ROLE_FILL), s_W ("backend", s_FILLER | s_ROLE_FILL),
    s_W ("frontend", s_FILLER | s_ROLE_FILL), s_W ("back", s_ROLE_FILL | s_AGO),
    s_W ("front", s_ROLE_FILL), s_W ("end", s_ROLE_FILL), s_W ("full", s_FILLER | s_ROLE_FILL),
    s_W ("stack", s_FILLER | s_ROLE_FILL), s_W ("fullstack", s_FILLER | s_ROLE_FILL),
    s_W ("web", s_FILLER | s_ROLE_FILL), s_W ("enterprise", s_FILLER), s_W ("total", s_FILLER),
    s_W ("overall", s_FILLER), s_W ("combined", s_FILLER), s_W ("knowledge", s_FILLER),
    s_W ("skills", s_FILLER), s_W ("skill", s_FILLER), s_W ("understanding", s_FILLER),
    s_W ("background", s_FILLER), s_W ("command", s_FILLER), s_W ("applied", s_FILLER),
    //  German fillers
    s_W ("mit", s_FILLER | s_WITH), s_W ("im", s_FILLER), s_W ("von", s_FILLER), s_W ("der", s_FILLER),
    s_W ("die", s_FILLER), s_W ("den", s_FILLER), s_W ("dem", s_FILLER),
    s_W ("als", s_FILLER | s_LEAD), s_W ("für", s_FILLER), s_W ("erfahrung", s_FILLER),
    s_W ("erfahrungen", s_FILLER), s_W ("berufserfahrung", s_FILLER),
    s_W ("praxiserfahrung", s_FILLER), s_W ("praktische", s_FILLER), s_W ("praktischer", s_FILLER),
    s_W ("professionelle", s_FILLER), s_W ("kenntnisse", s_FILLER), s_W ("kenntnissen", s_FILLER),
    s_W ("wissen", s_FILLER), s_W ("entwicklung", s_FILLER), s_W ("programmierung", s_FILLER),
    s_W ("einschlägige", s_FILLER), s_W ("mehrjährige", s_FILLER), s_W ("langjährige", s_FILLER),
    //  Spanish fillers
    s_W ("de", s_FILLER | s_LEAD), s_W ("del", s_FILLER), s_W ("en", s_FILLER),
    s_W ("con", s_FILLER | s_WITH), s_W ("el", s_FILLER), s_W ("la", s_FILLER), s_W ("los", s_FILLER),
    s_W ("las", s_FILLER), s_W ("experiencia", s_FILLER), s_W ("profesional", s_FILLER),
    s_W ("laboral", s_FILLER), s_W ("trabajando", s_FILLER), s_W ("usando", s_FILLER),
    s_W ("desarrollando", s_FILLER), s_W ("programando", s_FILLER), s_W ("desarrollo", s_FILLER),
    s_W ("programación", s_FILLER), s_W ("conocimientos", s_FILLER),
    s_W ("conocimiento", s_FILLER), s_W ("manejo", s_FILLER), s_W ("uso", s_FILLER),
    s_W ("nivel", s_FILLER | s_RATING),
    //  French fillers
    s_W ("d", s_FILLER), s_W ("du", s_FILLER), s_W ("des", s_FILLER), s_W ("avec", s_FILLER | s_WITH),
    s_W ("dans", s_FILLER), s_W ("le", s_FILLER), s_W ("les", s_FILLER), s_W ("l", s_FILLER),
    s_W ("sur", s_FILLER), s_W ("expérience", s_FILLER), s_W ("expériences", s_FILLER),
    s_W ("professionnelle", s_FILLER), s_W ("professionnel", s_FILLER),
    s_W ("connaissances", s_FILLER), s_W ("connaissance", s_FILLER),
    s_W ("développement", s_FILLER), s_W ("programmation", s_FILLER), s_W ("pratique", s_FILLER),
    s_W ("niveau", s_FILLER | s_RATING), s_W ("level", s_FILLER | s_RATING), s_W ("stufe", s_RATING),
    //  coordination
    s_W ("and", s_SEP), s_W ("or", s_SEP), s_W ("und", s_SEP), s_W ("oder", s_SEP),
    s_W ("sowie", s_SEP), s_U ("y", s_SEP | s_UNIT | s_TIGHT, 12), s_W ("o", s_SEP),
    s_W ("et", s_SEP), s_W ("ou", s_SEP),
    //  level 5
    s_L ("expert", s_LEVEL | s_ROLE_NOUN, 5), s_L ("experts", s_LEVEL, 5),
    s_L ("experte", s_LEVEL, 5), s_L ("expertin", s_LEVEL, 5), s_L ("experten", s_LEVEL, 5),
    s_L ("expertenwissen", s_LEVEL, 5), s_L ("experto", s_LEVEL, 5), s_L ("experta", s_LEVEL, 5),
    s_L ("expertos", s_LEVEL, 5), s_L ("guru", s_LEVEL, 5), s_L ("mastery", s_LEVEL, 5),
    s_L ("lead", s_LEVEL | s_ROLE | s_ROLE_NOUN, 5), s_L ("principal", s_LEVEL | s_ROLE, 5),
    s_L ("staff", s_LEVEL | s_ROLE, 5),
    //  level 4
    s_L ("senior", s_LEVEL | s_ROLE, 4), s_L ("advanced", s_LEVEL, 4), s_L ("strong", s_LEVEL, 4),
    s_L ("proficient", s_LEVEL, 4), s_L ("proficiency", s_LEVEL, 4), s_L ("deep", s_LEVEL, 4),
    s_L ("depth", s_LEVEL, 4), s_L ("extensive", s_LEVEL, 4), s_L ("thorough", s_LEVEL, 4),
    s_L ("fluent", s_LEVEL, 4), s_L ("excellent", s_LEVEL, 4), s_L ("expertise", s_LEVEL, 4),
    s_L ("fortgeschritten", s_LEVEL, 4), s_L ("fortgeschrittene", s_LEVEL, 4),
    s_L ("fortgeschrittenen", s_LEVEL, 4), s_L ("fundiert", s_LEVEL, 4),
    s_L ("fundierte", s_LEVEL, 4), s_L ("fundierten", s_LEVEL, 4), s_L ("vertiefte", s_LEVEL, 4),
    s_L ("vertieften", s_LEVEL, 4), s_L ("umfassende", s_LEVEL, 4),
    s_L ("umfassenden", s_LEVEL, 4), s_L ("tiefe", s_LEVEL, 4), s_L ("tiefgehende", s_LEVEL, 4),
    s_L ("ausgezeichnete", s_LEVEL, 4), s_L ("hervorragende", s_LEVEL, 4),
    s_L ("avanzado", s_LEVEL, 4), s_L ("avanzados", s_LEVEL, 4), s_L ("avanzada", s_LEVEL, 4),
    s_L ("avanzadas", s_LEVEL, 4), s_L ("amplia", s_LEVEL, 4), s_L ("amplio", s_LEVEL, 4),
    s_L ("amplios", s_LEVEL, 4), s_L ("amplias", s_LEVEL, 4), s_L ("profundo", s_LEVEL, 4),
    s_L ("profundos", s_LEVEL, 4), s_L ("profunda", s_LEVEL, 4), s_L ("profundas", s_LEVEL, 4),
    s_L ("excelente", s_LEVEL, 4), s_L ("excelentes", s_LEVEL, 4), s_L ("dominio", s_LEVEL, 4),
    s_L ("avancé", s_LEVEL, 4), s_L ("avancée", s_LEVEL, 4), s_L ("avancés", s_LEVEL, 4),
    s_L ("avancées", s_LEVEL, 4), s_L ("confirmé", s_LEVEL, 4), s_L ("confirmée", s_LEVEL, 4),
    s_L ("approfondi", s_LEVEL, 4), s_L ("approfondie", s_LEVEL, 4),
    s_L ("approfondies", s_LEVEL, 4), s_L ("approfondis", s_LEVEL, 4),
    s_L ("excellente", s_LEVEL, 4), s_L ("excellentes", s_LEVEL, 4), s_L ("maîtrise", s_LEVEL, 4),
    s_L ("maitrise", s_LEVEL, 4),
    //  level 3
    s_L ("solid", s_LEVEL, 3), s_L ("good", s_LEVEL, 3), s_L ("experienced", s_LEVEL, 3),
    s_L ("intermediate", s_LEVEL, 3), s_L ("skilled", s_LEVEL, 3), s_L ("comfortable", s_LEVEL, 3),
    s_L ("competent", s_LEVEL, 3), s_L ("decent", s_LEVEL, 3), s_L ("gut", s_LEVEL, 3),
    s_L ("gute", s_LEVEL, 3), s_L ("guten", s_LEVEL, 3), s_L ("solide", s_LEVEL, 3),
    s_L ("soliden", s_LEVEL, 3), s_L ("solides", s_LEVEL, 3), s_L ("intermedio", s_LEVEL, 3),
    s_L ("intermedia", s_LEVEL, 3), s_L ("buen", s_LEVEL, 3), s_L ("buenos", s_LEVEL, 3),
    s_L ("buena", s_LEVEL, 3), s_L ("buenas", s_LEVEL, 3), s_L ("sólido", s_LEVEL, 3),
    s_L ("sólidos", s_LEVEL, 3), s_L ("sólida", s_LEVEL, 3), s_L ("sólidas", s_LEVEL, 3),
    s_L ("intermédiaire", s_LEVEL, 3), s_L ("bonne", s_LEVEL, 3), s_L ("bonnes", s_LEVEL, 3),
    s_L ("bon", s_LEVEL, 3), s_L ("bons", s_LEVEL, 3),
    //  level 2
    s_L ("basic", s_LEVEL, 2), s_L ("basics", s_LEVEL, 2), s_L ("familiar", s_LEVEL, 2),
    s_L ("familiarity", s_LEVEL, 2), s_L ("exposure", s_LEVEL, 2),
    s_L ("some", s_LEVEL | s_NOT_AFTER, 2), s_L ("junior", s_LEVEL | s_ROLE, 2),
    s_L ("limited", s_LEVEL, 2), s_L ("elementary", s_LEVEL, 2),
    s_L ("grundkenntnisse", s_LEVEL, 2), s_L ("grundlagen", s_LEVEL, 2),
    s_L ("grundlegende", s_LEVEL, 2), s_L ("basiswissen", s_LEVEL, 2), s_L ("básico", s_LEVEL, 2),
    s_L ("básicos", s_LEVEL, 2), s_L ("básica", s_LEVEL, 2), s_L ("básicas", s_LEVEL, 2),
    s_L ("basico", s_LEVEL, 2), s_L ("basicos", s_LEVEL, 2), s_L ("base", s_LEVEL | s_AFTER_DE, 2),
    s_L ("bases", s_LEVEL, 2), s_L ("élémentaire", s_LEVEL, 2), s_L ("élémentaires", s_LEVEL, 2),
    //  level 1
    s_L ("beginner", s_LEVEL, 1), s_L ("novice", s_LEVEL, 1), s_L ("introductory", s_LEVEL, 1),
    s_L ("little", s_LEVEL | s_NOT_AFTER, 1), s_L ("anfänger", s_LEVEL, 1),
    s_L ("anfängerkenntnisse", s_LEVEL, 1), s_L ("erste", s_LEVEL | s_NOT_AFTER, 1),
    s_L ("principiante", s_LEVEL, 1), s_L ("nociones", s_LEVEL, 1), s_L ("notions", s_LEVEL, 1),
    s_L ("débutant", s_LEVEL, 1), s_L ("débutante", s_LEVEL, 1),
    //  intensifiers
    s_W ("very", s_INTENS), s_W ("highly", s_INTENS), s_W ("extremely", s_INTENS),
    s_W ("really", s_INTENS), s_W ("sehr", s_INTENS), s_W ("muy", s_INTENS),
    s_W ("très", s_INTENS),
    //  units
    s_U ("years", s_UNIT, 12), s_U ("year", s_UNIT, 12), s_U ("yrs", s_UNIT, 12),
    s_U ("yr", s_UNIT, 12), s_U ("jahre", s_UNIT, 12), s_U ("jahren", s_UNIT, 12),
    s_U ("jahr", s_UNIT, 12), s_U ("años", s_UNIT, 12), s_U ("año", s_UNIT, 12),
    s_U ("anos", s_UNIT, 12), s_U ("ans", s_UNIT, 12), s_U ("année", s_UNIT, 12),
    s_U ("années", s_UNIT, 12), s_U ("months", s_UNIT, 1), s_U ("month", s_UNIT, 1),
    s_U ("mos", s_UNIT, 1), s_U ("mo", s_UNIT | s_TIGHT, 1), s_U ("monate", s_UNIT, 1),
    s_U ("monaten", s_UNIT, 1), s_U ("monat", s_UNIT, 1), s_U ("meses", s_UNIT, 1),
    s_U ("mes", s_UNIT, 1), s_U ("mois", s_UNIT, 1), s_U ("decade", s_UNIT, 120),
    s_U ("decades", s_UNIT, 120), s_U ("jahrzehnt", s_UNIT, 120), s_U ("jahrzehnte", s_UNIT, 120),
    s_U ("década", s_UNIT, 120), s_U ("décadas", s_UNIT, 120), s_U ("décennie", s_UNIT, 120),
    s_U ("décennies", s_UNIT, 120), s_U ("jährige", s_UNIT, 12), s_U ("jährigen", s_UNIT, 12),
    s_U ("jähriger", s_UNIT, 12),
    //  number words (read only before a unit)
    s_N ("one", s_NUMBER, 1), s_N ("two", s_NUMBER, 2), s_N ("three", s_NUMBER, 3),
    s_N ("four", s_NUMBER, 4), s_N ("five", s_NUMBER, 5), s_N ("six", s_NUMBER, 6),
    s_N ("seven", s_NUMBER, 7), s_N ("eight", s_NUMBER, 8), s_N ("nine", s_NUMBER, 9),
    s_N ("ten", s_NUMBER, 10), s_N ("eleven", s_NUMBER, 11), s_N ("twelve", s_NUMBER, 12),
    s_N ("thirteen", s_NUMBER, 13), s_N ("fourteen", s_NUMBER, 14), s_N ("fifteen", s_NUMBER, 15),
    s_N ("sixteen", s_NUMBER, 16), s_N ("seventeen", s_NUMBER, 17), s_N ("eighteen", s_NUMBER, 18),
    s_N ("nineteen", s_NUMBER, 19), s_N ("twenty", s_NUMBER, 20), s_N ("ein", s_NUMBER, 1),
    s_N ("eine", s_NUMBER, 1), s_N ("einem", s_NUMBER, 1), s_N ("zwei", s_NUMBER, 2),
    s_N ("drei", s_NUMBER, 3), s_N ("vier", s_NUMBER, 4), s_N ("fünf", s_NUMBER, 5),
    s_N ("sechs", s_NUMBER, 6), s_N ("sieben", s_NUMBER, 7), s_N ("acht", s_NUMBER, 8),
    s_N ("neun", s_NUMBER, 9), s_N ("zehn", s_NUMBER, 10), s_N ("elf", s_NUMBER, 11),
    s_N ("zwölf", s_NUMBER, 12), s_N ("zwanzig", s_NUMBER, 20), s_N ("un", s_NUMBER, 1),
    s_N ("uno", s_NUMBER, 1), s_N ("una", s_NUMBER, 1), s_N ("dos", s_NUMBER, 2),
    s_N ("tres", s_NUMBER, 3), s_N ("cuatro", s_NUMBER, 4), s_N ("cinco", s_NUMBER, 5),
    s_N ("seis", s_NUMBER, 6), s_N ("siete", s_NUMBER, 7), s_N ("ocho", s_NUMBER, 8),
    s_N ("nueve", s_NUMBER, 9), s_N ("diez", s_NUMBER, 10), s_N ("quince", s_NUMBER, 15),
    s_N ("veinte", s_NUMBER, 20), s_N ("une", s_NUMBER, 1), s_N ("deux", s_NUMBER, 2),
    s_N ("trois", s_NUMBER, 3), s_N ("quatre", s_NUMBER, 4), s_N ("cinq", s_NUMBER, 5),
    s_N ("sept", s_NUMBER, 7), s_N ("huit", s_NUMBER, 8), s_N ("neuf", s_NUMBER, 9),
    s_N ("dix", s_NUMBER, 10), s_N ("quinze", s_NUMBER, 15), s_N ("vingt", s_NUMBER, 20),
    //  after a skill, before a duration or a year
    s_W ("for", s_LEAD), s_W ("over", s_LEAD), s_W ("about", s_LEAD), s_W ("around", s_LEAD),
    s_W ("almost", s_LEAD), s_W ("nearly", s_LEAD), s_W ("approximately", s_LEAD),
    s_W ("approx", s_LEAD), s_W ("roughly", s_LEAD), s_W ("more", s_LEAD), s_W ("than", s_LEAD),
    s_W ("last", s_LEAD), s_W ("past", s_LEAD), s_W ("from", s_LEAD), s_W ("más", s_LEAD),
    s_W ("mas", s_LEAD), s_W ("mehr", s_LEAD), s_W ("über", s_LEAD), s_W ("ca", s_LEAD),
    s_W ("circa", s_LEAD), s_W ("etwa", s_LEAD), s_W ("rund", s_LEAD), s_W ("plus", s_LEAD),
    s_W ("presque", s_LEAD), s_W ("environ", s_LEAD), s_W ("pendant", s_LEAD),
    s_W ("durante", s_LEAD), s_W ("during", s_LEAD), s_W ("hace", s_LEAD | s_AGO_BEFORE),
    s_W ("since", s_SINCE), s_W ("seit", s_SINCE), s_W ("desde", s_SINCE), s_W ("depuis", s_SINCE),
    //  ranges
    s_W ("until", s_TO), s_W ("till", s_TO), s_W ("through", s_TO), s_W ("bis", s_TO),
    s_W ("hasta", s_TO), s_W ("à", s_TO), s_W ("au", s_TO), s_W ("present", s_PRESENT),
    s_W ("now", s_PRESENT), s_W ("today", s_PRESENT), s_W ("date", s_PRESENT),
    s_W ("current", s_PRESENT), s_W ("heute", s_PRESENT), s_W ("jetzt", s_PRESENT),
    s_W ("dato", s_PRESENT), s_W ("actualidad", s_PRESENT), s_W ("presente", s_PRESENT),
    s_W ("hoy", s_PRESENT), s_W ("aujourd", s_PRESENT), s_W ("maintenant", s_PRESENT),
    s_W ("ongoing", s_PRESENT),
    //  no duration
    s_W ("ago", s_AGO), s_W ("old", s_AGO), s_W ("later", s_AGO), s_W ("earlier", s_AGO),
    s_W ("before", s_AGO), s_W ("prior", s_AGO), s_W ("after", s_AGO), s_W ("vor", s_AGO_BEFORE),
    //  roles
    s_W ("developer", s_ROLE_NOUN), s_W ("developers", s_ROLE_NOUN), s_W ("dev", s_ROLE_NOUN),
    s_W ("engineer", s_ROLE_NOUN), s_W ("engineers", s_ROLE_NOUN), s_W ("programmer", s_ROLE_NOUN),
    s_W ("architect", s_ROLE_NOUN), s_W ("consultant", s_ROLE_NOUN),
    s_W ("specialist", s_ROLE_NOUN), s_W ("administrator", s_ROLE_NOUN),
    s_W ("admin", s_ROLE_NOUN), s_W ("dba", s_ROLE_NOUN), s_W ("analyst", s_ROLE_NOUN),
    s_W ("scientist", s_ROLE_NOUN), s_W ("entwickler", s_ROLE_NOUN),
    s_W ("entwicklerin", s_ROLE_NOUN), s_W ("programmierer", s_ROLE_NOUN),
    s_W ("berater", s_ROLE_NOUN), s_W ("architekt", s_ROLE_NOUN), s_W ("ingenieur", s_ROLE_NOUN),
    s_W ("desarrollador", s_ROLE_NOUN), s_W ("desarrolladora", s_ROLE_NOUN),
    s_W ("programador", s_ROLE_NOUN), s_W ("programadora", s_ROLE_NOUN),
    s_W ("ingeniero", s_ROLE_NOUN), s_W ("ingeniera", s_ROLE_NOUN),
    s_W ("arquitecto", s_ROLE_NOUN), s_W ("développeur", s_ROLE_NOUN),
    s_W ("développeuse", s_ROLE_NOUN), s_W ("developpeur", s_ROLE_NOUN),
    s_W ("ingénieur", s_ROLE_NOUN), s_W ("architecte", s_ROLE_NOUN),
    s_W ("application", s_ROLE_FILL), s_W ("applications", s_ROLE_FILL),
    s_W ("platform", s_ROLE_FILL), s_W ("data", s_ROLE_FILL), s_W ("cloud", s_ROLE_FILL),
    s_W ("systems", s_ROLE_FILL), s_W ("mobile", s_ROLE_FILL)
};
#define s_WORD_COUNT    (int) (sizeof s_words / sizeof s_words [0])

//  ---------------------------------------------------------------------------
//  The word table's hash, built once

#define s_HASH_SIZE     1024    //  power of two, over twice the words
#define s_FILTER_BITS   4096    //  a first test on first byte, last byte and length
static uint16_t s_hash [s_HASH_SIZE];   //  index + 1, 0: empty
static uint64_t s_key [s_WORD_COUNT];   //  words up to 8 bytes: their bytes
static uint8_t s_length [s_WORD_COUNT];
static uint64_t s_filter [s_FILTER_BITS / 64];          //  every word
static uint64_t s_filter_after [s_FILTER_BITS / 64];    //  words read after a skill
static pthread_once_t s_hash_once = PTHREAD_ONCE_INIT;

//  What a word after a skill may be; any other word ends the reading there
#define s_AFTER_FLAGS   (s_LEAD | s_SINCE | s_RATING | s_LEVEL | s_INTENS | s_WITH \
                         | s_ROLE_NOUN | s_ROLE_FILL)

//  A byte of a word (ASCII letters, Latin-1 letters C3 xx) in lower case:
//  'A' | 0x20 is 'a', and C3 89 (É) | 0x20 is C3 A9 (é); lead bytes stay
static inline __attribute__ ((always_inline)) unsigned char
s_fold (unsigned char c)
{
    return c < 0xC0 ? (unsigned char) (c | 0x20) : c;
}

static inline __attribute__ ((always_inline)) uint32_t
s_filter_key (unsigned char first, unsigned char last, size_t len)
{
    return ((uint32_t) first * 131u + (uint32_t) last * 7u + (uint32_t) len * 1031u) % s_FILTER_BITS;
}

//  The slot of a folded word: its bytes as one number when it has 8 or
//  fewer (*key set), else FNV-1a
static inline __attribute__ ((always_inline)) uint32_t
s_slot (const unsigned char *bytes, size_t len, uint64_t *key)
{
    if (len <= 8) {
        uint64_t value = 0;
        for (size_t i = 0; i < len; i++)
            value |= (uint64_t) s_fold (bytes [i]) << (8 * i);
        *key = value;
        return (uint32_t) ((value * 0x9E3779B97F4A7C15ULL) >> 54) & (s_HASH_SIZE - 1);
    }
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < len; i++)
        hash = (hash ^ s_fold (bytes [i])) * 16777619u;
    *key = 0;
    return hash & (s_HASH_SIZE - 1);
}

static void
s_hash_build (void)
{
    assert (s_WORD_COUNT * 2 < s_HASH_SIZE);
    for (int i = 0; i < s_WORD_COUNT; i++) {
        const unsigned char *text = (const unsigned char *) s_words [i].text;
        size_t len = strlen (s_words [i].text);
        assert (len > 0 && len <= s_WORD_MAX);
        s_length [i] = (uint8_t) len;
        uint32_t bit = s_filter_key (text [0], text [len - 1], len);
        s_filter [bit / 64] |= 1ULL << (bit % 64);
        if (s_words [i].flags & s_AFTER_FLAGS)
            s_filter_after [bit / 64] |= 1ULL << (bit % 64);
        uint32_t slot = s_slot (text, len, &s_key [i]);
        while (s_hash [slot]) {
            assert (strcmp (s_words [s_hash [slot] - 1].text, s_words [i].text) != 0);
            slot = (slot + 1) & (s_HASH_SIZE - 1);
        }
        s_hash [slot] = (uint16_t) (i + 1);
    }
}

//  Whether a table word equals bytes folded
static bool
s_same (const char *word, const unsigned char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) word [i] != s_fold (bytes [i]))
            return false;
    return true;
}

//  The table's word for the folded bytes, or NULL
static const s_word_t *
s_find_hashed (const unsigned char *bytes, size_t len)
{
    uint64_t key;
    uint32_t slot = s_slot (bytes, len, &key);
    for (int probe = 0; probe < s_HASH_SIZE && s_hash [slot]; probe++) {
        int index = s_hash [slot] - 1;
        if (s_length [index] == len) {
            if (len <= 8 ? s_key [index] == key : s_same (s_words [index].text, bytes, len))
                return &s_words [index];
        }
        slot = (slot + 1) & (s_HASH_SIZE - 1);
    }
    return NULL;
}

//  The table's word for text [start, end), case folded, or NULL; filter
//  is s_filter, or s_filter_after for the words read after a skill.  Most
//  words fail the filter here, without a call.
static inline __attribute__ ((always_inline)) const s_word_t *
s_find (const char *text, size_t start, size_t end, const uint64_t *filter)
{
    size_t len = end - start;
    if (len == 0 || len > s_WORD_MAX)
        return NULL;
    const unsigned char *bytes = (const unsigned char *) text + start;
    uint32_t bit = s_filter_key (s_fold (bytes [0]), s_fold (bytes [len - 1]), len);
    if (!(filter [bit / 64] >> (bit % 64) & 1))
        return NULL;
    return s_find_hashed (bytes, len);
}

static inline __attribute__ ((always_inline)) const s_word_t *
s_lookup (const char *text, size_t start, size_t end)
{
    return s_find (text, start, end, s_filter);
}

//  ---------------------------------------------------------------------------
//  Characters

enum {
    s_C_ALPHA   = 1,        //  ASCII letter
    s_C_DIGIT   = 2,
    s_C_JOIN    = 4,        //  skipped back inside a phrase: space, '-', quotes
    s_C_SPACE   = 8,        //  space or tab
    s_C_CONT    = 16        //  a UTF-8 continuation byte
};
static const uint8_t s_class [256] = {
    ['a' ... 'z'] = s_C_ALPHA, ['A' ... 'Z'] = s_C_ALPHA, ['0' ... '9'] = s_C_DIGIT,
    [' '] = s_C_JOIN | s_C_SPACE, ['\t'] = s_C_JOIN | s_C_SPACE, ['-'] = s_C_JOIN,
    ['\''] = s_C_JOIN, ['"'] = s_C_JOIN, ['*'] = s_C_JOIN, ['_'] = s_C_JOIN,
    [0x80 ... 0xBF] = s_C_CONT
};

static inline __attribute__ ((always_inline)) bool
s_is_digit (unsigned char c)
{
    return s_class [c] & s_C_DIGIT;
}

static inline __attribute__ ((always_inline)) bool
s_is_alpha (unsigned char c)
{
    return s_class [c] & s_C_ALPHA;
}

//  Bytes of the letter that ends at p (1 or 2: ASCII or Latin-1), 0 if none
static inline __attribute__ ((always_inline)) size_t
s_letter_back (const unsigned char *text, size_t p, size_t floor)
{
    if (p <= floor)
        return 0;
    uint8_t cls = s_class [text [p - 1]];
    if (cls & s_C_ALPHA)
        return 1;
    if ((cls & s_C_CONT) && p - floor >= 2 && text [p - 2] == 0xC3)
        return 2;
    return 0;
}

//  Bytes of the letter that starts at p, 0 if none
static inline __attribute__ ((always_inline)) size_t
s_letter_at (const unsigned char *text, size_t p, size_t limit)
{
    if (p >= limit)
        return 0;
    if (s_class [text [p]] & s_C_ALPHA)
        return 1;
    if (text [p] == 0xC3 && limit - p >= 2 && (s_class [text [p + 1]] & s_C_CONT))
        return 2;
    return 0;
}

//  Start of the word that ends at p (p when none)
static inline __attribute__ ((always_inline)) size_t
s_word_back (const unsigned char *text, size_t p, size_t floor)
{
    size_t n;
    while ((n = s_letter_back (text, p, floor)))
        p -= n;
    return p;
}

//  End of the word that starts at p (p when none)
static inline __attribute__ ((always_inline)) size_t
s_word_end (const unsigned char *text, size_t p, size_t limit)
{
    size_t n;
    while ((n = s_letter_at (text, p, limit)))
        p += n;
    return p;
}

//  Length of a three-byte sequence at p when it is one of (E2 b1 b2)
static inline __attribute__ ((always_inline)) bool
s_is3 (const unsigned char *text, size_t p, size_t limit, unsigned char b1, unsigned char b2)
{
    return limit - p >= 3 && text [p] == 0xE2 && text [p + 1] == b1 && text [p + 2] == b2;
}

//  Whether the line end at p - 1 only wraps a sentence: a letter or ','
//  before it, a lower-case letter after it ("Deep knowledge\nof X")
static inline __attribute__ ((always_inline)) bool
s_wrapped (const unsigned char *text, size_t p, size_t floor)
{
    if (p - floor < 2)
        return false;
    unsigned char before = text [p - 2], after = text [p];
    return (s_is_alpha (before) || before == ',') && after >= 'a' && after <= 'z';
}

//  Back over spaces and joiners inside a phrase: space, tab, no-break space,
//  '-', quotes, apostrophes (d'expérience), '*', '_'
static inline __attribute__ ((always_inline)) size_t
s_skip_back (const unsigned char *text, size_t p, size_t floor)
{
    while (p > floor) {
        unsigned char c = text [p - 1];
        if (s_class [c] & s_C_JOIN)
            p--;
        else
        if (c == '\n' && s_wrapped (text, p, floor))
            p--;
        else
        if (c < 0x80)
            break;
        else
        if (c == 0xA0 && p - floor >= 2 && text [p - 2] == 0xC2)
            p -= 2;
        else    //  ’ ‘
        if ((c == 0x98 || c == 0x99) && p - floor >= 3 && text [p - 3] == 0xE2 && text [p - 2] == 0x80)
            p -= 3;
        else
            break;
    }
    return p;
}

//  Forward over spaces (space, tab, no-break space)
static inline __attribute__ ((always_inline)) size_t
s_skip_space (const unsigned char *text, size_t p, size_t limit)
{
    while (p < limit) {
        if (s_class [text [p]] & s_C_SPACE)
            p++;
        else
        if (text [p] == 0xC2 && limit - p >= 2 && text [p + 1] == 0xA0)
            p += 2;
        else
            break;
    }
    return p;
}

//  ---------------------------------------------------------------------------
//  One call's state

//  What the walks found for one mention
typedef struct {
    int level;
    int level_rank;         //  1 before, 2 after, 3 a rating: the higher wins
    double years;           //  < 0: none
    int since;
    size_t cue_start, cue_end;  //  cue_end == 0: none
} s_evidence_t;

typedef struct {
    const unsigned char *text;
    size_t len;
    const jm_found_t *found;
    long count;
    int reference;          //  the year "since" counts to; 0 until needed
    long memo_index;        //  the last mention walked back from, or -1,
    s_evidence_t memo;      //  and what that walk found: a skill coordinated
                            //  with it ("Java, Docker") reads the same
} s_ctx_t;

//  The later of JM_EVIDENCE_YEAR and the latest year the text names
static int
s_reference (s_ctx_t *ctx)
{
    if (ctx->reference)
        return ctx->reference;
    int latest = JM_EVIDENCE_YEAR;
    const unsigned char *text = ctx->text;
    for (size_t p = 0; p + 4 <= ctx->len; ) {
#ifdef __SSE2__
        //  sixteen bytes a step over text with no digit (most of it)
        const __m128i before_0 = _mm_set1_epi8 ('0' - 1), after_9 = _mm_set1_epi8 ('9' + 1);
        while (p + 16 <= ctx->len) {
            __m128i bytes = _mm_loadu_si128 ((const __m128i *) (text + p));
            __m128i digit = _mm_and_si128 (_mm_cmpgt_epi8 (bytes, before_0), _mm_cmplt_epi8 (bytes, after_9));
            unsigned mask = (unsigned) _mm_movemask_epi8 (digit);
            if (mask) {
                p += (size_t) __builtin_ctz (mask);
                break;
            }
            p += 16;
        }
        if (p + 4 > ctx->len)
            break;
#endif
        if (!s_is_digit (text [p])) {
            p++;
            continue;
        }
        size_t end = p;
        while (end < ctx->len && s_is_digit (text [end]))
            end++;
        if (end - p == 4) {
            int year = (text [p] - '0') * 1000 + (text [p + 1] - '0') * 100
                     + (text [p + 2] - '0') * 10 + (text [p + 3] - '0');
            if (year <= s_YEAR_MAX && year > latest)
                latest = year;
        }
        p = end;
    }
    ctx->reference = latest;
    return latest;
}

static void
s_cue (s_evidence_t *evidence, size_t start, size_t end)
{
    if (!evidence->cue_end) {
        evidence->cue_start = start;
        evidence->cue_end = end;
    }
    else {
        if (start < evidence->cue_start)
            evidence->cue_start = start;
        if (end > evidence->cue_end)
            evidence->cue_end = end;
    }
}

static void
s_set_level (s_evidence_t *evidence, int level, int rank)
{
    if (level >= 1 && level <= 5 && rank > evidence->level_rank) {
        evidence->level = level;
        evidence->level_rank = rank;
    }
}

static void
s_set_years (s_evidence_t *evidence, double years, int since)
{
    if (years < 0 || years > s_MAX_YEARS)
        return;
    if (years > evidence->years)
        evidence->years = years;
    if (since && (!evidence->since || since < evidence->since))
        evidence->since = since;
}

//  Months as years, to a tenth
static double
s_years_of (double number, int months)
{
    double years = number * months / 12.0;
    return (double) (long) (years * 10 + 0.5) / 10;
}

//  A number of digits (at most 4, "2.5" and "2,5" too) starting at p: its
//  value in *value, the end returned; p when none
static size_t
s_number_at (const unsigned char *text, size_t p, size_t limit, double *value, int *digits)
{
    size_t end = p;
    long whole = 0;
    while (end < limit && s_is_digit (text [end]) && end - p < 5)
        whole = whole * 10 + (text [end++] - '0');
    if (end == p || end - p > 4 || (end < limit && s_is_digit (text [end])))
        return p;
    *digits = (int) (end - p);
    *value = (double) whole;
    if (end + 1 < limit && (text [end] == '.' || text [end] == ',') && s_is_digit (text [end + 1])
    &&  !(end + 2 < limit && s_is_digit (text [end + 2]))) {
        *value += (text [end + 1] - '0') / 10.0;
        end += 2;
    }
    return end;
}

//  ---------------------------------------------------------------------------
//  The role check: "senior X developer"

//  Whether a role noun follows mention i, past skills coordinated with it
//  and words like "backend": "Senior Java and Python backend developer"
static bool
s_role_follows (const s_ctx_t *ctx, long i)
{
    const unsigned char *text = ctx->text;
    size_t p = ctx->found [i].end;
    size_t limit = p + s_ROLE_AFTER < ctx->len ? p + s_ROLE_AFTER : ctx->len;
    long k = i + 1;
    while (p < limit) {
        p = s_skip_space (text, p, limit);
        if (p >= limit)
            break;
        while (k < ctx->count && ctx->found [k].start < p)
            k++;
        if (k < ctx->count && ctx->found [k].start == p) {
            p = ctx->found [k].end;
            continue;
        }
        unsigned char c = text [p];
        if (c == '-' || c == '/' || c == ',' || c == '&') {
            p++;
            continue;
        }
        size_t end = s_word_end (text, p, limit);
        const s_word_t *word = end > p ? s_lookup ((const char *) text, p, end) : NULL;
        if (!word)
            return false;
        if (word->flags & s_ROLE_NOUN)
            return true;
        if (!(word->flags & (s_ROLE_FILL | s_SEP)))
            return false;
        p = end;
    }
    return false;
}

//  ---------------------------------------------------------------------------
//  Before the mention

//  The duration whose unit word starts at unit (months per unit given):
//  reads the number before it ("5", "5+", "2.5", "five", "a", "3-5": the
//  lower).  Returns true with *years and *start set.
static bool
s_duration_back (const s_ctx_t *ctx, size_t unit, size_t floor, const s_word_t *word,
                 double *years, size_t *start)
{
    const unsigned char *text = ctx->text;
    bool tight = unit > floor && s_is_digit (text [unit - 1]);
    if ((word->flags & s_TIGHT) && !tight)
        return false;
    size_t p = unit;
    while (p > floor && (text [p - 1] == ' ' || text [p - 1] == '-' || text [p - 1] == '\t'))
        p--;
    if (p > floor && text [p - 1] == '+')
        p--;
    double number = -1;
    size_t from = p;
    if (p > floor && s_is_digit (text [p - 1])) {
        while (from > floor && s_is_digit (text [from - 1]) && p - from < 3)
            from--;
        //  "2.5 years", "1,5 Jahre"
        if (p - from == 1 && from - floor >= 2 && (text [from - 1] == '.' || text [from - 1] == ',')
        &&  s_is_digit (text [from - 2])) {
            from--;
            while (from > floor && s_is_digit (text [from - 1]) && p - from < 5)
                from--;
        }
        if (from > floor && s_is_alpha (text [from - 1]))
            return false;       //  "v5 years"
        int digits;
        if (s_number_at (text, from, p, &number, &digits) != p || digits > 2)
            return false;
        //  "3-5 years", "3 to 5 years": the lower
        size_t q = from;
        while (q > floor && text [q - 1] == ' ')
            q--;
        size_t dash = q;
        if (q > floor && text [q - 1] == '-')
            dash = q - 1;
        else
        if (q >= floor + 3 && s_is3 (text, q - 3, q, 0x80, 0x93))
            dash = q - 3;
        if (dash < q) {
            while (dash > floor && text [dash - 1] == ' ')
                dash--;
            size_t low = dash;
            while (low > floor && s_is_digit (text [low - 1]) && dash - low < 3)
                low--;
            double lower;
            int low_digits;
            if (low < dash && s_number_at (text, low, dash, &lower, &low_digits) == dash
            &&  lower < number) {
                number = lower;
                from = low;
            }
        }
    }
    else {
        from = s_word_back (text, p, floor);
        const s_word_t *count = from < p ? s_lookup ((const char *) text, from, p) : NULL;
        if (!count || !(count->flags & s_NUMBER))
            return false;
        number = count->number;
    }
    //  "vor 5 Jahren", "hace 5 años": ago
    size_t q = from;
    while (q > floor && text [q - 1] == ' ')
        q--;
    size_t before = s_word_back (text, q, floor);
    const s_word_t *prefix = before < q ? s_lookup ((const char *) text, before, q) : NULL;
    if (prefix && (prefix->flags & s_AGO_BEFORE))
        return false;
    *years = s_years_of (number, word->months);
    *start = from;
    return *years <= s_MAX_YEARS;
}

//  Whether the word before the one starting at w is "de"
static bool
s_after_de (const unsigned char *text, size_t w, size_t floor)
{
    size_t q = w;
    while (q > floor && text [q - 1] == ' ')
        q--;
    return q - floor >= 3 && s_fold (text [q - 1]) == 'e' && s_fold (text [q - 2]) == 'd'
        && !s_letter_back (text, q - 2, floor);
}

//  Walks back from mention i: coordinated skills, then fillers and level
//  words, then a duration, "since YEAR" or nothing.  Fills a fresh evidence.
static void
s_read_before (s_ctx_t *ctx, long i, s_evidence_t *evidence)
{
    const unsigned char *text = ctx->text;
    size_t p = ctx->found [i].start;
    size_t floor = p > s_BEFORE ? p - s_BEFORE : 0;
    long k = i - 1;
    bool in_phrase = false;     //  a filler or level word passed: no more skills
    bool comma = false;         //  a ',' or '/' just passed: a skill must come
    size_t phrase_end = 0;      //  end of the phrase word nearest the mention
    int level = 0;
    size_t level_start = 0;
    while (p > floor) {
        p = s_skip_back (text, p, floor);
        if (p <= floor)
            break;
        //  a skill coordinated with this one: "Java, Docker and |Kubernetes"
        while (k >= 0 && ctx->found [k].end > p)
            k--;
        if (k >= 0 && ctx->found [k].end == p && ctx->found [k].start >= floor) {
            if (in_phrase)
                break;
            if (k == ctx->memo_index) {
                *evidence = ctx->memo;
                return;
            }
            p = ctx->found [k--].start;
            comma = false;
            continue;
        }
        unsigned char c = text [p - 1];
        if (c == ',' || c == '/' || c == '&' || c == '+') {
            if (in_phrase || comma)
                break;
            comma = true;
            p--;
            continue;
        }
        if (comma)      //  "Python 5y, |Docker", "Python basics, |Docker": Python's
            break;
        if (s_is_digit (c)) {
            //  "since 2016 Java", "seit 2016 Java-Entwickler"
            size_t from = p;
            while (from > floor && s_is_digit (text [from - 1]) && p - from < 5)
                from--;
            double year;
            int digits;
            if (s_number_at (text, from, p, &year, &digits) == p && digits == 4
            &&  year >= s_YEAR_MIN && year <= s_YEAR_MAX) {
                size_t q = from;
                while (q > floor && text [q - 1] == ' ')
                    q--;
                size_t w = s_word_back (text, q, floor);
                const s_word_t *word = w < q ? s_lookup ((const char *) text, w, q) : NULL;
                if (word && (word->flags & s_SINCE)) {
                    int since = (int) year;
                    s_set_years (evidence, s_reference (ctx) - since, since);
                    s_cue (evidence, w, phrase_end ? phrase_end : p);
                }
            }
            break;
        }
        size_t w = s_word_back (text, p, floor);
        const s_word_t *word = w < p ? s_lookup ((const char *) text, w, p) : NULL;
        if (!word)
            break;
        if (word->flags & s_UNIT) {
            double years;
            size_t start;
            if (s_duration_back (ctx, w, floor, word, &years, &start)) {
                s_set_years (evidence, years, 0);
                s_cue (evidence, start, phrase_end ? phrase_end : p);
                break;
            }
        }
        if ((word->flags & s_LEVEL) && !level) {
            if ((word->flags & s_ROLE) && !s_role_follows (ctx, i))
                break;
            if ((word->flags & s_AFTER_DE) && !s_after_de (text, w, floor))
                break;      //  "code base in Java"
            level = word->level;
            level_start = w;
            if (!phrase_end)
                phrase_end = p;
            //  "very good", "sehr gute": one more
            size_t q = s_skip_back (text, w, floor);
            size_t v = s_word_back (text, q, floor);
            const s_word_t *intens = v < q ? s_lookup ((const char *) text, v, q) : NULL;
            if (intens && (intens->flags & s_INTENS)) {
                if (level >= 3 && level < 5)
                    level++;
                level_start = v;
                w = v;
            }
            in_phrase = true;
            p = w;
            continue;
        }
        if ((word->flags & s_SEP) && !in_phrase) {
            p = w;
            continue;
        }
        if (word->flags & s_FILLER) {
            in_phrase = true;
            if (!phrase_end)
                phrase_end = p;
            p = w;
            continue;
        }
        break;
    }
    if (level) {
        s_set_level (evidence, level, 1);
        s_cue (evidence, level_start, phrase_end);
    }
}

//  ---------------------------------------------------------------------------
//  After the mention

//  Whether a later mention (after index i) starts at p
static bool
s_mention_at (const s_ctx_t *ctx, long i, size_t p)
{
    for (long k = i + 1; k < ctx->count && ctx->found [k].start <= p; k++)
        if (ctx->found [k].start == p)
            return true;
    return false;
}

//  Forward over filler words; returns where they end (p when none)
static size_t
s_skip_fillers (const unsigned char *text, size_t p, size_t limit)
{
    for (int n = 0; n < 4; n++) {
        size_t q = s_skip_space (text, p, limit);
        while (q < limit && (text [q] == '\'' || text [q] == '-'))
            q++;
        if (s_is3 (text, q, limit, 0x80, 0x99))
            q += 3;
        size_t end = s_word_end (text, q, limit);
        const s_word_t *word = end > q ? s_lookup ((const char *) text, q, end) : NULL;
        if (!word || !(word->flags & s_FILLER))
            break;
        p = end;
    }
    return p;
}

//  Whether an item ends at p: nothing, or the end of an entry or sentence
static bool
s_item_ends (const unsigned char *text, size_t p, size_t limit, size_t len)
{
    p = s_skip_space (text, p, limit);
    if (p >= len)
        return true;
    if (p >= limit)
        return false;
    unsigned char c = text [p];
    return c == '\n' || c == '\r' || c == ')' || c == ']' || c == ',' || c == ';' || c == '|'
        || c == '.' || c == '(' || s_is3 (text, p, limit, 0x80, 0xA2);
}

//  Stars or dots ("★★★★☆", "●●●○○") at p: the level, the end in *end
static int
s_stars_at (const unsigned char *text, size_t p, size_t limit, size_t *end)
{
    int filled = 0, total = 0;
    while (total < 10) {
        if (s_is3 (text, p, limit, 0x98, 0x85) || s_is3 (text, p, limit, 0x97, 0x8F))
            filled++;
        else
        if (s_is3 (text, p, limit, 0x98, 0x86) || s_is3 (text, p, limit, 0x97, 0x8B))
            ;
        else
            break;
        total++;
        p += 3;
    }
    *end = p;
    if (total < 3 || filled == 0)
        return 0;
    return (filled * 5 + total / 2) / total;
}

//  "4/5", "8/10" at p (n of d, d from 3 to 10): the level, end in *end
static int
s_rating_at (const unsigned char *text, size_t p, size_t limit, size_t len, size_t *end)
{
    double n, d;
    int digits;
    size_t q = s_number_at (text, p, limit, &n, &digits);
    if (q == p || digits > 2)
        return 0;
    if (q < limit && text [q] == '/') {
        size_t r = s_number_at (text, q + 1, limit, &d, &digits);
        if (r == q + 1 || d < 3 || d > 10 || n < 1 || n > d || n != (int) n || d != (int) d)
            return 0;
        if (!s_item_ends (text, r, limit, len))
            return 0;
        *end = r;
        return ((int) n * 5 + (int) d / 2) / (int) d;
    }
    return 0;
}

//  One item after a mention: a duration, a year, a range, a rating or a
//  level word.  paren: inside "(...)"; opened: after "(", ":", "-" or "–".
//  Returns its end, p when there is none.
static size_t
s_read_item (s_ctx_t *ctx, long i, size_t p, size_t limit, bool paren, bool opened,
             s_evidence_t *evidence)
{
    const unsigned char *text = ctx->text;
    size_t start = p;
    bool since = false, rating = false, leads = false, role_lead = false;
    const s_word_t *first = NULL;   //  the word at p when the loop ends on one
    size_t first_end = p;
    for (int n = 0; n < 4 && p < limit; n++) {
        //  for, over, more than, since, seit, desde hace, ~, >
        if (text [p] == '~' || text [p] == '>') {
            p = s_skip_space (text, p + 1, limit);
            leads = true;
            continue;
        }
        size_t end = s_word_end (text, p, limit);
        const s_word_t *word = end > p ? s_find ((const char *) text, p, end, s_filter_after) : NULL;
        //  "X developer with 5 years", "X engineer for 3 years"
        bool role = word && (word->flags & (s_ROLE_NOUN | s_ROLE_FILL | s_WITH))
                 && !(word->flags & s_LEVEL) && !rating;
        if (!word || (!(word->flags & (s_LEAD | s_SINCE | s_RATING)) && !role)) {
            first = word;
            first_end = end;
            break;
        }
        since |= (word->flags & s_SINCE) != 0;
        rating |= (word->flags & s_RATING) != 0;
        leads |= (word->flags & (s_LEAD | s_SINCE)) != 0 || role;
        role_lead |= role;
        p = s_skip_space (text, end, limit);
        if (rating && p < limit && text [p] == ':')
            p = s_skip_space (text, p + 1, limit);
    }
    if (p >= limit)
        return start;
    size_t end;
    int level;
    if (text [p] == 0xE2) {
        level = s_stars_at (text, p, limit, &end);
        if (level) {
            s_set_level (evidence, level, 3);
            return end;
        }
        return start;
    }
    if (s_is_digit (text [p])) {
        level = s_rating_at (text, p, limit, ctx->len, &end);
        if (level) {
            s_set_level (evidence, level, 3);
            return end;
        }
        double number;
        int digits;
        end = s_number_at (text, p, limit, &number, &digits);
        if (end == p)
            return start;
        if (rating) {       //  "Level 4"
            if (digits == 1 && number == (int) number && number >= 1 && number <= 5) {
                s_set_level (evidence, (int) number, 3);
                return end;
            }
            return start;
        }
        if (digits == 4) {
            if (number < s_YEAR_MIN || number > s_YEAR_MAX)
                return start;
            int year = (int) number;
            //  a range: "2015–2020", "2015 to 2020", "2016 - present"
            size_t q = s_skip_space (text, end, limit);
            size_t dash = q;
            if (q < limit && text [q] == '-')
                dash = q + 1;
            else
            if (s_is3 (text, q, limit, 0x80, 0x93) || s_is3 (text, q, limit, 0x80, 0x94))
                dash = q + 3;
            else {
                size_t w = s_word_end (text, q, limit);
                const s_word_t *word = w > q ? s_lookup ((const char *) text, q, w) : NULL;
                if (word && (word->flags & s_TO))
                    dash = w;
            }
            if (dash > q) {
                q = s_skip_space (text, dash, limit);
                double last;
                size_t r = s_number_at (text, q, limit, &last, &digits);
                //  a closed range needs "(", ":" or "from": "SQL Server 2008 - 2014"
                //  names versions
                if (r > q && digits == 4 && last >= year && last <= s_YEAR_MAX && (opened || leads)) {
                    s_set_years (evidence, last - year, 0);
                    return r;
                }
                size_t w = s_word_end (text, q, limit);
                const s_word_t *word = w > q ? s_lookup ((const char *) text, q, w) : NULL;
                if (word && (word->flags & s_PRESENT)) {
                    s_set_years (evidence, s_reference (ctx) - year, year);
                    return w;
                }
                return start;
            }
            if (since) {
                s_set_years (evidence, s_reference (ctx) - year, year);
                return end;
            }
            return start;       //  "Java 2019": a year, not a duration
        }
        //  a duration: "5 years", "5+ yrs", "5y"
        if (digits > 2)
            return start;
        size_t q = end;
        if (q < limit && text [q] == '+')
            q++;
        bool tight = q < limit && s_is_alpha (text [q]);
        q = s_skip_space (text, q, limit);
        if (q < limit && text [q] == '-')
            q++;
        size_t w = s_word_end (text, q, limit);
        const s_word_t *unit = w > q ? s_lookup ((const char *) text, q, w) : NULL;
        if (!unit || !(unit->flags & s_UNIT) || ((unit->flags & s_TIGHT) && !tight))
            return start;
        //  "5 years ago", "5 years old"
        size_t a = s_skip_space (text, w, limit);
        size_t b = s_word_end (text, a, limit);
        const s_word_t *next = b > a ? s_lookup ((const char *) text, a, b) : NULL;
        if (next && (next->flags & s_AGO))
            return start;
        //  "Java: 5 years of Docker" is Docker's; "Python developer with 9
        //  years of experience building APIs" is Python's
        size_t f = s_skip_fillers (text, w, limit);
        if (f > w && !role_lead && s_mention_at (ctx, i, s_skip_space (text, f, limit)))
            return start;
        s_set_years (evidence, s_years_of (number, unit->months), 0);
        return paren ? f : w;
    }
    //  a level word: "(expert)", ": basic", "– sehr gut"; not after "for"
    if (leads || !first)
        return start;
    size_t w = first_end;
    const s_word_t *word = first;
    int bonus = 0;
    if (word && (word->flags & s_INTENS)) {
        size_t q = s_skip_space (text, w, limit);
        size_t v = s_word_end (text, q, limit);
        word = v > q ? s_lookup ((const char *) text, q, v) : NULL;
        w = v;
        bonus = 1;
    }
    if (!word || !(word->flags & s_LEVEL) || (word->flags & s_NOT_AFTER)
    ||  ((word->flags & s_ROLE) && !paren))
        return start;
    //  "Java: basic knowledge of Docker" is Docker's
    size_t f = s_skip_fillers (text, w, limit);
    if (s_mention_at (ctx, i, s_skip_space (text, f, limit)))
        return start;
    level = word->level;
    if (bonus && level >= 3 && level < 5)
        level++;
    s_set_level (evidence, level, 2);
    return w;
}

//  Reads forward from mention i: one opener, then up to three items in
//  parentheses ("Java (5 yrs, expert)"), or one without and then maybe
//  some in parentheses ("Java: expert (12 years)").
static void
s_read_after (s_ctx_t *ctx, long i, s_evidence_t *evidence)
{
    const unsigned char *text = ctx->text;
    size_t p = ctx->found [i].end;
    size_t limit = p + s_AFTER < ctx->len ? p + s_AFTER : ctx->len;
    p = s_skip_space (text, p, limit);
    if (p >= limit)
        return;
    size_t start = p;
    bool paren = false, opened = true;
    if (text [p] == '(' || text [p] == '[') {
        paren = true;
        p++;
    }
    else
    if (text [p] == ':' || text [p] == '=')
        p++;
    else
    if (text [p] == '-') {
        //  "Java-based": a joined word is no opener; "Java-Entwickler mit
        //  5 Jahren" reads on from the role noun
        p++;
        if (p < limit && text [p] != ' ' && text [p] != '\t') {
            size_t end = s_word_end (text, p, limit);
            const s_word_t *word = end > p ? s_lookup ((const char *) text, p, end) : NULL;
            if (!word || !(word->flags & s_ROLE_NOUN))
                return;
            opened = false;
        }
    }
    else
    if (s_is3 (text, p, limit, 0x80, 0x93) || s_is3 (text, p, limit, 0x80, 0x94))
        p += 3;
    else
        opened = false;
    for (int items = 0; items < 3; items++) {
        p = s_skip_space (text, p, limit);
        size_t end = s_read_item (ctx, i, p, limit, paren, opened, evidence);
        if (end == p)
            break;
        s_cue (evidence, items ? p : start, end);
        p = s_skip_space (text, end, limit);
        if (!paren && p < limit && text [p] == '(') {
            paren = opened = true;      //  "Java: expert (12 years)"
            p++;
            continue;
        }
        if (!paren || p >= limit || (text [p] != ',' && text [p] != ';'))
            break;
        p++;
    }
}

//  ---------------------------------------------------------------------------

void
jm_evidence_read (const char *text, size_t len, jm_found_t *found, long count)
{
    pthread_once (&s_hash_once, s_hash_build);
    s_ctx_t ctx = { (const unsigned char *) text, len, found, count, 0, -1, { 0, 0, -1, 0, 0, 0 } };
    for (long i = 0; i < count; i++) {
        jm_found_t *item = &found [i];
        if (item->claim != JM_CLAIM_HELD || item->end > len || item->start >= item->end)
            continue;
        s_evidence_t evidence = { 0, 0, -1, 0, 0, 0 };
        s_read_after (&ctx, i, &evidence);
        s_evidence_t before = { 0, 0, -1, 0, 0, 0 };
        s_read_before (&ctx, i, &before);
        ctx.memo_index = i;
        ctx.memo = before;
        s_set_level (&evidence, before.level, before.level_rank);
        s_set_years (&evidence, before.years, before.since);
        if (before.cue_end)
            s_cue (&evidence, before.cue_start, before.cue_end);
        if (evidence.level) {
            item->level = evidence.level;
        }
        if (evidence.years >= 0 && evidence.years > item->years)
            item->years = evidence.years;
        if (evidence.since)
            item->since = evidence.since;
        if (evidence.cue_end > evidence.cue_start && (evidence.level || evidence.years >= 0)) {
            item->cue_start = (uint32_t) evidence.cue_start;
            item->cue_end = (uint32_t) evidence.cue_end;
        }
    }
}
