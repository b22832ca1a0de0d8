-- 1 000 000 profiles scored by an aggregate: the planner runs the
-- evaluation in parallel workers (the functions are PARALLEL SAFE with a
-- realistic COST), and the result is the serial one.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
\set lead_src `cat "$PERSONA_ROOT/examples/b2b_lead.persona"`
-- Regular tables: parallel workers cannot read temporary ones.
CREATE TABLE persona_test_models AS SELECT 'lead' AS name, persona.compile(:'lead_src') AS code;
CREATE TABLE persona_test_profiles AS
  SELECT g AS id, jsonb_build_object(
    'id', 'p' || g,
    'industry', (ARRAY['manufacturing', 'energy', 'retail', 'software', 'logistics'])[1 + g % 5],
    'region', (ARRAY['上海', '北京', '江苏', '广东', '浙江'])[1 + (g / 5) % 5],
    'employees', (g * 37) % 3000,
    'title', (ARRAY['CTO', 'IT Manager', 'Engineer', 'VP Sales', '采购经理', 'Director of IT'])[1 + (g / 25) % 6],
    'budget_confirmed', g % 3 = 0,
    'events', jsonb_build_array(
      jsonb_build_object('type', 'page_view', 'url', '/pricing', 'at', '2026-01-' || lpad((1 + g % 28)::text, 2, '0') || 'T10:00:00Z'),
      jsonb_build_object('type', 'email_open', 'campaign', 'welcome-1', 'at', '2026-01-20T10:00:00Z'),
      jsonb_build_object('type', 'webinar', 'campaign', 'webinar-2026q1', 'at', '2026-01-25T10:00:00Z'))) AS profile
  FROM generate_series(1, 1000000) g;
VACUUM ANALYZE persona_test_profiles;
VACUUM ANALYZE persona_test_models;

CREATE FUNCTION pg_temp.explain(query text, run boolean DEFAULT true) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE format('EXPLAIN (ANALYZE %s, FORMAT JSON) ', run::text) || query INTO plan;
  RETURN plan;
END $$;

-- The model as a scalar subquery: an InitPlan evaluated once by the leader
-- and handed to the workers as a parameter (a join with the models table
-- would make PostgreSQL 15 plan a serial nested loop, see
-- docs/postgresql.md).
\set query 'SELECT count(*) AS n, sum((persona.eval((SELECT code FROM persona_test_models WHERE name = ''lead''), p.profile, ''2026-02-01T00:00:00Z'')->''scores''->>''total'')::numeric) AS total FROM persona_test_profiles p'
SELECT pg_temp.explain(:'query') AS plan \gset
SELECT jsonb_path_query_array(:'plan'::jsonb, '$.**."Workers Launched"') AS workers_launched \gset
SELECT (SELECT max(w::int) FROM jsonb_array_elements_text(:'workers_launched'::jsonb) w) > 0 AS ran_in_parallel_workers,
       jsonb_path_exists(:'plan'::jsonb, '$.** ? (@."Node Type" == "Gather")') AS gather,
       jsonb_path_exists(:'plan'::jsonb, '$.** ? (@."Partial Mode" == "Partial")') AS partial_aggregate;

-- The same count and sum in parallel workers and serially (with
-- persona.score, half the work of a result object; numeric sums, exact in
-- any order).
\set query 'SELECT count(*) AS n, sum(persona.score((SELECT code FROM persona_test_models WHERE name = ''lead''), p.profile, ''2026-02-01T00:00:00Z'', ''total'')::numeric) AS total FROM persona_test_profiles p'
SELECT jsonb_path_exists(pg_temp.explain(:'query', false), '$.** ? (@."Node Type" == "Gather")') AS gather;
:query \gset parallel_
SET max_parallel_workers_per_gather = 0;
SELECT jsonb_path_exists(pg_temp.explain(:'query', false), '$.** ? (@."Node Type" == "Gather")') AS gather_when_serial;
:query \gset serial_
RESET max_parallel_workers_per_gather;
SELECT :parallel_n AS n, :'parallel_total' AS total, :'parallel_total' = :'serial_total' AS same_result;

DROP TABLE persona_test_profiles, persona_test_models;
