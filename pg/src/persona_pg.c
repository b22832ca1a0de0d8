/* persona_pg.c - the SQL functions of the `persona` extension.
 *
 * Every function takes the model as bytea (bytecode, verified when first
 * loaded) and `now` as an argument, so a call means the same on any
 * backend, parallel worker or Citus node, in any TimeZone and DateStyle
 * (docs/postgresql.md says why each attribute is what it is).
 *
 * Models are cached twice: per call site (fn_extra, one reference to the
 * loaded model, let go by a reset callback on fn_mcxt when the query
 * ends) and per process (persona_core.c: an LRU of loaded models keyed by
 * the bytecode's SHA-256), so a scan of a million rows verifies and loads
 * the bytecode once per process.
 *
 * Errors: libpersona never raises, longjmps or aborts on data; it returns
 * failures. This file copies a failure's message into palloc'ed memory,
 * frees what libpersona gave it, and only then raises the ERROR. A query
 * cancel (statement_timeout, pg_cancel_backend) is noticed by the VM's
 * interrupt hook, which only polls InterruptPending; the VM unwinds and
 * returns, and CHECK_FOR_INTERRUPTS() here raises the cancel with nothing
 * of the VM's on the stack.
 *
 * GLib is only used behind persona_core.h: no GLib header is included
 * here, so the two sets of macros never meet.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "persona_core.h"
#include "persona_jsonb.h"

PG_MODULE_MAGIC;

/* Microseconds from the Unix epoch (libpersona's) to PostgreSQL's. */
#define PERSONA_PG_EPOCH_SHIFT ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* Call sites that found their model in fn_extra (persona.cache_stats). */
static uint64 site_hits;

/* ---- the interrupt hook ------------------------------------------------------- */

/* Polled by the VM every few thousand instructions. It must not raise:
 * it only says whether ProcessInterrupts would have work to do now. */
static bool
interrupt_pending(void)
{
	return INTERRUPTS_PENDING_CONDITION() && INTERRUPTS_CAN_BE_PROCESSED();
}

void		_PG_init(void);

/*
 * persona.jsonb_direct: read jsonb profiles in place and build jsonb
 * results without jsonb_in (on, the default), or go through JSON text
 * both ways (off). The results are the same either way (the regression
 * tests compare the two); off is there to measure and compare.
 */
static bool jsonb_direct = true;

/*
 * persona.jsonb_check: also build each jsonb result with PostgreSQL's
 * JsonbValueToJsonb and raise an ERROR unless the bytes are the same
 * (off by default; the regression tests turn it on).
 */
static bool jsonb_check = false;

void
_PG_init(void)
{
	pgc_set_interrupt_check(interrupt_pending);
	DefineCustomBoolVariable("persona.jsonb_direct",
							 "Reads jsonb profiles and builds jsonb results without JSON text in between.",
							 "The results are the same either way; off is for comparison.",
							 &jsonb_direct, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("persona.jsonb_check",
							 "Checks each jsonb result against the one PostgreSQL's own code lays out.",
							 "For tests: an ERROR when the bytes differ.",
							 &jsonb_check, false, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("persona");
}

/* ---- call sites ------------------------------------------------------------------- */

typedef struct CallSite
{
	PgcModel   *model;			/* one reference, or NULL */
	bool		stable;			/* the model argument is a constant of the
								 * plan: it cannot change while the call site
								 * lives */
	bytea	   *bytes;			/* else the last model argument, to compare */
	struct varlena *raw;		/* and, when it came compressed or toasted,
								 * its datum as stored */
	MemoryContext tree;			/* what reading a jsonb profile in place
								 * allocates, reset at each evaluation */
	char	   *tree_block;		/* its nodes, first (PGJ_TREE_BLOCK bytes) */
	StringInfoData profile;		/* the profile as JSON text, reused row after
								 * row */
	StringInfoData state;
	MemoryContextCallback release;
} CallSite;

/* Runs when fn_mcxt is reset or deleted: at the end of the query, or when
 * it fails. */
static void
site_release(void *arg)
{
	CallSite   *site = arg;

	if (site->model)
		pgc_model_unref(site->model);
	site->model = NULL;
}

/*
 * Only a Const is trusted without looking: get_fn_expr_arg_stable() also
 * accepts external Params, but PL/pgSQL evaluates a simple expression
 * with one expression state (and so one fn_extra) while its variables,
 * which are external Params, change from one call to the next.
 */
static bool
model_arg_is_const(FmgrInfo *flinfo)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;

	if (!expr || !IsA(expr, FuncExpr))
		return false;
	args = ((FuncExpr *) expr)->args;
	return list_length(args) > 0 && IsA(linitial(args), Const);
}

static CallSite *
call_site(FunctionCallInfo fcinfo)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;
	CallSite   *site = flinfo->fn_extra;
	MemoryContext old;

	if (site)
		return site;
	old = MemoryContextSwitchTo(flinfo->fn_mcxt);
	site = palloc0(sizeof(CallSite));
	site->tree = AllocSetContextCreate(flinfo->fn_mcxt, "persona jsonb profile", ALLOCSET_SMALL_SIZES);
	site->tree_block = palloc(PGJ_TREE_BLOCK);
	initStringInfo(&site->profile);
	initStringInfo(&site->state);
	site->stable = model_arg_is_const(flinfo);
	site->release.func = site_release;
	site->release.arg = site;
	MemoryContextRegisterResetCallback(flinfo->fn_mcxt, &site->release);
	MemoryContextSwitchTo(old);
	flinfo->fn_extra = site;
	return site;
}

/* Raises a libpersona message after freeing it. */
static void
raise_bad_model(char *message)
{
	char	   *copy = pstrdup(message);

	pgc_free(message);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("persona: the model is not valid bytecode: %s", copy),
			 errhint("Models are made by persona.compile(source) or by `persona compile`.")));
}

/* A stored form that names its value: a pointer into a TOAST table (the
 * value cannot change while this query can see it) or compressed inline
 * bytes. Comparing it costs nothing next to decompressing the model. */
static bool
raw_identifies_value(struct varlena *raw)
{
	return VARATT_IS_EXTERNAL_ONDISK(raw) || VARATT_IS_COMPRESSED(raw);
}

static bool
same_varlena(struct varlena *a, struct varlena *b)
{
	return a && VARSIZE_ANY(a) == VARSIZE_ANY(b) && memcmp(a, b, VARSIZE_ANY(b)) == 0;
}

/* The model of argument 0: the call site's when the argument cannot have
 * changed (a constant), is the same stored value (a model read from a
 * table row after row: not decompressed again) or has the same bytes;
 * else the process cache's. */
static PgcModel *
site_model(FunctionCallInfo fcinfo, CallSite *site)
{
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
	struct varlena *raw = PG_GETARG_RAW_VARLENA_P(0);
	bytea	   *arg;
	const char *data;
	Size		len;

	if (site->model && (site->stable || (raw_identifies_value(raw) && same_varlena(site->raw, raw))))
	{
		site_hits++;
		return site->model;
	}
	arg = PG_GETARG_BYTEA_PP(0);
	data = VARDATA_ANY(arg);
	len = VARSIZE_ANY_EXHDR(arg);
	if (site->model && site->bytes && VARSIZE_ANY_EXHDR(site->bytes) == len &&
		memcmp(VARDATA_ANY(site->bytes), data, len) == 0)
		site_hits++;
	else
	{
		char	   *message = NULL;
		PgcModel   *model = pgc_model_get(data, len, &message);

		if (!model)
			raise_bad_model(message);
		if (site->model)
			pgc_model_unref(site->model);
		site->model = model;
		if (site->bytes)
			pfree(site->bytes);
		site->bytes = NULL;
		if (!site->stable)
		{
			site->bytes = MemoryContextAlloc(mcxt, VARHDRSZ + len);
			SET_VARSIZE(site->bytes, VARHDRSZ + len);
			memcpy(VARDATA(site->bytes), data, len);
		}
	}
	/* Remember how this value was stored, to know it next time unopened. */
	if (site->raw)
		pfree(site->raw);
	site->raw = NULL;
	if (!site->stable && raw_identifies_value(raw))
	{
		site->raw = MemoryContextAlloc(mcxt, VARSIZE_ANY(raw));
		memcpy(site->raw, raw, VARSIZE_ANY(raw));
	}
	return site->model;
}

/* ---- arguments ------------------------------------------------------------------- */

/* timestamptz -> microseconds since the Unix epoch, whatever TimeZone says
 * (a timestamptz is an instant in UTC already). */
static int64
now_argument(FunctionCallInfo fcinfo, int argno)
{
	TimestampTz ts = PG_GETARG_TIMESTAMPTZ(argno);
	int64		unix_us;

	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("persona: now must be a finite time, not %s",
						TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity")));
	/* Near the end of timestamptz the shift overflows int64: it once
	 * wrapped to a time before the year 0 ("days": -106750904.33). */
	if (pg_add_s64_overflow(ts, PERSONA_PG_EPOCH_SHIFT, &unix_us))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("persona: now is out of range: %s", timestamptz_to_str(ts))));
	return unix_us;
}

/* First sight: a state that is JSON null or {} (a column's default). */
static bool
state_is_empty(Jsonb *state)
{
	JsonbValue	v;

	if (JB_ROOT_IS_OBJECT(state) && JB_ROOT_COUNT(state) == 0)
		return true;
	return JB_ROOT_IS_SCALAR(state) && JsonbExtractScalar(&state->root, &v) &&
		v.type == jbvNull;
}

/* ---- evaluating ------------------------------------------------------------------- */

/*
 * Evaluates the jsonb profile in place (pgj_reader). False when libpersona
 * declined it: the caller evaluates its text.
 */
static bool
evaluate_tree(CallSite *site, PgcModel *model, Jsonb *profile, const char *state, Size state_len,
			  int64 now_us)
{
	PgcEvalStatus status;

	for (;;)
	{
		MemoryContext old;
		PgjTree		tree;

		pgj_tree_init(&tree, site->tree_block);
		MemoryContextReset(site->tree);
		old = MemoryContextSwitchTo(site->tree);
		status = pgc_eval_tree(model, &pgj_reader, &tree, pgj_root(&tree, profile), state, state_len, now_us);
		MemoryContextSwitchTo(old);
		if (status != PGC_EVAL_INTERRUPTED)
			return status != PGC_EVAL_DECLINED;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Evaluates argument 1 (the profile) with the model of argument 0, the
 * state of argument `state_arg` (or none when negative) as of argument
 * `now_arg`. The result stays in the returned model until its next
 * evaluation.
 */
static PgcModel *
evaluate(FunctionCallInfo fcinfo, int state_arg, int now_arg)
{
	CallSite   *site = call_site(fcinfo);
	PgcModel   *model = site_model(fcinfo, site);
	Jsonb	   *profile = PG_GETARG_JSONB_P(1);
	int64		now_us = now_argument(fcinfo, now_arg);
	const char *state = NULL;
	Size		state_len = 0;

	/* SQL NULL is no state, like null and {} (docs/state.md, "No state"). */
	if (state_arg >= 0 && !PG_ARGISNULL(state_arg))
	{
		Jsonb	   *st = PG_GETARG_JSONB_P(state_arg);

		if (!state_is_empty(st))
		{
			/* Compact JSON straight from the jsonb, or JsonbToCString's. */
			if (!jsonb_direct || !pgj_reader_usable() || !pgj_state_text(&site->state, st))
			{
				resetStringInfo(&site->state);
				JsonbToCString(&site->state, &st->root, VARSIZE(st));
			}
			state = site->state.data;
			state_len = site->state.len;
		}
	}

	/*
	 * The profile read in place, unless it is declined (it would be a
	 * record error): then its text, whose error message is the reference.
	 */
	if (jsonb_direct && pgj_reader_usable() && evaluate_tree(site, model, profile, state, state_len, now_us))
		return model;
	resetStringInfo(&site->profile);
	JsonbToCString(&site->profile, &profile->root, VARSIZE(profile));

	/*
	 * An interrupted evaluation has unwound and holds nothing: raise the
	 * interrupt now. When ProcessInterrupts had nothing to raise (a
	 * barrier, a notification), evaluate the record again.
	 */
	while (pgc_eval(model, site->profile.data, site->profile.len, state, state_len, now_us) ==
		   PGC_EVAL_INTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	return model;
}

/* The result of the last evaluate() on this call site as jsonb. */
static Datum
result_jsonb(FunctionCallInfo fcinfo, PgcModel *model)
{
	CallSite   *site = call_site(fcinfo);
	Size		len;
	const char *json = pgc_result_json(model, &len);
	PgjTree		tree;

	if (!jsonb_direct)
		return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
	/* The profile's nodes are not needed any more: their block holds the
	 * result's values now. */
	pgj_tree_init(&tree, site->tree_block);
	return pgj_result_jsonb(json, len, jsonb_check, &tree);
}

static Datum
result_json(PgcModel *model)
{
	Size		len;
	const char *json = pgc_result_json(model, &len);

	/* json keeps its text as given: the bytes libpersona wrote. */
	return PointerGetDatum(cstring_to_text_with_len(json, (int) len));
}

/* ---- the SQL functions -------------------------------------------------------------- */

PG_FUNCTION_INFO_V1(pgpersona_compile);
PG_FUNCTION_INFO_V1(pgpersona_eval);
PG_FUNCTION_INFO_V1(pgpersona_eval_state);
PG_FUNCTION_INFO_V1(pgpersona_eval_json);
PG_FUNCTION_INFO_V1(pgpersona_eval_json_state);
PG_FUNCTION_INFO_V1(pgpersona_tags);
PG_FUNCTION_INFO_V1(pgpersona_score);
PG_FUNCTION_INFO_V1(pgpersona_error);
PG_FUNCTION_INFO_V1(pgpersona_model_info);
PG_FUNCTION_INFO_V1(pgpersona_cache_stats);

/* persona.compile(source text) RETURNS bytea */
Datum
pgpersona_compile(PG_FUNCTION_ARGS)
{
	text	   *source = PG_GETARG_TEXT_PP(0);
	char	   *code = NULL,
			   *warnings = NULL,
			   *message = NULL,
			   *detail = NULL;
	size_t		code_len = 0;
	bytea	   *result;
	bool		interrupted;

	/*
	 * An interrupted compilation has unwound and holds nothing: raise the
	 * interrupt now (statement_timeout, pg_cancel_backend). When
	 * ProcessInterrupts had nothing to raise, compile again.
	 */
	while (!pgc_compile(VARDATA_ANY(source), VARSIZE_ANY_EXHDR(source), &code, &code_len, &warnings,
						&message, &detail, &interrupted))
	{
		char	   *msg,
				   *det;

		if (interrupted)
		{
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		msg = pstrdup(message);
		det = detail ? pstrdup(detail) : NULL;

		pgc_free(message);
		pgc_free(detail);
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("persona: %s", msg),
				 det ? errdetail("%s", det) : 0));
	}
	result = palloc(VARHDRSZ + code_len);
	SET_VARSIZE(result, VARHDRSZ + code_len);
	memcpy(VARDATA(result), code, code_len);
	pgc_free(code);
	if (warnings)
	{
		char	   *w = pstrdup(warnings);

		pgc_free(warnings);
		ereport(NOTICE, (errmsg("persona: the model compiles with warnings"), errdetail("%s", w)));
	}
	PG_RETURN_BYTEA_P(result);
}

/* persona.eval(model bytea, profile jsonb, now timestamptz) RETURNS jsonb */
Datum
pgpersona_eval(PG_FUNCTION_ARGS)
{
	return result_jsonb(fcinfo, evaluate(fcinfo, -1, 2));
}

/* persona.eval(model bytea, profile jsonb, state jsonb, now timestamptz) RETURNS jsonb */
Datum
pgpersona_eval_state(PG_FUNCTION_ARGS)
{
	/* CALLED ON NULL INPUT (0.2.0) for the state alone: NULL elsewhere is
	 * still a NULL result, as STRICT gives. */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	return result_jsonb(fcinfo, evaluate(fcinfo, 2, 3));
}

/* persona.eval_json(model bytea, profile jsonb, now timestamptz) RETURNS json */
Datum
pgpersona_eval_json(PG_FUNCTION_ARGS)
{
	return result_json(evaluate(fcinfo, -1, 2));
}

/* persona.eval_json(model bytea, profile jsonb, state jsonb, now timestamptz) RETURNS json */
Datum
pgpersona_eval_json_state(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	return result_json(evaluate(fcinfo, 2, 3));
}

/* persona.tags(model bytea, profile jsonb, now timestamptz) RETURNS text[];
 * NULL when the profile cannot be evaluated (persona.error says why). */
Datum
pgpersona_tags(PG_FUNCTION_ARGS)
{
	PgcModel   *model = evaluate(fcinfo, -1, 2);
	unsigned	n;
	Datum	   *items;

	if (pgc_result_error(model))
		PG_RETURN_NULL();
	n = pgc_result_n_tags(model);
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	items = palloc(sizeof(Datum) * n);
	for (unsigned i = 0; i < n; i++)
		items[i] = CStringGetTextDatum(pgc_result_tag(model, i));
	PG_RETURN_ARRAYTYPE_P(construct_array(items, (int) n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* persona.score(model bytea, profile jsonb, now timestamptz, name text) RETURNS float8;
 * NULL when the profile cannot be evaluated, an ERROR for a score the model
 * does not have. */
Datum
pgpersona_score(PG_FUNCTION_ARGS)
{
	PgcModel   *model = evaluate(fcinfo, -1, 2);
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(3));
	double		value;

	if (pgc_result_error(model))
		PG_RETURN_NULL();
	if (!pgc_result_score(model, name, &value))
	{
		char	   *names = pgc_model_score_names(model);
		char	   *copy = pstrdup(names);

		pgc_free(names);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("persona: the model has no score \"%s\"", name),
				 errhint("Its scores are: %s.", copy[0] ? copy : "(none)")));
	}
	PG_RETURN_FLOAT8(value);
}

/* persona.error(model bytea, profile jsonb, now timestamptz) RETURNS text:
 * why the profile cannot be evaluated, NULL when it can. */
Datum
pgpersona_error(PG_FUNCTION_ARGS)
{
	PgcModel   *model = evaluate(fcinfo, -1, 2);
	const char *error = pgc_result_error(model);

	if (!error)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(error));
}

/* persona.model_info(model bytea) RETURNS jsonb */
Datum
pgpersona_model_info(PG_FUNCTION_ARGS)
{
	CallSite   *site = call_site(fcinfo);
	PgcModel   *model = site_model(fcinfo, site);
	char	   *info = pgc_model_info_json(model);
	char	   *copy = pstrdup(info);

	pgc_free(info);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(copy));
}

/* persona.cache_stats() RETURNS TABLE(...): this backend's counters. */
Datum
pgpersona_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {0};
	PgcStats	s;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("persona.cache_stats must be called in a context that accepts a record")));
	desc = BlessTupleDesc(desc);
	pgc_stats(&s);
	values[0] = Int64GetDatum((int64) s.loads);
	values[1] = Int64GetDatum((int64) s.cache_hits);
	values[2] = Int64GetDatum((int64) site_hits);
	values[3] = Int64GetDatum((int64) s.evictions);
	values[4] = Int64GetDatum((int64) s.evaluations);
	values[5] = Int64GetDatum((int64) s.interrupts);
	values[6] = Int32GetDatum((int32) s.cached);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
