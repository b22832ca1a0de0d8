-- Journeys over several evaluations, with each profile's state kept in a
-- column: the results at every step are, byte for byte, those of
-- `persona eval --state FILE` over the same three times.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
\set profiles `cat "$PERSONA_ROOT/examples/profiles.jsonl"`
\set journeys_hex `cat "$PERSONA_TEST_DATA/journeys.hex"`
\set cli1 `cat "$PERSONA_TEST_DATA/journeys-1.jsonl"`
\set cli2 `cat "$PERSONA_TEST_DATA/journeys-2.jsonl"`
\set cli3 `cat "$PERSONA_TEST_DATA/journeys-3.jsonl"`
SET max_parallel_workers_per_gather = 0;

-- The model compiled outside the database (it imports b2b_lead.persona)
-- and shipped as bytecode.
CREATE TEMP TABLE models AS SELECT decode(:'journeys_hex', 'hex') AS journeys;
SELECT persona.model_info(journeys) - 'source_sha256' - 'bytes' AS info,
       (persona.model_info(journeys)->>'bytes')::int = octet_length(journeys) AS bytes_is_the_length
FROM models;

CREATE TEMP TABLE customers AS
  SELECT n, line::jsonb AS profile, 'null'::jsonb AS state
  FROM regexp_split_to_table(:'profiles', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';
CREATE TEMP TABLE cli (step int, n bigint, line text);
INSERT INTO cli SELECT 1, n, line FROM regexp_split_to_table(:'cli1', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';
INSERT INTO cli SELECT 2, n, line FROM regexp_split_to_table(:'cli2', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';
INSERT INTO cli SELECT 3, n, line FROM regexp_split_to_table(:'cli3', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';

-- One evaluation step: results for the host (actions to perform), then the
-- new states stored. A profile that fails keeps its old state.
CREATE TEMP TABLE results (step int, n bigint, result json);
PREPARE step(int, timestamptz) AS
  INSERT INTO results
  SELECT $1, c.n, persona.eval_json(m.journeys, c.profile, c.state, $2)
  FROM customers c CROSS JOIN models m;
PREPARE keep_state(int) AS
  UPDATE customers c SET state = coalesce(r.result::jsonb->'state', c.state)
  FROM results r WHERE r.step = $1 AND r.n = c.n;

EXECUTE step(1, '2026-02-01T00:00:00Z');
EXECUTE keep_state(1);
EXECUTE step(2, '2026-02-04T00:00:00Z');
EXECUTE keep_state(2);
EXECUTE step(3, '2026-02-20T00:00:00Z');
EXECUTE keep_state(3);

SELECT r.step, count(*) AS profiles, count(*) FILTER (WHERE r.result::text = c.line) AS same_bytes,
       sum(json_array_length(r.result->'actions')) AS actions
FROM results r JOIN cli c USING (step, n) GROUP BY r.step ORDER BY r.step;

-- When each profile is due again: the earlier of next_wake (a journey's
-- timer) and next_change (its result changes by time alone), compared as
-- timestamptz; both are after the evaluation's time, or null (never).
SELECT r.step,
       count(*) FILTER (WHERE r.result->>'next_wake' IS NOT NULL) AS with_next_wake,
       count(*) FILTER (WHERE r.result->>'next_change' IS NOT NULL) AS with_next_change,
       count(*) FILTER (WHERE least((r.result->>'next_wake')::timestamptz, (r.result->>'next_change')::timestamptz)
                              <= t.at) AS due_not_after_now
FROM results r
JOIN (VALUES (1, '2026-02-01T00:00:00Z'::timestamptz), (2, '2026-02-04T00:00:00Z'), (3, '2026-02-20T00:00:00Z')) AS t(step, at)
  USING (step)
GROUP BY r.step ORDER BY r.step;

-- The actions of one profile over the three steps, with their idempotency
-- keys (journey, run, step).
SELECT r.step, a->>'journey' AS journey, a->>'run' AS run, a->>'step' AS journey_step, a->>'kind' AS kind,
       coalesce(a->>'template', a->>'task', a->>'text', a->>'name') AS what, a->>'at' AS at
FROM results r CROSS JOIN LATERAL json_array_elements(r.result->'actions') AS a
WHERE r.n = 1 ORDER BY r.step, a->>'at', journey_step;

-- The state column alone moves the journeys on: the same profile at the
-- same time with its first-sight state ('null' or '{}') or without a
-- state gives the first step's result again.
SELECT count(*) FILTER (WHERE persona.eval(m.journeys, c.profile, 'null', '2026-02-01T00:00:00Z')
                              = persona.eval(m.journeys, c.profile, '2026-02-01T00:00:00Z')) AS null_is_first_sight,
       count(*) FILTER (WHERE persona.eval(m.journeys, c.profile, '{}', '2026-02-01T00:00:00Z')
                              = persona.eval(m.journeys, c.profile, '2026-02-01T00:00:00Z')) AS empty_is_first_sight
FROM customers c CROSS JOIN models m WHERE c.n <= 100;

-- persona.eval builds its jsonb from libpersona's text without jsonb_in:
-- the same jsonb as jsonb_in of persona.eval_json's text, for results with
-- actions, transitions and states (and for record errors), laid out in
-- the same bytes as PostgreSQL's JsonbValueToJsonb (persona.jsonb_check).
SET persona.jsonb_check = on;
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE persona.eval(m.journeys, c.profile, c.state, '2026-03-01T00:00:00Z')::text
                              = persona.eval_json(m.journeys, c.profile, c.state, '2026-03-01T00:00:00Z')::jsonb::text) AS same_as_jsonb_in,
       count(*) FILTER (WHERE persona.eval(m.journeys, c.profile, c.state, '2026-03-01T00:00:00Z') ? 'error') AS errors
FROM customers c CROSS JOIN models m;
SELECT persona.eval(m.journeys, '{"id":"e\"1\u00e9\n","employees":"x\u2028"}', '2026-02-01')::text
       = persona.eval_json(m.journeys, '{"id":"e\"1\u00e9\n","employees":"x\u2028"}', '2026-02-01')::jsonb::text AS escapes_same
FROM models m;
RESET persona.jsonb_check;
