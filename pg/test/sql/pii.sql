-- pii never appears in persona.eval or persona.error: every built-in that
-- can fail gets a value computed from a pii field (the model and profiles
-- of the golden test pii_everywhere, whose secrets contain 555, 0100 or
-- SECRET), and a model that lets one leave does not compile.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
\set src `cat "$PERSONA_ROOT/tests/golden/pii_everywhere/model.persona"`
\set lines `cat "$PERSONA_ROOT/tests/golden/pii_everywhere/p.jsonl"`
SET max_parallel_workers_per_gather = 0;

CREATE TEMP TABLE m AS SELECT persona.compile(:'src') AS model;
CREATE TEMP TABLE p AS
  SELECT n, line::jsonb AS profile
  FROM regexp_split_to_table(:'lines', E'\n') WITH ORDINALITY AS t(line, n) WHERE line <> '';

SELECT p.n, persona.eval(m.model, p.profile, '2026-02-01T00:00:00Z')->>'error' AS eval_error,
       persona.error(m.model, p.profile, '2026-02-01T00:00:00Z') = 
         persona.eval(m.model, p.profile, '2026-02-01T00:00:00Z')->>'error' AS same_as_error
FROM p CROSS JOIN m ORDER BY p.n;

-- No secret in any result or message.
SELECT count(*) AS leaks
FROM p CROSS JOIN m
WHERE persona.eval_json(m.model, p.profile, '2026-02-01T00:00:00Z')::text ~ '555|0100|SECRET|1970'
   OR coalesce(persona.error(m.model, p.profile, '2026-02-01T00:00:00Z'), '') ~ '555|0100|SECRET|1970';

-- A pii value in output is a compile error.
SELECT persona.compile(E'model x version "1"\nschema {\n  id: string key\n  phone: string? pii\n}\noutput { p: phone ?? "" }\n');
