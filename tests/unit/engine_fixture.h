/*  A small taxonomy and job for the engine's unit tests, independent of the
    real data so that hand-computed scores stay valid when data/ evolves.  */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

static const char s_fixture_taxonomy [] =
"{ \"version\": \"test-1\","
"  \"credits\": { \"implies\": 0.8, \"sibling\": 0.5, \"parent\": 0.3 },"
"  \"categories\": [ {\"id\": \"lang\", \"name\": \"Languages\"}, {\"id\": \"db\", \"name\": \"Databases\"},"
"                   {\"id\": \"ops\", \"name\": \"Operations\"}, {\"id\": \"soft\", \"name\": \"Soft skills\"} ],"
"  \"skills\": ["
"    {\"id\": \"python\", \"name\": \"Python\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"py\", \"python3\"]},"
"    {\"id\": \"java\", \"name\": \"Java\", \"category\": \"lang\", \"kind\": \"hard\"},"
"    {\"id\": \"javascript\", \"name\": \"JavaScript\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"JS\", \"ECMAScript\"]},"
"    {\"id\": \"nodejs\", \"name\": \"Node.js\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"NodeJS\", \"Node JS\"], \"ambiguous\": [\"Node\"], \"implies\": [\"javascript\"]},"
"    {\"id\": \"express\", \"name\": \"Express.js\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"ExpressJS\"], \"ambiguous\": [\"Express\"], \"implies\": [\"nodejs\"]},"
"    {\"id\": \"django\", \"name\": \"Django\", \"category\": \"lang\", \"kind\": \"hard\", \"implies\": [\"python\"]},"
"    {\"id\": \"sql\", \"name\": \"SQL\", \"category\": \"db\", \"kind\": \"knowledge\"},"
"    {\"id\": \"postgresql\", \"name\": \"PostgreSQL\", \"category\": \"db\", \"kind\": \"hard\", \"aliases\": [\"Postgres\", \"psql\"], \"implies\": [\"sql\"], \"implies_credit\": 1.0},"
"    {\"id\": \"mysql\", \"name\": \"MySQL\", \"category\": \"db\", \"kind\": \"hard\", \"implies\": [\"sql\"], \"implies_credit\": 1.0},"
"    {\"id\": \"redis\", \"name\": \"Redis\", \"category\": \"db\", \"kind\": \"hard\"},"
"    {\"id\": \"memcached\", \"name\": \"Memcached\", \"category\": \"db\", \"kind\": \"hard\"},"
"    {\"id\": \"docker\", \"name\": \"Docker\", \"category\": \"ops\", \"kind\": \"hard\"},"
"    {\"id\": \"kubernetes\", \"name\": \"Kubernetes\", \"category\": \"ops\", \"kind\": \"hard\", \"aliases\": [\"k8s\"]},"
"    {\"id\": \"git\", \"name\": \"Git\", \"category\": \"ops\", \"kind\": \"hard\"},"
"    {\"id\": \"github\", \"name\": \"GitHub\", \"category\": \"ops\", \"kind\": \"hard\", \"implies\": [\"git\"]},"
"    {\"id\": \"communication\", \"name\": \"Communication\", \"category\": \"soft\", \"kind\": \"soft\", \"aliases\": [\"communication skills\"]},"
"    {\"id\": \"golang\", \"name\": \"Go\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"golang\"], \"ambiguous\": [\"Go\"]},"
"    {\"id\": \"csharp\", \"name\": \"C#\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"C Sharp\", \"csharp\"]},"
"    {\"id\": \"dotnet\", \"name\": \".NET\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"dotnet\", \".NET Core\"]},"
"    {\"id\": \"c\", \"name\": \"C\", \"category\": \"lang\", \"kind\": \"hard\", \"ambiguous\": [\"C\"]},"
"    {\"id\": \"cpp\", \"name\": \"C++\", \"category\": \"lang\", \"kind\": \"hard\", \"aliases\": [\"cplusplus\"]}"
"  ],"
"  \"siblings\": ["
"    {\"skills\": [\"postgresql\", \"mysql\"], \"credit\": 0.5},"
"    {\"skills\": [\"redis\", \"memcached\"], \"credit\": 0.6}"
"  ]"
"}";

static const char s_fixture_job [] =
"{ \"id\": \"test-job\", \"title\": \"Test Backend\", \"version\": 3,"
"  \"requirements\": ["
"    {\"any_of\": [\"java\", \"python\", \"javascript\"], \"weight\": 4, \"importance\": \"required\", \"label\": \"a language\"},"
"    {\"skill\": \"sql\", \"weight\": 3, \"importance\": \"required\", \"min_level\": 3},"
"    {\"skill\": \"postgresql\", \"weight\": 2, \"importance\": \"preferred\"},"
"    {\"skill\": \"redis\", \"weight\": 1, \"importance\": \"nice-to-have\"},"
"    {\"skill\": \"docker\", \"weight\": 2, \"importance\": \"required\", \"min_years\": 2},"
"    {\"skill\": \"communication\", \"weight\": 0.5, \"importance\": \"nice-to-have\"}"
"  ]"
"}";

static const char s_fixture_pair_job [] =
"{ \"id\": \"pair-job\", \"requirements\": ["
"    {\"any_of\": [\"java\", \"python\", \"javascript\"], \"min\": 2, \"weight\": 2},"
"    {\"skill\": \"Docker\", \"weight\": 1, \"importance\": \"preferred\"}"
"  ]"
"}";

#endif
