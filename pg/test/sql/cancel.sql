-- A long evaluation stops on a query cancel (here statement_timeout): the
-- VM polls the interrupt hook, unwinds, and the glue raises the cancel;
-- the backend and the cached model go on working.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS persona;
RESET client_min_messages;
SET max_parallel_workers_per_gather = 0;
-- Quadratic on purpose: each event counts the events of its type. With
-- 40 000 events this runs for many seconds.
CREATE TEMP TABLE spin AS SELECT persona.compile($$
model spin version "1"
record event {
  type: string
  at: time
}
schema {
  id: string key
  events: list<event> = []
}
tag spin when any e in events: count(events where type == e.type) < 0
$$) AS code;
CREATE TEMP TABLE big AS
  SELECT jsonb_build_object('id', 'big', 'events',
           jsonb_agg(jsonb_build_object('type', 't' || (g % 7), 'at', '2026-01-01T00:00:00Z'))) AS profile
  FROM generate_series(1, 40000) g;
SELECT interrupts AS before_interrupts FROM persona.cache_stats() \gset

-- Reading the profile before the VM runs takes a fraction of a second;
-- on a loaded machine, a timeout that fires before the VM starts is seen
-- by PostgreSQL outside the VM, so it leaves a few seconds for that.
SET statement_timeout = '3s';
SELECT persona.eval(s.code, b.profile, '2026-02-01T00:00:00Z') FROM spin s, big b;
RESET statement_timeout;

-- The cancel was seen inside the VM, not between rows.
SELECT interrupts - :before_interrupts AS interrupted_in_vm FROM persona.cache_stats();
-- Same model, small profile: the VM that was interrupted evaluates normally.
SELECT persona.eval(s.code, '{"id":"small","events":[{"type":"a","at":"2026-01-01T00:00:00Z"}]}', '2026-02-01T00:00:00Z')
FROM spin s;

-- A long compilation stops too: 150 000 tags (about 8 MB of source) take
-- many seconds to compile; the compiler polls the same hook (parser,
-- checker, constants, code generation) and the cancel comes at once.
CREATE TEMP TABLE huge AS
  SELECT E'model huge version "1"\nschema {\n  id: string key\n  n: int = 0\n}\n' ||
         string_agg(format('tag t%s when n > %s and n < %s + 5 or n == %s', g, g, g, g), E'\n') AS source
  FROM generate_series(1, 150000) g;
SELECT interrupts AS before_compile FROM persona.cache_stats() \gset
SET statement_timeout = '300ms';
SELECT length(persona.compile(source)) FROM huge;
RESET statement_timeout;
SELECT interrupts - :before_compile AS interrupted_in_compile FROM persona.cache_stats();
-- The backend compiles the next model normally.
SELECT length(persona.compile('model small version "1"
schema { id: string key }
tag t when true')) > 0 AS compiles;
