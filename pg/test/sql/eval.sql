-- persona.eval and friends give, byte for byte, what `persona eval` gives
-- on the same profiles; in any TimeZone and DateStyle; with the model
-- loaded once per call site.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
\set lead_src `cat "$PERSONA_ROOT/examples/b2b_lead.persona"`
\set profiles `cat "$PERSONA_ROOT/examples/profiles.jsonl"`
\set cli `cat "$PERSONA_TEST_DATA/lead.jsonl"`
SET max_parallel_workers_per_gather = 0;

CREATE TEMP TABLE models AS SELECT persona.compile(:'lead_src') AS lead;
CREATE TEMP TABLE profiles AS
  SELECT n, line::jsonb AS profile
  FROM regexp_split_to_table(:'profiles', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';
CREATE TEMP TABLE cli AS
  SELECT n, line FROM regexp_split_to_table(:'cli', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';

-- eval_json returns the bytes libpersona wrote: equal to the CLI's line as
-- text. eval returns jsonb: equal to the CLI's line read as jsonb, and so
-- is its text (numbers keep their spelling).
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE persona.eval_json(m.lead, p.profile, '2026-02-01T00:00:00Z')::text = c.line) AS same_bytes,
       count(*) FILTER (WHERE persona.eval(m.lead, p.profile, '2026-02-01T00:00:00Z')::text = c.line::jsonb::text) AS same_jsonb_text
FROM profiles p JOIN cli c USING (n) CROSS JOIN models m;

-- The same instant written in another zone, under another TimeZone and
-- DateStyle, gives the same results: now is an instant, and results are
-- printed in UTC by libpersona.
SET TimeZone = 'America/Los_Angeles';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET lc_numeric = 'C';
SELECT count(*) FILTER (WHERE persona.eval_json(m.lead, p.profile, '2026-02-01 08:00:00+08')::text = c.line) AS same_bytes
FROM profiles p JOIN cli c USING (n) CROSS JOIN models m;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;

-- jsonb profiles are read in place; read as text (persona.jsonb_direct =
-- off) they give the same bytes, for the profiles and for each of them
-- with one value replaced by a value of another type (wrong types, nulls,
-- numbers as times, empty lists: results and error messages).
CREATE TEMP TABLE mutated AS
  SELECT p.n, k, jsonb_set(p.profile, ARRAY[k], v) AS profile
  FROM profiles p
  CROSS JOIN (VALUES ('id'), ('employees'), ('title'), ('events'), ('budget_confirmed')) AS keys(k)
  CROSS JOIN (VALUES ('null'::jsonb), ('5.0'), ('1.5'), ('"x"'), ('true'), ('[]'), ('[null]'), ('{}'),
                     ('1769904000'), ('[{"type":"visit","at":"2026-01-05"}]')) AS vals(v)
  WHERE p.n <= 100;
-- The jsonb results too (built without jsonb_in, and laid out as
-- PostgreSQL lays them out: persona.jsonb_check compares the bytes).
SET persona.jsonb_check = on;
CREATE TEMP TABLE in_place AS
  SELECT x.n, x.k, x.profile, persona.eval_json(m.lead, x.profile, '2026-02-01T00:00:00Z')::text AS result,
         persona.eval(m.lead, x.profile, '2026-02-01T00:00:00Z')::text AS result_jsonb
  FROM (SELECT n, 'none' AS k, profile FROM profiles UNION ALL SELECT * FROM mutated) x CROSS JOIN models m;
SET persona.jsonb_direct = off;
SELECT count(*) AS profiles, count(*) FILTER (WHERE i.result ~ '"error"') AS errors,
       count(*) FILTER (WHERE i.result = persona.eval_json(m.lead, i.profile, '2026-02-01T00:00:00Z')::text) AS same_as_text,
       count(*) FILTER (WHERE i.result_jsonb = persona.eval(m.lead, i.profile, '2026-02-01T00:00:00Z')::text) AS same_jsonb
FROM in_place i CROSS JOIN models m;
RESET persona.jsonb_direct;
RESET persona.jsonb_check;

-- The same on the bench's profiles (bench/pg_bench.sh builds them this
-- way: eight events each, Chinese regions and titles, ids with leading
-- zeros), 2 000 of them, and each with one field made bad, at the top and
-- inside an event: in place they give the results and the error messages
-- of their text, and the jsonb results are jsonb_in's bytes.
CREATE TEMP TABLE bench AS
SELECT g AS n, jsonb_build_object(
  'id', 'p' || lpad(g::text, 7, '0'),
  'industry', (ARRAY['manufacturing', 'energy', 'retail', 'software', 'logistics', 'healthcare'])[1 + g % 6],
  'region', (ARRAY['上海', '北京', '江苏', '广东', '浙江', '四川', '山东'])[1 + (g / 7) % 7],
  'employees', (g * 37) % 3000,
  'title', (ARRAY['CTO', 'IT Manager', 'Engineer', 'VP Sales', '采购经理', 'Director of IT', 'Marketing Manager'])[1 + (g / 11) % 7],
  'budget_confirmed', g % 3 = 0,
  'unsubscribed', g % 17 = 0,
  'events', (SELECT jsonb_agg(jsonb_build_object(
                 'type', (ARRAY['page_view', 'email_open', 'email_click', 'download', 'webinar', 'visit', 'page_view', 'page_view'])[1 + (g + k) % 8],
                 'url', (ARRAY['/pricing', '/docs/getting-started', '/', '/product'])[1 + (g * k) % 4],
                 'campaign', 'c-' || ((g + k) % 5),
                 'at', '2026-01-' || lpad((1 + (g + 3 * k) % 31)::text, 2, '0') || 'T10:00:00Z') ORDER BY k)
             FROM generate_series(1, 8) k)) AS profile
FROM generate_series(1, 2000) g;
CREATE TEMP TABLE bench_bad AS
  SELECT b.n, p.path, jsonb_set(b.profile, p.path::text[], v.v) AS profile
  FROM bench b
  CROSS JOIN (VALUES ('{id}'), ('{employees}'), ('{region}'), ('{unsubscribed}'), ('{events}'),
                     ('{events,2,at}'), ('{events,5,type}'), ('{events,7,amount}'), ('{events,0}')) AS p(path)
  CROSS JOIN (VALUES ('null'::jsonb), ('"x"'), ('12.5'), ('false'), ('[]'), ('{}')) AS v(v)
  WHERE b.n % 50 = 0;
SET persona.jsonb_check = on;
CREATE TEMP TABLE bench_in_place AS
  SELECT x.n, x.path, x.profile, persona.eval_json(m.lead, x.profile, '2026-02-01T00:00:00Z')::text AS result,
         persona.eval(m.lead, x.profile, '2026-02-01T00:00:00Z')::text AS result_jsonb,
         persona.error(m.lead, x.profile, '2026-02-01T00:00:00Z') AS error
  FROM (SELECT n, 'none' AS path, profile FROM bench UNION ALL SELECT * FROM bench_bad) x CROSS JOIN models m;
SET persona.jsonb_direct = off;
SELECT count(*) AS profiles, count(*) FILTER (WHERE i.error IS NOT NULL) AS errors,
       count(DISTINCT i.error) AS distinct_messages,
       count(*) FILTER (WHERE i.result = persona.eval_json(m.lead, i.profile, '2026-02-01T00:00:00Z')::text) AS same_as_text,
       count(*) FILTER (WHERE i.result_jsonb = persona.eval(m.lead, i.profile, '2026-02-01T00:00:00Z')::text) AS same_jsonb,
       count(*) FILTER (WHERE i.error IS NOT DISTINCT FROM persona.error(m.lead, i.profile, '2026-02-01T00:00:00Z')) AS same_error
FROM bench_in_place i CROSS JOIN models m;
RESET persona.jsonb_direct;
RESET persona.jsonb_check;
-- Some of the messages, from the jsonb read in place (the text's words):
SELECT path, min(error) AS error FROM bench_in_place WHERE error IS NOT NULL GROUP BY path ORDER BY path;

-- The accessors agree with the result object.
SELECT count(*) FILTER (WHERE persona.tags(m.lead, p.profile, '2026-02-01T00:00:00Z')
                              = ARRAY(SELECT jsonb_array_elements_text(c.line::jsonb->'tags'))) AS same_tags,
       count(*) FILTER (WHERE persona.score(m.lead, p.profile, '2026-02-01T00:00:00Z', 'total')
                              = (c.line::jsonb->'scores'->>'total')::float8) AS same_total,
       count(*) FILTER (WHERE persona.error(m.lead, p.profile, '2026-02-01T00:00:00Z') IS NULL) AS no_error
FROM profiles p JOIN cli c USING (n) CROSS JOIN models m;
SELECT persona.tags(m.lead, '{"id":"x","employees":800,"title":"CTO","region":"上海"}', '2026-02-01'),
       persona.score(m.lead, '{"id":"x","employees":800,"title":"CTO","region":"上海"}', '2026-02-01', 'fit'),
       persona.tags(m.lead, '{"id":"x"}', '2026-02-01') AS no_tags_but_no_title
FROM models m;

-- A typical use: scores into a table.
CREATE TEMP TABLE scores AS
  SELECT p.n, persona.eval(m.lead, p.profile, '2026-02-01T00:00:00Z') AS result
  FROM profiles p CROSS JOIN models m;
SELECT result->'stages'->>'funnel' AS funnel, count(*), round(avg((result->'scores'->>'total')::numeric), 2) AS avg_total
FROM scores GROUP BY 1 ORDER BY 1;

-- Caching: a model not seen before by this backend is verified and loaded
-- once for 3000 rows; the other rows find it in their call site. A second
-- query finds it in the per-process cache by its hash.
SELECT persona.compile(:'lead_src' || E'\n# another model\n') AS variant \gset
SELECT loads, cache_hits, site_hits, evaluations FROM persona.cache_stats() \gset before_
SELECT count(*) FILTER (WHERE persona.eval(:'variant'::bytea, p.profile, '2026-02-01T00:00:00Z') ? 'tags') AS evaluated
FROM profiles p;
SELECT loads - :before_loads AS loads, cache_hits - :before_cache_hits AS cache_hits,
       site_hits - :before_site_hits AS site_hits, evaluations - :before_evaluations AS evaluations
FROM persona.cache_stats();
SELECT loads, cache_hits, site_hits, evaluations FROM persona.cache_stats() \gset before_
-- The model from a column (not a constant): compared with the call site's
-- copy, still one lookup.
CREATE TEMP TABLE variant AS SELECT :'variant'::bytea AS code;
SELECT count(*) FILTER (WHERE persona.eval(v.code, p.profile, '2026-02-01T00:00:00Z') ? 'tags') AS evaluated
FROM profiles p CROSS JOIN variant v;
SELECT loads - :before_loads AS loads, cache_hits - :before_cache_hits AS cache_hits,
       site_hits - :before_site_hits AS site_hits, evaluations - :before_evaluations AS evaluations
FROM persona.cache_stats();

-- The cache keeps 16 models: a 17th evicts the least recently used.
SELECT evictions AS before_evictions FROM persona.cache_stats() \gset
SELECT count(persona.eval(persona.compile(:'lead_src' || E'\n# ' || g), '{"id":"x"}', '2026-02-01')) AS evaluated
FROM generate_series(1, 17) g;
SELECT evictions - :before_evictions > 0 AS evicted, cached FROM persona.cache_stats();

-- PL/pgSQL evaluates a simple expression with one expression state for
-- every iteration: a call site whose model is a variable must notice when
-- the variable changes.
CREATE FUNCTION pg_temp.each_model(models bytea[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m bytea;
  out text := '';
BEGIN
  FOREACH m IN ARRAY models LOOP
    out := out || (persona.model_info(m)->>'name') || ':' || array_to_string(persona.tags(m, '{"id":"x"}', '2026-02-01'), ',') || ' ';
  END LOOP;
  RETURN out;
END $$;
SELECT pg_temp.each_model(ARRAY[m.lead,
         persona.compile(E'model tiny version "1"\nschema {\n  id: string key\n}\ntag always when true\n'),
         m.lead]) AS each_model
FROM models m;

-- Nothing started a thread in this backend.
SELECT count(*) AS threads FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/task');
