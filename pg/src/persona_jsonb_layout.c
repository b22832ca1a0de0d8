/* persona_jsonb_layout.c - a tree of JsonbValues laid out as a jsonb datum;
 * see persona_jsonb.h (pgj_layout).
 *
 * This is what JsonbValueToJsonb does for an object (convertToJsonb and
 * its helpers in PostgreSQL's jsonb_util.c), byte for byte, without their
 * per-value costs: an enlargeStringInfo and a memcpy call for every
 * header, JEntry and scalar, and a stack-depth check for every value. The
 * layout (PostgreSQL 15, utils/jsonb.h):
 *
 *   container = uint32 header (count | JB_FOBJECT or JB_FARRAY),
 *               a JEntry per child (an object's keys first, then its
 *               values), then the children's data in the same order;
 *   JEntry    = type bits | the child's length, or for every 32nd child
 *               (JB_OFFSET_STRIDE) the end offset of its data instead;
 *   numerics and containers start 4-byte aligned (the padding counts as
 *               part of the child's data).
 *
 * The regression tests hold the two to the same bytes (persona.jsonb_check
 * builds every result both ways and compares).
 */
#include "persona_jsonb.h"

#include "utils/memutils.h"

typedef struct
{
	char	   *data;			/* the datum, its varlena header first */
	uint32		len,
				cap;
} Layout;

static void
layout_grow(Layout *out, uint32 need)
{
	uint32		cap = out->cap;

	while (cap - out->len < need)
		cap *= 2;
	out->data = repalloc(out->data, cap);
	out->cap = cap;
}

/* n bytes at the end of the datum; their offset (the data may move). */
static inline uint32
layout_reserve(Layout *out, uint32 n)
{
	uint32		at = out->len;

	if (out->cap - out->len < n)
		layout_grow(out, n);
	out->len += n;
	return at;
}

static inline void
layout_append(Layout *out, const void *p, uint32 n)
{
	uint32		at = layout_reserve(out, n);

	memcpy(out->data + at, p, n);
}

/* padBufferToInt: zeros up to a 4-byte boundary; how many. */
static inline uint32
layout_pad(Layout *out)
{
	uint32		pad = INTALIGN(out->len) - out->len;

	if (pad)
	{
		/* Reserve first: out->data moves when the datum grows. */
		uint32		at = layout_reserve(out, pad);

		memset(out->data + at, 0, pad);
	}
	return pad;
}

static bool layout_value(Layout *out, const JsonbValue *v, JEntry *header);

/* convertJsonbScalar. */
static void
layout_scalar(Layout *out, const JsonbValue *v, JEntry *header)
{
	switch (v->type)
	{
		case jbvNull:
			*header = JENTRY_ISNULL;
			break;
		case jbvString:
			layout_append(out, v->val.string.val, (uint32) v->val.string.len);
			*header = JENTRY_ISSTRING | (uint32) v->val.string.len;
			break;
		case jbvNumeric:
			{
				uint32		len = VARSIZE_ANY(v->val.numeric);
				uint32		pad = layout_pad(out);

				layout_append(out, v->val.numeric, len);
				*header = JENTRY_ISNUMERIC | (pad + len);
				break;
			}
		case jbvBool:
			*header = v->val.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
			break;
		default:
			pg_unreachable();
	}
}

/*
 * Child `i` of a container has been laid out with JEntry `meta`: its
 * JEntry at `jentries` (an offset), with the end offset instead of the
 * length for every JB_OFFSET_STRIDE'th child. False when the data has
 * grown past what a JEntry can hold (jsonb_in reports that).
 */
static inline bool
layout_jentry(Layout *out, uint32 jentries, uint32 i, JEntry meta, uint32 *total)
{
	*total += JBE_OFFLENFLD(meta);
	if (*total > JENTRY_OFFLENMASK)
		return false;
	if (i % JB_OFFSET_STRIDE == 0)
		meta = (meta & JENTRY_TYPEMASK) | *total | JENTRY_HAS_OFF;
	memcpy(out->data + jentries + i * sizeof(JEntry), &meta, sizeof(JEntry));
	return true;
}

/* convertJsonbArray and convertJsonbObject. */
static bool
layout_container(Layout *out, const JsonbValue *v, JEntry *header)
{
	bool		object = v->type == jbvObject;
	uint32		n = object ? (uint32) v->val.object.nPairs : (uint32) v->val.array.nElems;
	uint32		start = out->len,
				head = n | (object ? JB_FOBJECT : JB_FARRAY),
				jentries,
				total = 0;
	JEntry		meta;

	layout_pad(out);
	layout_append(out, &head, sizeof(head));
	jentries = layout_reserve(out, (object ? 2 * n : n) * sizeof(JEntry));
	if (object)
	{
		const JsonbPair *pairs = v->val.object.pairs;

		for (uint32 i = 0; i < n; i++)
		{
			layout_scalar(out, &pairs[i].key, &meta);
			if (!layout_jentry(out, jentries, i, meta, &total))
				return false;
		}
		for (uint32 i = 0; i < n; i++)
			if (!layout_value(out, &pairs[i].value, &meta) ||
				!layout_jentry(out, jentries, n + i, meta, &total))
				return false;
	}
	else
		for (uint32 i = 0; i < n; i++)
			if (!layout_value(out, &v->val.array.elems[i], &meta) ||
				!layout_jentry(out, jentries, i, meta, &total))
				return false;
	total = out->len - start;
	if (total > JENTRY_OFFLENMASK)
		return false;
	*header = JENTRY_ISCONTAINER | total;
	return true;
}

static bool
layout_value(Layout *out, const JsonbValue *v, JEntry *header)
{
	if (v->type == jbvObject || v->type == jbvArray)
		return layout_container(out, v, header);
	layout_scalar(out, v, header);
	return true;
}

Jsonb *
pgj_layout(const JsonbValue *root, size_t size_hint)
{
	Layout		out;
	JEntry		header;

	Assert(root->type == jbvObject || root->type == jbvArray);
	out.cap = (uint32) Min(Max(size_hint, 64), MaxAllocSize / 2);
	out.data = palloc(out.cap);
	out.len = VARHDRSZ;
	if (!layout_container(&out, root, &header))
	{
		pfree(out.data);
		return NULL;
	}
	SET_VARSIZE(out.data, out.len);
	return (Jsonb *) out.data;
}
