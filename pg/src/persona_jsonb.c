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
 * Whether containers nest deeper than `levels` below and including c (at
 * `depth`). Walks the JEntry arrays only: a child container starts at its
 * offset from the end of the array, aligned as jsonb aligns it
 * (fillJsonbValue in PostgreSQL's jsonb_util.c).
 */
static bool
container_deeper(JsonbContainer *c, unsigned depth, unsigned levels)
{
	uint32		count,
				n,
				offset = 0;
	char	   *base;

	if (depth > levels)
		return true;
	count = JsonContainerSize(c);
	n = JsonContainerIsObject(c) ? count * 2 : count;
	base = (char *) &c->children[n];
	for (uint32 i = 0; i < n; i++)
	{
		JEntry		e = c->children[i];
		uint32		end = JBE_HAS_OFF(e) ? JBE_OFFLENFLD(e) : offset + JBE_OFFLENFLD(e);

		if (JBE_ISCONTAINER(e) &&
			container_deeper((JsonbContainer *) (base + INTALIGN(offset)), depth + 1, levels))
			return true;
		offset = end;
	}
	return false;
}

static bool
jsonb_deeper_than(void *ctx, const void *node, unsigned levels)
{
	const JsonbValue *v = node;

	return v->type == jbvBinary && container_deeper(v->val.binary.data, 1, levels);
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
