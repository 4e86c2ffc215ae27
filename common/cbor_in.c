/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cbor_in.c — bounded decoding of untrusted CBOR (see cbor_in.h).
 *
 * Three passes over the input:
 *   1. validate(): walk every head with libcbor's allocation-free
 *      cbor_stream_decode() and an explicit, fixed-size frame stack;
 *      enforce the size, depth, item-count, length-fits-the-input,
 *      single-item, UTF-8 and indefinite-length rules (RFC 8949 §3, §5.3)
 *      before a single byte is allocated;
 *   2. cbor_load() builds the tree from input now known to be well formed
 *      and small;
 *   3. normalise indefinite-length strings into definite ones and reject
 *      duplicate map keys (RFC 8949 §5.6) on the tree.
 *
 * libcbor 0.8 quirks handled here (../shared/notes/platform.md Q7, and the
 * 0.8.0 streaming.c source):
 *   - the streaming decoder (and so cbor_load) rejects the one-byte heads of
 *     tags 6..20 (0xc6..0xd4) as errors, although COSE needs 16, 17 and 18
 *     (COSE_Encrypt0/Mac0/Sign1, RFC 9052 §2).  validate() accepts them and,
 *     when one occurs, produces a copy of the input in which each is
 *     rewritten as the equivalent two-byte head 0xd8 NN for cbor_load();
 *   - it rejects every unassigned simple value (0xe0..0xf3, 0xf8 NN).  No
 *     KDC message uses them and the 0.8 loader cannot represent them, so
 *     they are reported as KDC_CBOR_E_MALFORMED (false/true/null/undefined
 *     and floats are accepted);
 *   - cbor_load() leaves res.error.position / res.read uninitialised on
 *     empty input: empty input never reaches it.
 */
#include "cbor_in.h"

#include "cbor_out.h"

#include <assert.h>
#include <cbor/streaming.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DEF_MAX_SIZE  ((size_t)64 * 1024)
#define DEF_MAX_DEPTH 16u
#define DEF_MAX_ITEMS ((size_t)4096)
/* libcbor 0.8's builder stack holds at most CBOR_MAX_STACK_SIZE (2048)
 * frames; stay well below it (one frame per container/tag, plus one for an
 * indefinite string). */
#define HARD_MAX_DEPTH 1024u

const char *
kdc_cbor_strerror(int err)
{
	switch (err) {
	case KDC_CBOR_OK:
		return "ok";
	case KDC_CBOR_E_EMPTY:
		return "empty input";
	case KDC_CBOR_E_TOO_BIG:
		return "input too large";
	case KDC_CBOR_E_TRUNCATED:
		return "truncated input";
	case KDC_CBOR_E_MALFORMED:
		return "malformed CBOR";
	case KDC_CBOR_E_TRAILING:
		return "trailing bytes after the data item";
	case KDC_CBOR_E_DEPTH:
		return "nesting too deep";
	case KDC_CBOR_E_DUPKEY:
		return "duplicate map key";
	case KDC_CBOR_E_TOO_MANY:
		return "too many data items";
	case KDC_CBOR_E_NOMEM:
		return "out of memory";
	default:
		return "unknown CBOR error";
	}
}

/* ---- pass 1: validation with the streaming decoder ---------------------- */

enum ev {
	EV_NONE,
	EV_SCALAR, /* int, float, false/true/null/undefined */
	EV_BSTR,   /* definite byte string */
	EV_TSTR,   /* definite text string */
	EV_BSTR_INDEF,
	EV_TSTR_INDEF,
	EV_ARRAY,
	EV_ARRAY_INDEF,
	EV_MAP,
	EV_MAP_INDEF,
	EV_TAG,
	EV_BREAK,
};

struct ev_ctx {
	enum ev ev;
	uint64_t n; /* element/pair count of EV_ARRAY / EV_MAP */
	const uint8_t *p;
	size_t len; /* string content of EV_BSTR / EV_TSTR */
};

static void
ev_int8(void *c, uint8_t v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_int16(void *c, uint16_t v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_int32(void *c, uint32_t v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_int64(void *c, uint64_t v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_float(void *c, float v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_double(void *c, double v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_simple(void *c)
{
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_bool(void *c, bool v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_SCALAR;
}

static void
ev_bstr(void *c, cbor_data p, size_t len)
{
	struct ev_ctx *e = c;

	e->ev = EV_BSTR;
	e->p = p;
	e->len = len;
}

static void
ev_tstr(void *c, cbor_data p, size_t len)
{
	struct ev_ctx *e = c;

	e->ev = EV_TSTR;
	e->p = p;
	e->len = len;
}

static void
ev_bstr_indef(void *c)
{
	((struct ev_ctx *)c)->ev = EV_BSTR_INDEF;
}

static void
ev_tstr_indef(void *c)
{
	((struct ev_ctx *)c)->ev = EV_TSTR_INDEF;
}

static void
ev_array(void *c, size_t n)
{
	struct ev_ctx *e = c;

	e->ev = EV_ARRAY;
	e->n = n;
}

static void
ev_array_indef(void *c)
{
	((struct ev_ctx *)c)->ev = EV_ARRAY_INDEF;
}

static void
ev_map(void *c, size_t n)
{
	struct ev_ctx *e = c;

	e->ev = EV_MAP;
	e->n = n;
}

static void
ev_map_indef(void *c)
{
	((struct ev_ctx *)c)->ev = EV_MAP_INDEF;
}

static void
ev_tag(void *c, uint64_t v)
{
	(void)v;
	((struct ev_ctx *)c)->ev = EV_TAG;
}

static void
ev_break(void *c)
{
	((struct ev_ctx *)c)->ev = EV_BREAK;
}

static struct cbor_callbacks
validator_callbacks(void)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;

	/* The field comments in libcbor 0.8's callbacks.h are swapped;
	 * streaming.c calls byte_string/string for definite strings and
	 * byte_string_start/string_start for indefinite ones. */
	cb.uint8 = ev_int8;
	cb.uint16 = ev_int16;
	cb.uint32 = ev_int32;
	cb.uint64 = ev_int64;
	cb.negint8 = ev_int8;
	cb.negint16 = ev_int16;
	cb.negint32 = ev_int32;
	cb.negint64 = ev_int64;
	cb.byte_string = ev_bstr;
	cb.byte_string_start = ev_bstr_indef;
	cb.string = ev_tstr;
	cb.string_start = ev_tstr_indef;
	cb.array_start = ev_array;
	cb.indef_array_start = ev_array_indef;
	cb.map_start = ev_map;
	cb.indef_map_start = ev_map_indef;
	cb.tag = ev_tag;
	cb.float2 = ev_float;
	cb.float4 = ev_float;
	cb.float8 = ev_double;
	cb.undefined = ev_simple;
	cb.null = ev_simple;
	cb.boolean = ev_bool;
	cb.indef_break = ev_break;
	return cb;
}

/* Well-formed UTF-8 (RFC 3629 §4): no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
static bool
utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t need, k;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (k = 1; k <= need; k++) {
			uint8_t b = s[i + k];

			if ((b & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (b & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

enum frame_kind { FR_ARRAY, FR_MAP, FR_TAG, FR_BSTR, FR_TSTR };

struct frame {
	uint8_t kind;
	bool indef;
	/* definite array/map: data items still expected (maps count keys and
	 * values); indefinite map: parity of the items seen; tag: unused. */
	uint64_t left;
};

struct vstate {
	struct frame st[HARD_MAX_DEPTH + 1];
	unsigned sp;    /* frames in use */
	unsigned depth; /* containers and tags open (indefinite strings do
	                   not count: they can only hold flat chunks) */
	size_t items;
};

/* The item that just ended completes its enclosing frames; true when the
 * top-level item is complete. */
static bool
complete_item(struct vstate *v)
{
	while (v->sp > 0) {
		struct frame *f = &v->st[v->sp - 1];

		if (f->kind == FR_BSTR || f->kind == FR_TSTR)
			return false; /* a chunk; the string ends at a break */
		if (f->kind != FR_TAG) {
			if (f->indef) {
				f->left ^= 1;
				return false;
			}
			if (--f->left > 0)
				return false;
		}
		v->sp--;
		v->depth--;
	}
	return true;
}

static int
push(struct vstate *v, const struct kdc_cbor_limits *l, uint8_t kind,
     bool indef, uint64_t left)
{
	bool counts = kind != FR_BSTR && kind != FR_TSTR;

	if (counts && v->depth + 1 > l->max_depth)
		return KDC_CBOR_E_DEPTH;
	/* sp <= depth + 1 <= HARD_MAX_DEPTH + 1 always holds; keep the guard
	 * for the array bound anyway. */
	if (v->sp >= sizeof(v->st) / sizeof(v->st[0]))
		return KDC_CBOR_E_DEPTH;
	v->st[v->sp].kind = kind;
	v->st[v->sp].indef = indef;
	v->st[v->sp].left = left;
	v->sp++;
	if (counts)
		v->depth++;
	return KDC_CBOR_OK;
}

/* Copy of the input for cbor_load() with every one-byte head of tags 6..20
 * widened to 0xd8 NN (see the top of this file). */
struct xcode {
	uint8_t *buf; /* NULL until the first such head */
	size_t len;
};

static int
xcode_append(struct xcode *x, const uint8_t *in, size_t in_len, size_t pos,
             const uint8_t *p, size_t n)
{
	if (x->buf == NULL) {
		/* Each byte grows by at most one: 2 * in_len bounds it. */
		if (in_len > SIZE_MAX / 2)
			return KDC_CBOR_E_NOMEM;
		x->buf = malloc(2 * in_len);
		if (x->buf == NULL)
			return KDC_CBOR_E_NOMEM;
		memcpy(x->buf, in, pos);
		x->len = pos;
	}
	memcpy(x->buf + x->len, p, n);
	x->len += n;
	return KDC_CBOR_OK;
}

static int
validate(const uint8_t *buf, size_t len, const struct kdc_cbor_limits *l,
         struct xcode *x)
{
	const struct cbor_callbacks cb = validator_callbacks();
	/* ~16 KiB of frames on the stack: nothing is allocated before the
	 * input is known to be sane. */
	struct vstate vs;
	struct vstate *v = &vs;
	struct ev_ctx e;
	size_t pos = 0;
	int rc = KDC_CBOR_E_TRUNCATED;

	v->sp = 0;
	v->depth = 0;
	v->items = 0;

	while (pos < len) {
		size_t remain, read;
		struct frame *top = v->sp ? &v->st[v->sp - 1] : NULL;
		uint8_t ib = buf[pos];
		bool done = false;

		memset(&e, 0, sizeof(e));
		if (ib >= 0xc6 && ib <= 0xd4) {
			/* Tags 6..20, refused by libcbor 0.8. */
			static const uint8_t d8 = 0xd8;
			uint8_t tagno = (uint8_t)(ib - 0xc0);

			e.ev = EV_TAG;
			read = 1;
			if ((rc = xcode_append(x, buf, len, pos, &d8, 1)) ||
			    (rc = xcode_append(x, buf, len, pos, &tagno, 1)))
				goto out;
		} else {
			struct cbor_decoder_result r = cbor_stream_decode(
			        buf + pos, len - pos, &cb, &e);

			if (r.status == CBOR_DECODER_NEDATA) {
				rc = KDC_CBOR_E_TRUNCATED;
				goto out;
			}
			if (r.status != CBOR_DECODER_FINISHED ||
			    e.ev == EV_NONE || r.read == 0 ||
			    r.read > len - pos) {
				rc = KDC_CBOR_E_MALFORMED;
				goto out;
			}
			read = r.read;
			if (x->buf != NULL &&
			    (rc = xcode_append(x, buf, len, pos, buf + pos,
			                       read)))
				goto out;
		}
		remain = len - pos - read;
		pos += read;

		if (e.ev == EV_BREAK) {
			/* RFC 8949 §3.2.1: a break only closes an indefinite
			 * container, and a map needs an even item count. */
			if (top == NULL || !top->indef ||
			    (top->kind == FR_MAP && top->left != 0)) {
				rc = KDC_CBOR_E_MALFORMED;
				goto out;
			}
			if (top->kind != FR_BSTR && top->kind != FR_TSTR)
				v->depth--;
			v->sp--;
			done = complete_item(v);
			goto next;
		}
		/* RFC 8949 §3.2.3: chunks of an indefinite string are definite
		 * strings of the same major type. */
		if (top != NULL &&
		    ((top->kind == FR_BSTR && e.ev != EV_BSTR) ||
		     (top->kind == FR_TSTR && e.ev != EV_TSTR))) {
			rc = KDC_CBOR_E_MALFORMED;
			goto out;
		}
		if (++v->items > l->max_items) {
			rc = KDC_CBOR_E_TOO_MANY;
			goto out;
		}
		switch (e.ev) {
		case EV_TSTR:
			if (!utf8_valid(e.p, e.len)) {
				rc = KDC_CBOR_E_MALFORMED;
				goto out;
			}
			done = complete_item(v);
			break;
		case EV_SCALAR:
		case EV_BSTR:
			done = complete_item(v);
			break;
		case EV_BSTR_INDEF:
		case EV_TSTR_INDEF:
			rc = push(v, l,
			          e.ev == EV_BSTR_INDEF ? FR_BSTR : FR_TSTR,
			          true, 0);
			if (rc)
				goto out;
			break;
		case EV_ARRAY:
		case EV_MAP: {
			/* Every element takes at least one byte: a count that
			 * does not fit in what remains is a truncation (and
			 * the 6-byte allocation bomb of platform.md Q7). */
			bool map = e.ev == EV_MAP;
			uint64_t cap = map ? remain / 2 : remain;
			uint64_t n = map ? e.n * 2 : e.n;

			if (e.n > cap) {
				rc = KDC_CBOR_E_TRUNCATED;
				goto out;
			}
			if (n > l->max_items - v->items) {
				rc = KDC_CBOR_E_TOO_MANY;
				goto out;
			}
			if (v->depth + 1 > l->max_depth) {
				rc = KDC_CBOR_E_DEPTH;
				goto out;
			}
			if (n == 0) {
				done = complete_item(v);
				break;
			}
			rc = push(v, l, map ? FR_MAP : FR_ARRAY, false, n);
			if (rc)
				goto out;
			break;
		}
		case EV_ARRAY_INDEF:
		case EV_MAP_INDEF:
			rc = push(v, l,
			          e.ev == EV_MAP_INDEF ? FR_MAP : FR_ARRAY,
			          true, 0);
			if (rc)
				goto out;
			break;
		case EV_TAG:
			rc = push(v, l, FR_TAG, false, 1);
			if (rc)
				goto out;
			break;
		default:
			rc = KDC_CBOR_E_MALFORMED;
			goto out;
		}
	next:
		if (done) {
			rc = pos == len ? KDC_CBOR_OK : KDC_CBOR_E_TRAILING;
			goto out;
		}
	}
	rc = KDC_CBOR_E_TRUNCATED;
out:
	return rc;
}

/* ---- pass 3: normalisation and duplicate keys --------------------------- */

/* A definite copy of the indefinite string s (refcount 1), or NULL. */
static cbor_item_t *
join_string(const cbor_item_t *s)
{
	bool text = cbor_isa_string(s);
	size_t nch = text ? cbor_string_chunk_count(s)
	                  : cbor_bytestring_chunk_count(s);
	cbor_item_t **ch = text ? cbor_string_chunks_handle(s)
	                        : cbor_bytestring_chunks_handle(s);
	size_t total = 0, off = 0, i;
	uint8_t *data;
	cbor_item_t *r;

	for (i = 0; i < nch; i++)
		total += text ? cbor_string_length(ch[i])
		              : cbor_bytestring_length(ch[i]);
	data = malloc(total ? total : 1);
	if (data == NULL)
		return NULL;
	for (i = 0; i < nch; i++) {
		size_t n = text ? cbor_string_length(ch[i])
		                : cbor_bytestring_length(ch[i]);
		const uint8_t *p = text ? cbor_string_handle(ch[i])
		                        : cbor_bytestring_handle(ch[i]);

		if (n > 0)
			memcpy(data + off, p, n);
		off += n;
	}
	r = text ? cbor_new_definite_string() : cbor_new_definite_bytestring();
	if (r == NULL) {
		free(data);
		return NULL;
	}
	/* The item takes ownership of data (freed by cbor_decref). */
	if (text)
		cbor_string_set_handle(r, data, total);
	else
		cbor_bytestring_set_handle(r, data, total);
	return r; // NOLINT(clang-analyzer-unix.Malloc): r owns data
}

static bool
is_indef_string(const cbor_item_t *it)
{
	return (cbor_isa_bytestring(it) && cbor_bytestring_is_indefinite(it)) ||
	       (cbor_isa_string(it) && cbor_string_is_indefinite(it));
}

/*
 * Replace every indefinite string below item; *repl receives a definite
 * replacement (refcount 1) when item itself is one.  Recursion is bounded
 * by the validated depth.
 */
static int
normalise(cbor_item_t *item, cbor_item_t **repl)
{
	size_t i, n;
	cbor_item_t *r;
	int rc;

	*repl = NULL;
	if (is_indef_string(item)) {
		*repl = join_string(item);
		return *repl ? KDC_CBOR_OK : KDC_CBOR_E_NOMEM;
	}
	switch (cbor_typeof(item)) {
	case CBOR_TYPE_ARRAY: {
		cbor_item_t **h = cbor_array_handle(item);

		n = cbor_array_size(item);
		for (i = 0; i < n; i++) {
			if ((rc = normalise(h[i], &r)) != KDC_CBOR_OK)
				return rc;
			if (r != NULL) {
				/* replace: decref old, incref r */
				cbor_array_replace(item, i, r);
				cbor_decref(&r);
			}
		}
		break;
	}
	case CBOR_TYPE_MAP: {
		struct cbor_pair *pr = cbor_map_handle(item);

		n = cbor_map_size(item);
		for (i = 0; i < n; i++) {
			if ((rc = normalise(pr[i].key, &r)) != KDC_CBOR_OK)
				return rc;
			if (r != NULL) {
				cbor_decref(&pr[i].key);
				pr[i].key = r; /* our reference moves in */
			}
			if ((rc = normalise(pr[i].value, &r)) != KDC_CBOR_OK)
				return rc;
			if (r != NULL) {
				cbor_decref(&pr[i].value);
				pr[i].value = r;
			}
		}
		break;
	}
	case CBOR_TYPE_TAG: {
		/* Borrow the content through the (public) field and swap it in
		 * place: cbor_tag_item() increfs, and cbor_tag_set_item() does
		 * not release the old item in 0.8 but does in later versions.
		 */
		cbor_item_t *old = item->metadata.tag_metadata.tagged_item;

		if (old == NULL)
			return KDC_CBOR_OK;
		if ((rc = normalise(old, &r)) != KDC_CBOR_OK)
			return rc;
		if (r != NULL) {
			item->metadata.tag_metadata.tagged_item = r; /* ours */
			cbor_decref(&old); /* the tag's reference */
		}
		break;
	}
	default:
		break;
	}
	return KDC_CBOR_OK;
}

enum key_class { K_UINT, K_NEGINT, K_BSTR, K_TSTR, K_OTHER };

struct key {
	enum key_class cls;
	uint64_t v;       /* K_UINT, K_NEGINT */
	const uint8_t *p; /* content of strings / serialisation of K_OTHER */
	size_t off, n;    /* off: K_OTHER offset into the serialisation */
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->cls == K_UINT || x->cls == K_NEGINT)
		return x->v < y->v ? -1 : x->v > y->v;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	if (x->n == 0)
		return 0;
	return memcmp(x->p, y->p, x->n);
}

/* Keys of one map: ints by value, strings by content, anything else by its
 * deterministic serialisation (kdc_cw_item); sorted, then neighbours
 * compared.  RFC 8949 §5.6. */
static int
map_has_dup(const cbor_item_t *map)
{
	size_t n = cbor_map_size(map), i;
	struct cbor_pair *pr = cbor_map_handle(map);
	struct key *k;
	struct kdc_cw other;
	int rc = KDC_CBOR_OK;

	if (n < 2)
		return KDC_CBOR_OK;
	k = calloc(n, sizeof(*k));
	if (k == NULL)
		return KDC_CBOR_E_NOMEM;
	kdc_cw_init(&other);
	for (i = 0; i < n; i++) {
		const cbor_item_t *key = pr[i].key;

		if (cbor_isa_uint(key)) {
			k[i].cls = K_UINT;
			k[i].v = cbor_get_int(key);
		} else if (cbor_isa_negint(key)) {
			k[i].cls = K_NEGINT;
			k[i].v = cbor_get_int(key);
		} else if (cbor_isa_bytestring(key) &&
		           cbor_bytestring_is_definite(key)) {
			k[i].cls = K_BSTR;
			k[i].p = cbor_bytestring_handle(key);
			k[i].n = cbor_bytestring_length(key);
		} else if (cbor_isa_string(key) &&
		           cbor_string_is_definite(key)) {
			k[i].cls = K_TSTR;
			k[i].p = cbor_string_handle(key);
			k[i].n = cbor_string_length(key);
		} else {
			k[i].cls = K_OTHER;
			k[i].off = other.len;
			kdc_cw_item(&other, key);
			k[i].n = other.len - k[i].off;
		}
	}
	if (!kdc_cw_ok(&other)) {
		rc = KDC_CBOR_E_NOMEM;
		goto out;
	}
	/* The serialisation buffer does not move any more. */
	for (i = 0; i < n; i++)
		if (k[i].cls == K_OTHER)
			k[i].p = other.buf + k[i].off;
	qsort(k, n, sizeof(*k), key_cmp);
	for (i = 1; i < n; i++) {
		if (key_cmp(&k[i - 1], &k[i]) == 0) {
			rc = KDC_CBOR_E_DUPKEY;
			break;
		}
	}
out:
	kdc_cw_free(&other);
	free(k);
	return rc;
}

static int
check_dupkeys(const cbor_item_t *item)
{
	size_t i, n;
	int rc;

	switch (cbor_typeof(item)) {
	case CBOR_TYPE_ARRAY: {
		cbor_item_t **h = cbor_array_handle(item);

		n = cbor_array_size(item);
		for (i = 0; i < n; i++)
			if ((rc = check_dupkeys(h[i])) != KDC_CBOR_OK)
				return rc;
		return KDC_CBOR_OK;
	}
	case CBOR_TYPE_MAP: {
		struct cbor_pair *pr = cbor_map_handle(item);

		if ((rc = map_has_dup(item)) != KDC_CBOR_OK)
			return rc;
		n = cbor_map_size(item);
		for (i = 0; i < n; i++) {
			if ((rc = check_dupkeys(pr[i].key)) != KDC_CBOR_OK ||
			    (rc = check_dupkeys(pr[i].value)) != KDC_CBOR_OK)
				return rc;
		}
		return KDC_CBOR_OK;
	}
	case CBOR_TYPE_TAG: {
		const cbor_item_t *c = item->metadata.tag_metadata.tagged_item;

		return c ? check_dupkeys(c) : KDC_CBOR_OK;
	}
	default:
		return KDC_CBOR_OK;
	}
}

int
kdc_cbor_decode(const uint8_t *buf, size_t len,
                const struct kdc_cbor_limits *limits, cbor_item_t **out)
{
	struct kdc_cbor_limits l = {DEF_MAX_SIZE, DEF_MAX_DEPTH, DEF_MAX_ITEMS};
	struct xcode x = {NULL, 0};
	struct cbor_load_result res;
	cbor_item_t *item, *r;
	int rc;

	if (out == NULL)
		return KDC_CBOR_E_MALFORMED;
	*out = NULL;
	if (len == 0)
		return KDC_CBOR_E_EMPTY;
	if (buf == NULL)
		return KDC_CBOR_E_MALFORMED;
	if (limits != NULL) {
		if (limits->max_size)
			l.max_size = limits->max_size;
		if (limits->max_depth)
			l.max_depth = limits->max_depth;
		if (limits->max_items)
			l.max_items = limits->max_items;
	}
	if (l.max_depth > HARD_MAX_DEPTH)
		l.max_depth = HARD_MAX_DEPTH;
	if (len > l.max_size)
		return KDC_CBOR_E_TOO_BIG;

	rc = validate(buf, len, &l, &x);
	if (rc != KDC_CBOR_OK)
		goto out;

	memset(&res, 0, sizeof(res));
	if (x.buf != NULL)
		item = cbor_load(x.buf, x.len, &res);
	else
		item = cbor_load(buf, len, &res);
	if (item == NULL) {
		/* Only an allocation failure can stop cbor_load() on input
		 * that validate() accepted; debug and fuzz builds check that
		 * the two agree. */
		assert(res.error.code == CBOR_ERR_MEMERROR);
		rc = res.error.code == CBOR_ERR_MEMERROR ? KDC_CBOR_E_NOMEM
		                                         : KDC_CBOR_E_MALFORMED;
		goto out;
	}
	if (res.read != (x.buf ? x.len : len)) {
		/* Cannot happen after validate(); never trust it anyway. */
		assert(!"cbor_load() stopped early on validated input");
		cbor_decref(&item);
		rc = KDC_CBOR_E_MALFORMED;
		goto out;
	}
	rc = normalise(item, &r);
	if (rc == KDC_CBOR_OK && r != NULL) {
		cbor_decref(&item);
		item = r;
	}
	if (rc == KDC_CBOR_OK)
		rc = check_dupkeys(item);
	if (rc != KDC_CBOR_OK) {
		cbor_decref(&item);
		goto out;
	}
	*out = item;
out:
	if (x.buf != NULL) {
		/* The input may carry keys (IPC, Join Responses). */
		sodium_memzero(x.buf, x.len);
		free(x.buf);
	}
	return rc;
}

/* ---- accessors ---------------------------------------------------------- */

cbor_item_t *
kdc_cbor_map_get(const cbor_item_t *map, int64_t label)
{
	struct cbor_pair *pr;
	size_t i, n;
	bool neg = label < 0;
	/* negint n encodes -1 - n (RFC 8949 §3.1); no overflow for INT64_MIN */
	uint64_t want = neg ? (uint64_t)(-1 - label) : (uint64_t)label;

	if (map == NULL || !cbor_isa_map(map))
		return NULL;
	pr = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++) {
		const cbor_item_t *k = pr[i].key;

		if (k == NULL)
			continue;
		if ((neg ? cbor_isa_negint(k) : cbor_isa_uint(k)) &&
		    cbor_get_int(k) == want)
			return pr[i].value;
	}
	return NULL;
}

cbor_item_t *
kdc_cbor_map_get_str(const cbor_item_t *map, const char *key)
{
	struct cbor_pair *pr;
	size_t i, n, klen;

	if (map == NULL || key == NULL || !cbor_isa_map(map))
		return NULL;
	klen = strlen(key);
	pr = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (i = 0; i < n; i++) {
		const cbor_item_t *k = pr[i].key;

		if (k != NULL && cbor_isa_string(k) &&
		    cbor_string_is_definite(k) &&
		    cbor_string_length(k) == klen &&
		    (klen == 0 ||
		     memcmp(cbor_string_handle(k), key, klen) == 0))
			return pr[i].value;
	}
	return NULL;
}

bool
kdc_cbor_get_int(const cbor_item_t *item, int64_t *out)
{
	uint64_t v;

	if (item == NULL || out == NULL || !cbor_is_int(item))
		return false;
	v = cbor_get_int(item);
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = cbor_isa_uint(item) ? (int64_t)v : -1 - (int64_t)v;
	return true;
}

bool
kdc_cbor_get_uint(const cbor_item_t *item, uint64_t *out)
{
	if (item == NULL || out == NULL || !cbor_isa_uint(item))
		return false;
	*out = cbor_get_int(item);
	return true;
}

static const uint8_t empty_string[1];

bool
kdc_cbor_get_bstr(const cbor_item_t *item, const uint8_t **p, size_t *n)
{
	if (item == NULL || p == NULL || n == NULL ||
	    !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item))
		return false;
	*n = cbor_bytestring_length(item);
	*p = cbor_bytestring_handle(item);
	if (*p == NULL)
		*p = empty_string;
	return true;
}

bool
kdc_cbor_get_tstr(const cbor_item_t *item, const char **p, size_t *n)
{
	if (item == NULL || p == NULL || n == NULL || !cbor_isa_string(item) ||
	    !cbor_string_is_definite(item))
		return false;
	*n = cbor_string_length(item);
	*p = (const char *)cbor_string_handle(item);
	if (*p == NULL)
		*p = (const char *)empty_string;
	return true;
}

/* Simple value of a major-type-7 item that is not a float, or -1.  (libcbor
 * 0.8's cbor_ctrl_value()/cbor_is_bool() assert on floats.) */
static int
simple_value(const cbor_item_t *item)
{
	if (item == NULL || !cbor_isa_float_ctrl(item) ||
	    cbor_float_get_width(item) != CBOR_FLOAT_0)
		return -1;
	return cbor_ctrl_value(item);
}

bool
kdc_cbor_get_bool(const cbor_item_t *item, bool *out)
{
	int sv = simple_value(item);

	if (out == NULL || (sv != CBOR_CTRL_FALSE && sv != CBOR_CTRL_TRUE))
		return false;
	*out = sv == CBOR_CTRL_TRUE;
	return true;
}

bool
kdc_cbor_is_null(const cbor_item_t *item)
{
	return simple_value(item) == CBOR_CTRL_NULL;
}

size_t
kdc_cbor_array_len(const cbor_item_t *item)
{
	if (item == NULL || !cbor_isa_array(item))
		return 0;
	return cbor_array_size(item);
}

cbor_item_t *
kdc_cbor_array_at(const cbor_item_t *item, size_t i)
{
	if (item == NULL || !cbor_isa_array(item) || i >= cbor_array_size(item))
		return NULL;
	/* cbor_array_get() would incref; the handle is borrowed. */
	return cbor_array_handle(item)[i];
}

bool
kdc_cbor_get_numericdate(const cbor_item_t *item, int64_t *out)
{
	double d;

	if (item == NULL || out == NULL)
		return false;
	if (cbor_is_int(item))
		return kdc_cbor_get_int(item, out);
	/* RFC 8392 §2: NumericDate without tag 1; floats allowed (A.7). */
	if (!cbor_isa_float_ctrl(item) ||
	    cbor_float_get_width(item) == CBOR_FLOAT_0)
		return false;
	d = cbor_float_get_float(item);
	/* In [-2^63, 2^63) (both bounds are exact doubles; NaN fails too) the
	 * conversion truncates toward zero (C11 6.3.1.4). */
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return false;
	*out = (int64_t)d;
	return true;
}

bool
kdc_cbor_get_tag(const cbor_item_t *item, uint64_t *tag, cbor_item_t **content)
{
	cbor_item_t *c;

	if (item == NULL || !cbor_isa_tag(item))
		return false;
	/* Read the field: cbor_tag_item() would incref. */
	c = item->metadata.tag_metadata.tagged_item;
	if (c == NULL)
		return false;
	if (tag != NULL)
		*tag = cbor_tag_value(item);
	if (content != NULL)
		*content = c;
	return true;
}
