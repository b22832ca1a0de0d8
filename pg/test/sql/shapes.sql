-- The jsonb reader and the jsonb results against JSON text, on shapes the
-- bench profiles lack: objects and arrays of more than 32 members (jsonb
-- stores an offset only in every 32nd entry), keys at other positions
-- from one profile to the next (the reader guesses a key's position from
-- the last profile), absent, null and mistyped fields, strings that need
-- escapes, numbers of every spelling. persona.jsonb_check lays out every
-- jsonb result also with PostgreSQL's JsonbValueToJsonb and raises an
-- ERROR unless the bytes are the same.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
SET max_parallel_workers_per_gather = 0;

-- 40 number fields, a tag and a score for each: result objects of 46
-- scores and arrays of up to 40 tags. f1 * 1e21 overflows to infinity for
-- the largest numbers: a record error.
CREATE TEMP TABLE shapes AS SELECT persona.compile(
  E'model shapes version "1"\n'
  || E'record ev {\n  type: string\n  at: time\n  w: number = 0\n}\n'
  || E'schema {\n  id: string key\n  name: string = ""\n  events: list<ev> = []\n'
  || (SELECT string_agg(format(E'  f%s: number = 0\n', k), '') FROM generate_series(1, 40) k)
  || E'}\n'
  || (SELECT string_agg(format(E'tag t%s when f%s != 1\n', k, k), '') FROM generate_series(1, 40) k)
  || (SELECT string_agg(format(E'score s%s = f%s * 1.5\n', k, k), '') FROM generate_series(1, 40) k)
  || E'score big = f1 * 1000000000000000000000.0\n'
  || E'score tiny = f2 / 10000000.0\n'
  || E'score neg = 0 - f3\n'
  || E'score n_events = len(events)\n'
  || E'score weight = sum(w of events)\n'
  || E'score name_len = len(name)\n') AS code;

-- 600 profiles: every third one with 40 more keys the model never reads
-- (the keys it reads move), numbers whole, decimal, negative, huge and
-- tiny, some fields absent or null, 0 to 45 events, names with quotes,
-- backslashes, control characters, line separators and emoji, and every
-- 50th profile with a field of the wrong type (a record error, evaluated
-- from its text).
CREATE TEMP TABLE shaped AS
SELECT g AS n, (
  jsonb_build_object('id', 'p' || g || (ARRAY['', '"q"', 'back\slash', E'tab\there', E'\u2028', '😀', E'nl\n', '/'])[1 + g % 8])
  || (SELECT coalesce(jsonb_object_agg('f' || k,
        CASE (g + k) % 9
          WHEN 0 THEN to_jsonb(g * k)
          WHEN 1 THEN to_jsonb(round(g * 0.37 + k, 3))
          WHEN 2 THEN to_jsonb(-(g + k))
          WHEN 3 THEN 'null'::jsonb
          WHEN 4 THEN to_jsonb(1e300::numeric * k)
          WHEN 5 THEN to_jsonb(k * 0.000001)
          WHEN 6 THEN to_jsonb(g::numeric / 7)
          ELSE to_jsonb(k) END), '{}')
      FROM generate_series(1, 40) k WHERE (g + k) % 11 <> 0)
  || CASE WHEN g % 3 = 0
       THEN (SELECT jsonb_object_agg(repeat('x', 1 + k % 5) || k, k) FROM generate_series(1, 40) k)
       ELSE '{}' END
  || jsonb_build_object('name', repeat('ab"\', g % 4) || 'é',
                        'events', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                     'type', 't' || (e % 3), 'at', '2026-01-' || lpad((1 + e % 28)::text, 2, '0') || 'T00:00:00Z',
                                     'w', e * 0.5) ORDER BY e), '[]')
                                   FROM generate_series(1, g % 46) e))
  || CASE WHEN g % 50 = 0 THEN '{"f7":"seven"}'::jsonb ELSE '{}' END
) AS profile
FROM generate_series(1, 600) g;

SELECT count(*) AS profiles,
       max((SELECT count(*) FROM jsonb_object_keys(profile))) AS most_keys,
       max(jsonb_array_length(profile->'events')) AS most_events
FROM shaped;

SET persona.jsonb_check = on;
CREATE TEMP TABLE in_place AS
  SELECT s.n, persona.eval(m.code, s.profile, '2026-02-01T00:00:00Z')::text AS result,
         persona.eval_json(m.code, s.profile, '2026-02-01T00:00:00Z')::text AS result_json
  FROM shaped s CROSS JOIN shapes m;
SET persona.jsonb_direct = off;
SELECT count(*) AS profiles,
       count(*) FILTER (WHERE i.result_json ~ '"error"') AS errors,
       max(jsonb_array_length(i.result::jsonb->'tags')) AS most_tags,
       max((SELECT count(*) FROM jsonb_object_keys(i.result::jsonb->'scores'))) AS most_scores,
       count(*) FILTER (WHERE i.result = persona.eval(m.code, s.profile, '2026-02-01T00:00:00Z')::text) AS same_jsonb,
       count(*) FILTER (WHERE i.result_json = persona.eval_json(m.code, s.profile, '2026-02-01T00:00:00Z')::text) AS same_json
FROM shaped s JOIN in_place i USING (n) CROSS JOIN shapes m;
RESET persona.jsonb_direct;

-- The spellings of the numbers in the results (as libpersona wrote them:
-- integers, decimals, exponents, some of more than 18 digits).
SELECT regexp_replace(m[1], '[0-9]+', 'N', 'g') AS number_shape, count(*)
FROM in_place i, regexp_matches(i.result_json, ':(-?[0-9][0-9.eE+-]*)', 'g') AS m
GROUP BY 1 ORDER BY 1;
SELECT count(*) FILTER (WHERE length(regexp_replace(m[1], '[^0-9]', '', 'g')) > 18) AS over_18_digits
FROM in_place i, regexp_matches(i.result_json, ':(-?[0-9][0-9.eE+-]*)', 'g') AS m;
-- A result holds the escapes of its strings: the ids as given.
SELECT count(*) FILTER (WHERE i.result::jsonb->>'id' = s.profile->>'id') AS same_ids
FROM shaped s JOIN in_place i USING (n) WHERE i.result_json !~ '"error"';
RESET persona.jsonb_check;
