/* persona_jsonb.c - the PgcTreeReader over jsonb; see persona_jsonb.h.
 *
 * Objects are searched by key (getKeyJsonValueFromContainer: a binary
 * search, since jsonb keeps keys sorted), so libpersona visits only the
 * fields the model reads. Numbers are handed over as numeric_out spells
 * them, which is what JsonbToCString writes for them: the text decoder
 * would have seen the same digits.
 */
#include "persona_jsonb.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

static PgcNodeKind
jsonb_kind(void *ctx, const void *node)
{
	const JsonbValue *v = node;

	switch (v->type)
	{
		case jbvNull:
			return PGC_NODE_NULL;
		case jbvBool:
			return PGC_NODE_BOOL;
		case jbvNumeric:
			return PGC_NODE_NUMBER;
		case jbvString:
			return PGC_NODE_STRING;
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? PGC_NODE_OBJECT : PGC_NODE_ARRAY;
		default:
			return PGC_NODE_ARRAY;	/* jbvArray/jbvObject: never made here */
	}
}

static bool
jsonb_boolean(void *ctx, const void *node)
{
	return ((const JsonbValue *) node)->val.boolean;
}

static const char *
jsonb_text(void *ctx, const void *node, size_t *len)
{
	const JsonbValue *v = node;
	char	   *s;

	if (v->type == jbvString)
	{
		*len = (size_t) v->val.string.len;
		return v->val.string.val;
	}
	s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	*len = strlen(s);
	return s;
}

static unsigned
jsonb_length(void *ctx, const void *node)
{
	return JsonContainerSize(((const JsonbValue *) node)->val.binary.data);
}

static const void *
jsonb_element(void *ctx, const void *node, unsigned i)
{
	return getIthJsonbValueFromContainer(((const JsonbValue *) node)->val.binary.data, i);
}

static const void *
jsonb_member(void *ctx, const void *node, const char *key, size_t key_len)
{
	return getKeyJsonValueFromContainer(((const JsonbValue *) node)->val.binary.data, key,
										(uint32) key_len, NULL);
}

/*
 * The fewest bytes a container holding `n` levels of containers (itself
 * included) takes: each level a 4-byte header, and a 4-byte JEntry in the
 * level above. A smaller value cannot nest that deep, so most containers
 * are passed over by their size alone.
 */
static uint32
bytes_for_levels(uint32 n)
{
	return 8 * n - 4;
}

/*
 * Whether containers nest deeper than `levels` below and including c (at
 * `depth`, `len` bytes). Walks the JEntry arrays only, into the children
 * big enough to matter: a child container starts at its offset from the
 * end of the array, aligned as jsonb aligns it (fillJsonbValue in
 * PostgreSQL's jsonb_util.c).
 */
static bool
container_deeper(JsonbContainer *c, uint32 len, unsigned depth, unsigned levels)
{
	uint32		count,
				n,
				offset = 0;
	char	   *base;

	if (depth > levels)
		return true;
	if (len < bytes_for_levels(levels - depth + 2))
		return false;
	count = JsonContainerSize(c);
	n = JsonContainerIsObject(c) ? count * 2 : count;
	base = (char *) &c->children[n];
	for (uint32 i = 0; i < n; i++)
	{
		JEntry		e = c->children[i];
		uint32		end = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : offset + JBE_OFFLENFLD(e);

		if (JBE_ISCONTAINER(e) &&
			container_deeper((JsonbContainer *) (base + INTALIGN(offset)), end - INTALIGN(offset),
							 depth + 1, levels))
			return true;
		offset = end;
	}
	return false;
}

static bool
jsonb_deeper_than(void *ctx, const void *node, unsigned levels)
{
	const JsonbValue *v = node;

	return v->type == jbvBinary &&
		container_deeper(v->val.binary.data, (uint32) v->val.binary.len, 1, levels);
}

const PgcTreeReader pgj_reader = {
	jsonb_kind, jsonb_boolean, jsonb_text, jsonb_length, jsonb_element, jsonb_member,
	jsonb_deeper_than,
};

bool
pgj_reader_usable(void)
{
	return GetDatabaseEncoding() == PG_UTF8;
}

const void *
pgj_root(Jsonb *jb, JsonbValue *slot)
{
	slot->type = jbvBinary;
	slot->val.binary.data = &jb->root;
	slot->val.binary.len = VARSIZE(jb) - VARHDRSZ;
	return slot;
}

/* ---- results: jsonb built from libpersona's JSON ---------------------------------- */

/*
 * libpersona writes its results as compact, valid JSON in UTF-8. Reading
 * that text straight into pushJsonbValue skips what jsonb_in does for any
 * input (its lexer with semantic callbacks, a copy of every string): a
 * string without escapes is handed over in place (JsonbValueToJsonb copies
 * it into the result), an integer becomes a numeric without numeric_in.
 * Whatever this reader does not expect sends the text to jsonb_in instead,
 * so the result is always jsonb_in's.
 */
typedef struct
{
	const char *p,
			   *end;
	int			depth;
	JsonbValue *done;			/* what the last END pushed: at the end, the
								 * whole result */
} ResultText;

#define RESULT_MAX_DEPTH 64

static bool result_value(ResultText *t, JsonbParseState **st, JsonbIteratorToken as);

/* A string token at t->p ('"') into v: in place without escapes. */
static bool
result_string(ResultText *t, JsonbValue *v)
{
	const char *s = t->p + 1,
			   *q = s;
	char	   *buf,
			   *o;

	while (q < t->end && *q != '"' && *q != '\\')
		q++;
	if (q >= t->end)
		return false;
	v->type = jbvString;
	if (*q == '"')
	{
		v->val.string.val = (char *) s;
		v->val.string.len = (int) (q - s);
		t->p = q + 1;
		return true;
	}
	/* Escapes: decoded into a copy (never longer than the raw text). */
	buf = o = palloc(t->end - s + 1);
	for (q = s; q < t->end && *q != '"'; q++)
	{
		if (*q != '\\')
		{
			*o++ = *q;
			continue;
		}
		if (++q >= t->end)
			return false;
		switch (*q)
		{
			case '"': case '\\': case '/': *o++ = *q; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				return false;	/* control characters, U+2028: left to jsonb_in */
			default:
				return false;
		}
	}
	if (q >= t->end)
		return false;
	v->val.string.val = buf;
	v->val.string.len = (int) (o - buf);
	t->p = q + 1;
	return true;
}

/* A number token: a numeric as numeric_in makes it. */
static bool
result_number(ResultText *t, JsonbValue *v)
{
	const char *s = t->p,
			   *q = s;
	bool		integer = true;

	if (q < t->end && *q == '-')
		q++;
	while (q < t->end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
						  *q == '+' || *q == '-'))
	{
		integer &= *q >= '0' && *q <= '9';
		q++;
	}
	if (q == s)
		return false;
	v->type = jbvNumeric;
	if (integer && q - s <= 18 && !(q - s > 1 && s[0] == '0') && !(s[0] == '-' && (q - s == 1 || s[1] == '0')))
	{
		int64		n = 0;

		for (const char *d = s[0] == '-' ? s + 1 : s; d < q; d++)
			n = n * 10 + (*d - '0');
		v->val.numeric = int64_to_numeric(s[0] == '-' ? -n : n);
	}
	else
		v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
															 CStringGetDatum(pnstrdup(s, q - s)),
															 ObjectIdGetDatum(InvalidOid),
															 Int32GetDatum(-1)));
	t->p = q;
	return true;
}

static bool
result_literal(ResultText *t, const char *lit, JsonbValue *v)
{
	size_t		n = strlen(lit);

	if ((size_t) (t->end - t->p) < n || memcmp(t->p, lit, n) != 0)
		return false;
	t->p += n;
	if (lit[0] == 'n')
		v->type = jbvNull;
	else
	{
		v->type = jbvBool;
		v->val.boolean = lit[0] == 't';
	}
	return true;
}

/* An object or array at t->p, its members pushed between BEGIN and END. */
static bool
result_container(ResultText *t, JsonbParseState **st, JsonbIteratorToken as)
{
	bool		object = *t->p == '{';
	char		close = object ? '}' : ']';
	JsonbValue	key;

	if (++t->depth > RESULT_MAX_DEPTH)
		return false;
	pushJsonbValue(st, object ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY, NULL);
	t->p++;
	if (t->p < t->end && *t->p == close)
		t->p++;
	else
		for (;;)
		{
			if (object)
			{
				if (t->p >= t->end || *t->p != '"' || !result_string(t, &key))
					return false;
				if (t->p >= t->end || *t->p != ':')
					return false;
				t->p++;
				pushJsonbValue(st, WJB_KEY, &key);
			}
			if (!result_value(t, st, object ? WJB_VALUE : WJB_ELEM))
				return false;
			if (t->p < t->end && *t->p == ',')
			{
				t->p++;
				continue;
			}
			if (t->p < t->end && *t->p == close)
			{
				t->p++;
				break;
			}
			return false;
		}
	t->depth--;
	t->done = pushJsonbValue(st, object ? WJB_END_OBJECT : WJB_END_ARRAY, NULL);
	return true;
}

static bool
result_value(ResultText *t, JsonbParseState **st, JsonbIteratorToken as)
{
	JsonbValue	v;
	bool		ok;

	if (t->p >= t->end)
		return false;
	switch (*t->p)
	{
		case '{':
		case '[':
			return result_container(t, st, as);
		case '"':
			ok = result_string(t, &v);
			break;
		case 't':
			ok = result_literal(t, "true", &v);
			break;
		case 'f':
			ok = result_literal(t, "false", &v);
			break;
		case 'n':
			ok = result_literal(t, "null", &v);
			break;
		default:
			ok = result_number(t, &v);
			break;
	}
	if (ok)
		pushJsonbValue(st, as, &v);
	return ok;
}

Datum
pgj_result_jsonb(const char *json, size_t len)
{
	ResultText	t = {json, json + len, 0, NULL};
	JsonbParseState *st = NULL;

	if (len > 0 && json[0] == '{' && result_container(&t, &st, WJB_VALUE) && t.p == t.end && t.done)
		return JsonbPGetDatum(JsonbValueToJsonb(t.done));
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(json, len)));
}
