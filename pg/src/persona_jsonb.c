/* persona_jsonb.c - the PgcTreeReader over jsonb; see persona_jsonb.h.
 *
 * Objects are walked, each member once (persona_vm_eval_tree_walk: no
 * search per field); arrays are indexed. Numbers are handed over as
 * numeric_out spells them, which is what JsonbToCString writes for them:
 * the text decoder would have seen the same digits.
 */
#include "persona_jsonb.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

/*
 * A node: a jsonb value, and for an array the end offsets of its
 * elements, computed once when it is first indexed. jsonb stores a length
 * in most JEntrys and an offset only in every 32nd, so
 * getIthJsonbValueFromContainer sums lengths back to the last offset for
 * every probe; here each element's end is found once per array. Objects
 * are not searched at all: jsonb_members walks them once.
 */
typedef struct
{
	JsonbValue	v;				/* first: the reader's callbacks read nodes as
								 * JsonbValues */
	uint32	   *ends;			/* a container's children's end offsets, or
								 * NULL until needed */
	PgcNodeKind kind;			/* what jsonb_kind answers, set when the node
								 * is made: libpersona asks it twice of every
								 * node it reads */
} TreeNode;

/* `size` bytes from the tree's current block, or from a new one. A
 * profile's nodes are many and small, and all go at once: carving them
 * from blocks costs a fraction of a palloc each. */
static void *
tree_alloc(PgjTree *tree, size_t size)
{
	void	   *p;

	size = MAXALIGN(size);
	if ((size_t) (tree->end - tree->next) < size)
	{
		size_t		block = Max(size, PGJ_TREE_BLOCK);

		tree->next = palloc(block);
		tree->end = tree->next + block;
	}
	p = tree->next;
	tree->next += size;
	return p;
}


/* The end offsets of c's n children, from the start of its data area. */
static pg_noinline uint32 *
children_ends(PgjTree *tree, JsonbContainer *c, uint32 n)
{
	uint32	   *ends = tree_alloc(tree, (n ? n : 1) * sizeof(uint32));
	uint32		offset = 0;

	for (uint32 i = 0; i < n; i++)
	{
		JBE_ADVANCE_OFFSET(offset, c->children[i]);
		ends[i] = offset;
	}
	return ends;
}

static inline uint32 *
node_ends(PgjTree *tree, TreeNode *node)
{
	JsonbContainer *c = node->v.val.binary.data;

	if (!node->ends)
		node->ends = children_ends(tree, c, JsonContainerIsObject(c) ? JsonContainerSize(c) * 2
								   : JsonContainerSize(c));
	return node->ends;
}

/* The child with JEntry e whose data is base[offset, end) as `node`:
 * what fillJsonbValue (jsonb_util.c) makes. */
static void
fill_node(TreeNode *node, JEntry e, char *base, uint32 offset, uint32 end)
{
	JsonbValue *v = &node->v;

	node->ends = NULL;
	if (JBE_ISNULL(e))
	{
		v->type = jbvNull;
		node->kind = PGC_NODE_NULL;
	}
	else if (JBE_ISSTRING(e))
	{
		v->type = jbvString;
		node->kind = PGC_NODE_STRING;
		v->val.string.val = base + offset;
		v->val.string.len = (int) (end - offset);
	}
	else if (JBE_ISNUMERIC(e))
	{
		v->type = jbvNumeric;
		v->val.numeric = (Numeric) (base + INTALIGN(offset));
		node->kind = PGC_NODE_NUMBER;
	}
	else if (JBE_ISBOOL_TRUE(e) || JBE_ISBOOL_FALSE(e))
	{
		v->type = jbvBool;
		v->val.boolean = JBE_ISBOOL_TRUE(e);
		node->kind = PGC_NODE_BOOL;
	}
	else
	{
		v->type = jbvBinary;
		v->val.binary.data = (JsonbContainer *) (base + INTALIGN(offset));
		v->val.binary.len = (int) (end - INTALIGN(offset));
		node->kind = JsonContainerIsObject(v->val.binary.data) ? PGC_NODE_OBJECT : PGC_NODE_ARRAY;
	}
}

/* Child i of c (n children, their ends known) as a new node. */
static TreeNode *
child_node(PgjTree *tree, JsonbContainer *c, uint32 n, const uint32 *ends, uint32 i)
{
	TreeNode   *node = tree_alloc(tree, sizeof(TreeNode));

	fill_node(node, c->children[i], (char *) &c->children[n], i ? ends[i - 1] : 0, ends[i]);
	return node;
}

static PgcNodeKind
jsonb_kind(void *ctx, const void *node)
{
	return ((const TreeNode *) node)->kind;
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
	TreeNode	   *array = (TreeNode *) node;
	JsonbContainer *c = array->v.val.binary.data;
	uint32		n = JsonContainerSize(c);

	if (i >= n)
		return NULL;
	return child_node(ctx, c, n, node_ends(ctx, array), i);
}

/* jsonb's order of keys (lengthCompareJsonbStringValue): by length, then
 * by bytes. */
static int
key_order(const char *a, uint32 a_len, const char *b, uint32 b_len)
{
	if (a_len != b_len)
		return a_len < b_len ? -1 : 1;
	return memcmp(a, b, a_len);
}

/*
 * All members of an object in one pass (persona_vm_eval_tree_walk): the
 * keys come first in the JEntry array and the values after them, so two
 * cursors walk the offsets, and the nodes of all values are carved at
 * once. No ends array, no search: every key is looked at once.
 */
static bool
jsonb_members(void *ctx, const void *node, bool (*visit) (void *walk, const char *key, size_t len, const void *value),
			  void *walk)
{
	JsonbContainer *c = ((const TreeNode *) node)->v.val.binary.data;
	uint32		count = JsonContainerSize(c);
	char	   *base = (char *) &c->children[count * 2];
	TreeNode   *nodes;
	uint32		key_end = 0,
				value_end;

	if (count == 0)
		return true;
	nodes = tree_alloc(ctx, count * sizeof(TreeNode));
	value_end = getJsonbOffset(c, count);
	for (uint32 i = 0; i < count; i++)
	{
		uint32		key_start = key_end,
					value_start = value_end;

		JBE_ADVANCE_OFFSET(key_end, c->children[i]);
		JBE_ADVANCE_OFFSET(value_end, c->children[count + i]);
		fill_node(&nodes[i], c->children[count + i], base, value_start, value_end);
		if (!visit(walk, base + key_start, key_end - key_start, &nodes[i]))
			return false;
	}
	return true;
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

/* No `member`: libpersona walks each object (jsonb_members). */
const PgcTreeReader pgj_reader = {
	jsonb_kind, jsonb_boolean, jsonb_text, jsonb_length, jsonb_element, NULL,
	jsonb_deeper_than, jsonb_members,
};

bool
pgj_reader_usable(void)
{
	return GetDatabaseEncoding() == PG_UTF8;
}

const void *
pgj_root(PgjTree *tree, Jsonb *jb)
{
	TreeNode   *root = tree_alloc(tree, sizeof(TreeNode));

	root->ends = NULL;
	root->v.type = jbvBinary;
	root->v.val.binary.data = &jb->root;
	root->v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	root->kind = JsonContainerIsObject(&jb->root) ? PGC_NODE_OBJECT : PGC_NODE_ARRAY;
	return root;
}

/* ---- states: jsonb as compact JSON text ------------------------------------------- */

/*
 * libpersona reads a state only as JSON text. JsonbToCString spends
 * thousands of instructions on a state of a hundred bytes (an iterator
 * that copies every value out, a buffer call per token); this writes the
 * same JSON without the spaces, straight from the containers. Numbers are
 * spelled by numeric_out, as JsonbToCString spells them, and strings
 * escaped as escape_json escapes them, so the decoder sees the same
 * values. Its messages name fields, not places, except for nesting too
 * deep, which is reported at a byte offset: a state nested deeper than
 * STATE_MAX_DEPTH (real states have 4 levels) is left to JsonbToCString.
 */
#define STATE_MAX_DEPTH 32

static void
state_string(StringInfo out, const char *s, int len)
{
	const char *run = s;

	appendStringInfoCharMacro(out, '"');
	for (const char *p = s; p < s + len; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		appendBinaryStringInfo(out, run, (int) (p - run));
		run = p + 1;
		switch (c)
		{
			case '\b': appendStringInfoString(out, "\\b"); break;
			case '\f': appendStringInfoString(out, "\\f"); break;
			case '\n': appendStringInfoString(out, "\\n"); break;
			case '\r': appendStringInfoString(out, "\\r"); break;
			case '\t': appendStringInfoString(out, "\\t"); break;
			case '"': appendStringInfoString(out, "\\\""); break;
			case '\\': appendStringInfoString(out, "\\\\"); break;
			default: appendStringInfo(out, "\\u%04x", c); break;
		}
	}
	appendBinaryStringInfo(out, run, (int) (s + len - run));
	appendStringInfoCharMacro(out, '"');
}

static bool state_container(StringInfo out, JsonbContainer *c, int depth);

/* Child i of c (n children, ends from children_ends) as JSON. */
static bool
state_child(StringInfo out, JsonbContainer *c, uint32 n, const uint32 *ends, uint32 i, int depth)
{
	JEntry		e = c->children[i];
	char	   *base = (char *) &c->children[n];
	uint32		offset = i ? ends[i - 1] : 0;

	if (JBE_ISNULL(e))
		appendStringInfoString(out, "null");
	else if (JBE_ISSTRING(e))
		state_string(out, base + offset, (int) (ends[i] - offset));
	else if (JBE_ISNUMERIC(e))
		appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out,
																		 PointerGetDatum(base + INTALIGN(offset)))));
	else if (JBE_ISBOOL_TRUE(e))
		appendStringInfoString(out, "true");
	else if (JBE_ISBOOL_FALSE(e))
		appendStringInfoString(out, "false");
	else
		return state_container(out, (JsonbContainer *) (base + INTALIGN(offset)), depth + 1);
	return true;
}

static bool
state_container(StringInfo out, JsonbContainer *c, int depth)
{
	bool		object = JsonContainerIsObject(c);
	uint32		count = JsonContainerSize(c),
				n = object ? 2 * count : count,
				offset = 0;
	uint32		stack[64],
			   *ends = n <= lengthof(stack) ? stack : palloc(n * sizeof(uint32));

	if (depth > STATE_MAX_DEPTH)
		return false;
	for (uint32 i = 0; i < n; i++)
	{
		JBE_ADVANCE_OFFSET(offset, c->children[i]);
		ends[i] = offset;
	}
	appendStringInfoCharMacro(out, object ? '{' : '[');
	for (uint32 i = 0; i < count; i++)
	{
		if (i)
			appendStringInfoCharMacro(out, ',');
		if (object)
		{
			if (!state_child(out, c, n, ends, i, depth))
				return false;
			appendStringInfoCharMacro(out, ':');
		}
		if (!state_child(out, c, n, ends, object ? count + i : i, depth))
			return false;
	}
	appendStringInfoCharMacro(out, object ? '}' : ']');
	return true;
}

bool
pgj_state_text(StringInfo out, Jsonb *state)
{
	resetStringInfo(out);
	if (!JB_ROOT_IS_OBJECT(state) || !state_container(out, &state->root, 1))
	{
		resetStringInfo(out);
		return false;
	}
	return true;
}

/* ---- results: jsonb built from libpersona's JSON ---------------------------------- */

/*
 * libpersona writes its results as compact, valid JSON in UTF-8. This
 * reads that text into a tree of JsonbValues - objects with their pairs
 * sorted as jsonb sorts them, arrays - and lays the tree out as the jsonb
 * datum at once (pgj_layout: JsonbValueToJsonb's bytes, faster). That
 * skips what jsonb_in does for any input (its lexer with semantic
 * callbacks, a copy of every string, pushJsonbValue's parse state and its
 * sort of every object's keys with qsort): a string without escapes is
 * handed over in place (the datum gets a copy), a number of at most 18
 * digits becomes a numeric without numeric_in. Whatever this reader does
 * not expect (an escape it does not decode, an exponent, a duplicate key,
 * too deep) sends the text to jsonb_in instead, so the result is always
 * jsonb_in's.
 */
typedef struct
{
	const char *p,
			   *end;
	int			depth;
	PgjTree    *tree;			/* where the JsonbValues go */
} ResultText;

#define RESULT_MAX_DEPTH 64

/* The most decimal digits that always fit an int64. */
#define RESULT_MAX_DIGITS 18

static bool result_value(ResultText *t, JsonbValue *v);

/* A string token at t->p ('"') into v: in place without escapes. */
static bool
result_string(ResultText *t, JsonbValue *v)
{
	const char *s = t->p + 1,
			   *q = memchr(s, '"', t->end - s),
			   *esc;
	char	   *buf,
			   *o;

	if (!q)
		return false;
	esc = memchr(s, '\\', q - s);
	v->type = jbvString;
	if (!esc)
	{
		if (q - s > JENTRY_OFFLENMASK)
			return false;		/* too long for jsonb: jsonb_in says so */
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
	if (q >= t->end || o - buf > JENTRY_OFFLENMASK)
		return false;
	v->val.string.val = buf;
	v->val.string.len = (int) (o - buf);
	t->p = q + 1;
	return true;
}

/*
 * A number token: a numeric as numeric_in makes it. Plain decimals of at
 * most 18 digits ("-12", "0.5", "14.025011564383542") are read as an
 * integer and a count of decimals (int64_div_fast_to_numeric: the same
 * digits, weight and display scale as numeric_in); anything else (an
 * exponent, more digits, "-0", a leading zero) through numeric_in itself.
 */
static bool
result_number(ResultText *t, JsonbValue *v)
{
	const char *s = t->p,
			   *q = s,
			   *digits;
	bool		plain = true;
	int			n_digits = 0,
				decimals = -1;	/* digits after the point, -1 without one */
	int64		n = 0;

	if (q < t->end && *q == '-')
		q++;
	digits = q;
	for (; q < t->end; q++)
	{
		if (*q >= '0' && *q <= '9')
		{
			n = n * 10 + (*q - '0');
			if (++n_digits > RESULT_MAX_DIGITS)
				plain = false;
			if (decimals >= 0)
				decimals++;
		}
		else if (*q == '.' && decimals < 0 && n_digits > 0)
			decimals = 0;
		else if (*q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-')
			plain = false;
		else
			break;
	}
	if (q == s)
		return false;
	/* A leading zero is only the zero before a point; -0 keeps its sign
	 * in numeric_in's hands. */
	if (n_digits == 0 || decimals == 0 || (digits[0] == '0' && n_digits > 1 && digits[1] != '.') ||
		(s[0] == '-' && n == 0))
		plain = false;
	v->type = jbvNumeric;
	if (plain)
		v->val.numeric = decimals > 0 ? int64_div_fast_to_numeric(s[0] == '-' ? -n : n, decimals)
			: int64_to_numeric(s[0] == '-' ? -n : n);
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

/* jsonb's order of keys (lengthCompareJsonbStringValue). */
static int
pair_order(const void *a, const void *b)
{
	const JsonbValue *x = &((const JsonbPair *) a)->key,
			   *y = &((const JsonbPair *) b)->key;

	return key_order(x->val.string.val, (uint32) x->val.string.len, y->val.string.val,
					 (uint32) y->val.string.len);
}

/*
 * The pairs in jsonb's order (libpersona writes them in the model's
 * order). False on a duplicate key, which jsonb_in resolves (the last one
 * wins) and this reader does not.
 */
static bool
sort_pairs(JsonbPair *pairs, int n)
{
	if (n <= 16)
	{
		/* Insertion sort: result objects are small. */
		for (int i = 1; i < n; i++)
		{
			JsonbPair	x = pairs[i];
			int			j = i;

			while (j > 0 && pair_order(&pairs[j - 1], &x) > 0)
			{
				pairs[j] = pairs[j - 1];
				j--;
			}
			pairs[j] = x;
		}
	}
	else
		qsort(pairs, n, sizeof(JsonbPair), pair_order);
	for (int i = 1; i < n; i++)
		if (pair_order(&pairs[i - 1], &pairs[i]) == 0)
			return false;
	return true;
}

/* A growing array of `size`-byte items, in the tree's blocks. */
static void *
grow(PgjTree *tree, void *items, int n, int *cap, size_t size)
{
	void	   *more;

	if (n < *cap)
		return items;
	*cap = *cap ? *cap * 2 : 8;
	more = tree_alloc(tree, *cap * size);
	if (n)
		memcpy(more, items, n * size);
	return more;
}

/* An object or array at t->p into v (jbvObject, jbvArray). */
static bool
result_container(ResultText *t, JsonbValue *v)
{
	bool		object = *t->p == '{';
	char		close = object ? '}' : ']';
	JsonbPair  *pairs = NULL;
	JsonbValue *elems = NULL;
	int			n = 0,
				cap = 0;

	if (++t->depth > RESULT_MAX_DEPTH)
		return false;
	t->p++;
	if (t->p < t->end && *t->p == close)
		t->p++;
	else
		for (;;)
		{
			if (object)
			{
				JsonbPair  *pair;

				pairs = grow(t->tree, pairs, n, &cap, sizeof(JsonbPair));
				pair = &pairs[n];
				if (t->p >= t->end || *t->p != '"' || !result_string(t, &pair->key))
					return false;
				if (t->p >= t->end || *t->p != ':')
					return false;
				t->p++;
				if (!result_value(t, &pair->value))
					return false;
				pair->order = (uint32) n++;
			}
			else
			{
				elems = grow(t->tree, elems, n, &cap, sizeof(JsonbValue));
				if (!result_value(t, &elems[n]))
					return false;
				n++;
			}
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
	if (object)
	{
		if (!sort_pairs(pairs, n))
			return false;
		v->type = jbvObject;
		v->val.object.nPairs = n;
		v->val.object.pairs = pairs;
	}
	else
	{
		v->type = jbvArray;
		v->val.array.nElems = n;
		v->val.array.elems = elems;
		v->val.array.rawScalar = false;
	}
	return true;
}

static bool
result_value(ResultText *t, JsonbValue *v)
{
	if (t->p >= t->end)
		return false;
	switch (*t->p)
	{
		case '{':
		case '[':
			return result_container(t, v);
		case '"':
			return result_string(t, v);
		case 't':
			return result_literal(t, "true", v);
		case 'f':
			return result_literal(t, "false", v);
		case 'n':
			return result_literal(t, "null", v);
		default:
			return result_number(t, v);
	}
}

/* The layout of pgj_layout against PostgreSQL's own. */
static void
check_layout(const Jsonb *ours, JsonbValue *root)
{
	Jsonb	   *theirs = JsonbValueToJsonb(root);

	uint32		n = Min(VARSIZE(ours), VARSIZE(theirs)),
				at = 0;

	while (at < n && ((const char *) ours)[at] == ((const char *) theirs)[at])
		at++;
	if (VARSIZE(ours) != VARSIZE(theirs) || at < n)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("persona: the jsonb result laid out by persona differs from JsonbValueToJsonb's"),
				 errdetail("%u and %u bytes, the first difference at byte %u.", VARSIZE(ours),
						   VARSIZE(theirs), at)));
	pfree(theirs);
}

Datum
pgj_result_jsonb(const char *json, size_t len, bool check, PgjTree *tree)
{
	ResultText	t = {json, json + len, 0, tree};
	JsonbValue	root;
	Jsonb	   *jb;

	/* The datum is about as long as the text: a hint that saves most
	 * enlargements. */
	if (len > 0 && json[0] == '{' && result_container(&t, &root) && t.p == t.end &&
		(jb = pgj_layout(&root, len + len / 2 + 64)) != NULL)
	{
		if (check)
			check_layout(jb, &root);
		return JsonbPGetDatum(jb);
	}
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(pnstrdup(json, len)));
}
