-- NULL and malformed inputs: NULL in gives NULL out (STRICT); a profile
-- that cannot be evaluated gives an error object, as `persona eval` does
-- (without "line": a row has none); a model that is not valid bytecode,
-- an infinite now or a score the model lacks raise an ERROR.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
\set lead_src `cat "$PERSONA_ROOT/examples/b2b_lead.persona"`
\set edge `cat "$PERSONA_ROOT/pg/test/data/edge.jsonl"`
\set cli `cat "$PERSONA_TEST_DATA/edge.jsonl"`
CREATE TEMP TABLE models AS SELECT persona.compile(:'lead_src') AS lead;
CREATE TEMP TABLE edge AS
  SELECT n, line::jsonb AS profile FROM regexp_split_to_table(:'edge', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';
CREATE TEMP TABLE cli AS
  SELECT n, line FROM regexp_split_to_table(:'cli', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';

-- Every edge case, beside the CLI's line with its "line" removed.
SELECT e.n, persona.eval_json(m.lead, e.profile, '2026-02-01T00:00:00Z')::text
            = regexp_replace(c.line, ',"line":[0-9]+', '') AS same_as_cli,
       persona.error(m.lead, e.profile, '2026-02-01T00:00:00Z') AS error
FROM edge e JOIN cli c USING (n) CROSS JOIN models m ORDER BY e.n;
SELECT persona.eval(m.lead, '[1,2,3]', '2026-02-01') AS not_an_object,
       persona.eval(m.lead, '{"id":"e17 \"q\"","employees":"x"}', '2026-02-01') AS escaped
FROM models m;
-- The accessors give NULL for a profile that cannot be evaluated.
SELECT persona.tags(m.lead, '{"id":"x","employees":"many"}', '2026-02-01') IS NULL AS tags_null,
       persona.score(m.lead, '{"id":"x","employees":"many"}', '2026-02-01', 'total') IS NULL AS score_null
FROM models m;

-- NULL arguments: NULL, except a NULL state, which is no state (0.2.0).
SELECT persona.eval(NULL, '{"id":"x"}', '2026-02-01') IS NULL AS model_null,
       persona.eval(m.lead, NULL, '2026-02-01') IS NULL AS profile_null,
       persona.eval(m.lead, '{"id":"x"}', NULL) IS NULL AS now_null,
       persona.eval(m.lead, '{"id":"x"}', NULL, '2026-02-01') IS NOT NULL AS state_null,
       persona.eval_json(m.lead, NULL, '2026-02-01') IS NULL AS json_null,
       persona.tags(m.lead, NULL, '2026-02-01') IS NULL AS tags_null,
       persona.score(m.lead, '{"id":"x"}', '2026-02-01', NULL) IS NULL AS score_name_null,
       persona.error(NULL, NULL, NULL) IS NULL AS error_null,
       persona.model_info(NULL) IS NULL AS info_null
FROM models m;

-- States that cannot be read: an error object, as for a damaged state file.
SELECT persona.eval(m.lead, '{"id":"x"}', '{"v":99}', '2026-02-01')->>'error' AS newer,
       persona.eval(m.lead, '{"id":"x"}', '{"lifecycles":[]}', '2026-02-01')->>'error' AS no_version,
       persona.eval(m.lead, '{"id":"x"}', '[1]', '2026-02-01')->>'error' AS not_an_object
FROM models m;

-- Models that are not valid bytecode.
SELECT persona.eval('\x'::bytea, '{"id":"x"}', '2026-02-01');
SELECT persona.eval('\x0102030405'::bytea, '{"id":"x"}', '2026-02-01');
SELECT persona.eval(convert_to('model x version "1"', 'UTF8'), '{"id":"x"}', '2026-02-01');
-- The real bytecode cut short, and with one byte changed.
-- (the header's length is the model's, shown as LENGTH so that this test
-- does not change with the bytecode)
DO $$
DECLARE code bytea := (SELECT lead FROM models);
BEGIN
  PERFORM persona.eval(substring(code FROM 1 FOR 1000), '{"id":"x"}', '2026-02-01');
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE '%', replace(SQLERRM, length(code)::text, 'LENGTH');
END $$;
SELECT persona.eval(overlay(m.lead PLACING '\x00'::bytea FROM length(m.lead) - 100 FOR 1), '{"id":"x"}', '2026-02-01')
FROM models m;
SELECT persona.model_info('\xdeadbeef');
-- A crafted file whose length and checksum are right (issue 16: a global
-- made a record in one record's memory, read as a string by len(); it
-- once took the backend, and with it every session, down with SIGSEGV):
-- the verifier refuses it.
\set crafted `cat "$PERSONA_TEST_DATA/crafted.hex"`
SELECT persona.eval(decode(:'crafted', 'hex'), '{"id":"a","name":"annabelle"}', '2026-02-01');

-- now must be a finite time; times far away are fine.
SELECT persona.eval(m.lead, '{"id":"x"}', 'infinity') FROM models m;
SELECT persona.eval(m.lead, '{"id":"x"}', '-infinity') FROM models m;
-- The last instants of timestamptz cannot be moved to the Unix epoch.
SELECT persona.eval(m.lead, '{"id":"x"}', '294276-12-31 23:59:59+00') FROM models m;
SELECT persona.eval(m.lead, '{"id":"x","events":[{"type":"visit","at":"1970-01-01T00:00:00Z"}]}', '1969-12-31 23:59:59.999999+00')->'stages' AS before_epoch FROM models m;
SELECT persona.eval(m.lead, '{"id":"x"}', '9999-12-31 23:59:59+00')->'transitions' AS year_9999 FROM models m;

-- A score the model does not have is an error, with the ones it has.
SELECT persona.score(m.lead, '{"id":"x"}', '2026-02-01', 'totl') FROM models m;
-- The session is fine after all these errors.
SELECT persona.score(m.lead, '{"id":"x","employees":800}', '2026-02-01', 'fit') AS fit FROM models m;

-- jsonb profiles are read in place (persona.jsonb_direct, on by default);
-- read as their JSON text they give the same results and the same error
-- messages: a profile that is not clean is evaluated from its text anyway.
CREATE TEMP TABLE in_place AS
  SELECT e.n, persona.eval_json(m.lead, e.profile, '2026-02-01T00:00:00Z')::text AS result
  FROM edge e CROSS JOIN models m;
SET persona.jsonb_direct = off;
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE i.result = persona.eval_json(m.lead, e.profile, '2026-02-01T00:00:00Z')::text) AS same_as_text
FROM edge e JOIN in_place i USING (n) CROSS JOIN models m;
RESET persona.jsonb_direct;
-- Nesting in a field the model never reads: 128 levels are fine, 129 are
-- an error, in place as in the text.
CREATE TEMP TABLE deep AS
  SELECT k, ('{"id":"deep","unused":' || repeat('[', k - 1) || repeat(']', k - 1) || '}')::jsonb AS profile
  FROM (VALUES (128), (129)) AS v(k);
SELECT d.k, persona.error(m.lead, d.profile, '2026-02-01') AS in_place FROM deep d CROSS JOIN models m ORDER BY d.k;
SET persona.jsonb_direct = off;
SELECT d.k, persona.error(m.lead, d.profile, '2026-02-01') AS as_text FROM deep d CROSS JOIN models m ORDER BY d.k;
RESET persona.jsonb_direct;

-- States are handed to libpersona as compact JSON written straight from
-- the jsonb (persona.jsonb_direct), or as JsonbToCString's text (off):
-- the same results and the same messages, for states good and bad:
-- escapes, numbers, wrong types, nesting (deeper than the writer goes is
-- left to JsonbToCString, and past 128 levels both are an error).
CREATE TEMP TABLE states AS
  SELECT n, s::jsonb AS state FROM (VALUES
    (1, '{"v":1,"lifecycles":[{"name":"funnel","stage":"lead","entered":"2026-01-01T00:00:00Z"}],"journeys":[]}'),
    (2, '{"v":1,"lifecycles":[{"name":"funnel","stage":"nurture","entered":"2026-01-01T00:00:00Z"}],"journeys":[]}'),
    (3, '{"v":1,"lifecycles":[{"name":"funnel","stage":"no \"such\" stage\t\n\u0001é😀","entered":"2026-01-01T00:00:00Z"}],"journeys":[]}'),
    (4, '{"v":1.0,"lifecycles":[],"journeys":[]}'),
    (5, '{"v":1.50,"lifecycles":[],"journeys":[]}'),
    (6, '{"v":-0,"lifecycles":[],"journeys":[]}'),
    (7, '{"v":1e3,"lifecycles":[],"journeys":[]}'),
    (8, '{"v":"1","lifecycles":[],"journeys":[]}'),
    (9, '{"v":1,"lifecycles":{},"journeys":[]}'),
    (10, '{"v":1,"lifecycles":[null,true,false],"journeys":[]}'),
    (11, '{"v":1,"lifecycles":[{"name":"funnel","stage":"lead","entered":1767225600}],"journeys":[]}'),
    (12, '[{"v":1}]'),
    (13, '"state"'),
    (14, '5')) AS t(n, s)
  UNION ALL
  SELECT 100 + k, ('{"v":1,"lifecycles":[],"journeys":[],"x":' || repeat('[', k - 1) || repeat(']', k - 1) || '}')::jsonb
  FROM (VALUES (31), (32), (33), (128), (129)) AS d(k);
CREATE TEMP TABLE direct_states AS
  SELECT s.n, persona.eval_json(m.lead, '{"id":"s","events":[{"type":"visit","at":"2026-01-20T00:00:00Z"}]}',
                                s.state, '2026-02-01T00:00:00Z')::text AS result
  FROM states s CROSS JOIN models m;
SET persona.jsonb_direct = off;
SELECT s.n, d.result = persona.eval_json(m.lead, '{"id":"s","events":[{"type":"visit","at":"2026-01-20T00:00:00Z"}]}',
                                         s.state, '2026-02-01T00:00:00Z')::text AS same_as_text,
       coalesce(d.result::jsonb->>'error', d.result::jsonb->'stages'->>'funnel') AS error_or_stage
FROM states s JOIN direct_states d USING (n) CROSS JOIN models m ORDER BY s.n;
RESET persona.jsonb_direct;
