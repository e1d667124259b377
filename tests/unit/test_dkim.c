/*
 * test_dkim.c - DKIM (protocols/dkim.c): RFC 6376 3.4.5's canonicalization
 * example byte for byte, the empty-body rules, the tag-list's parse errors
 * and folding, RFC 8463 Appendix A's ed25519 example (its key, message,
 * bh= and b=), an RSA round trip with a generated key, oversigned From, and
 * the two failures a reader meets: a changed body, a changed header.
 */
#include "dkim.h"
#include "test.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "mime.h"

#include <time.h>

static const char *canon_h(enum dkim_canon c, const char *field)
{
	static struct buf out;
	buf_free(&out);
	buf_init(&out);
	dkim_canon_header(&out, c, field, strlen(field), true);
	return out.p;
}

static const char *canon_b(enum dkim_canon c, const char *body)
{
	static struct buf out;
	buf_free(&out);
	buf_init(&out);
	dkim_canon_body(&out, c, body, strlen(body));
	return out.p ? out.p : "";
}

/* RFC 6376 3.4.5, exactly. */
static void test_rfc6376_example(void)
{
	const char *a = "A: X\r\n", *b = "B : Y\t\r\n\tZ  \r\n";
	const char *body = " C \r\nD \t E\r\n\r\n\r\n";
	CHECK_STR(canon_h(DKIM_RELAXED, a), "a:X\r\n");
	CHECK_STR(canon_h(DKIM_RELAXED, b), "b:Y Z\r\n");
	CHECK_STR(canon_b(DKIM_RELAXED, body), " C\r\nD E\r\n");
	CHECK_STR(canon_h(DKIM_SIMPLE, a), "A: X\r\n");
	CHECK_STR(canon_h(DKIM_SIMPLE, b), "B : Y\t\r\n\tZ  \r\n");
	CHECK_STR(canon_b(DKIM_SIMPLE, body), " C \r\nD \t E\r\n");
}

static void test_body_edges(void)
{
	/* 3.4.3: an empty body is CRLF under simple; 3.4.4: empty under relaxed. */
	CHECK_STR(canon_b(DKIM_SIMPLE, ""), "\r\n");
	CHECK_STR(canon_b(DKIM_RELAXED, ""), "");
	CHECK_STR(canon_b(DKIM_SIMPLE, "\r\n\r\n"), "\r\n");
	CHECK_STR(canon_b(DKIM_RELAXED, " \r\n\t\r\n"), "");
	/* A missing final CRLF is added; inner empty lines stay. */
	CHECK_STR(canon_b(DKIM_SIMPLE, "a\r\n\r\nb"), "a\r\n\r\nb\r\n");
	CHECK_STR(canon_b(DKIM_RELAXED, "a  \r\n \r\nb\r\n\r\n"), "a\r\n\r\nb\r\n");
	/* Relaxed keeps a line's leading space (one) but simple keeps all. */
	CHECK_STR(canon_b(DKIM_SIMPLE, "  x  \r\n"), "  x  \r\n");
	CHECK_STR(canon_h(DKIM_RELAXED, "SUBJECT:\t  Hi   there \r\n"), "subject:Hi there\r\n");
}

static void test_sig_parse(void)
{
	struct dkim_sig s;
	dkim_sig_init(&s);
	const char *err = NULL;
	const char *ok = " v=1; a=rsa-sha256; c=relaxed/simple; d=example.net; s=sel;\r\n"
			 " t=10; x=20; l=5; h=From : To:from; q=dns/txt;\r\n"
			 " bh=47DEQpj8HBSa+/TImW+5JxeuQeRkm5NMpJWZG3hSuFU=; b=AAAA";
	CHECK_INT(dkim_sig_parse(&s, ok, strlen(ok), &err), 0);
	CHECK_INT(s.alg, DKIM_RSA_SHA256);
	CHECK_INT(s.hcanon, DKIM_RELAXED);
	CHECK_INT(s.bcanon, DKIM_SIMPLE);
	CHECK_STR(s.d, "example.net");
	CHECK_STR(s.s, "sel");
	CHECK_INT(s.nh, 3);
	CHECK_STR(s.h[1], "To");
	CHECK_STR(s.h[2], "from");
	CHECK_INT(s.t, 10);
	CHECK_INT(s.x, 20);
	CHECK_INT(s.l, 5);
	CHECK_INT(s.b.len, 3);
	static const struct {
		const char *v, *err;
	} bad[] = {
		{ "v=2; a=rsa-sha256; b=AAAA; bh=47DEQpj8HBSa+/TImW+5JxeuQeRkm5NMpJWZG3hSuFU=; d=x; "
		  "h=from; s=y",
		  "unsupported signature version (v= must be 1)" },
		{ "v=1; a=rsa-sha1; b=AAAA; bh=47DEQpj8HBSa+/TImW+5JxeuQeRkm5NMpJWZG3hSuFU=; d=x; "
		  "h=from; s=y",
		  "unknown signing algorithm in a=" },
		{ "v=1; a=rsa-sha256; b=AAAA; d=x; h=from; s=y",
		  "a required tag is missing (v, a, b, bh, d, h, s)" },
		{ "v=1; a=rsa-sha256; b=AAAA; bh=47DEQpj8HBSa+/TImW+5JxeuQeRkm5NMpJWZG3hSuFU=; d=x; "
		  "h=to; s=y",
		  "h= does not include From" },
		{ "v=1; v=1; a=rsa-sha256", "a tag appears twice in the signature" },
		{ "v=1; a=rsa-sha256; bh=AAAA", "bh= is not a base64 SHA-256 hash" },
		{ "v=1; c=fancy", "unknown canonicalization in c=" },
		{ "v=1; t=soon", "t=, x= or l= is not a number" },
		{ "v=1; junk", "a tag without '=' in the signature" },
		{ "v=1; h=from::to", "h= is not a list of header names" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		CHECK_INT(dkim_sig_parse(&s, bad[i].v, strlen(bad[i].v), &err), -1);
		CHECK_STR(err, bad[i].err);
	}
	dkim_sig_free(&s);
}

/* RFC 8463 Appendix A: the ed25519 key, the message, its bh= and b=. */
static const char rfc8463_msg[] =
	"DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
	" d=football.example.com; i=@football.example.com;\r\n"
	" q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
	" subject : date : message-id : from : subject : date;\r\n"
	" bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
	" b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
	" Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>\r\n"
	"Subject: Is dinner ready?\r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"\r\n"
	"Hi.\r\n"
	"\r\n"
	"We lost the game.  Are you hungry yet?\r\n"
	"\r\n"
	"Joe.\r\n";
static const char rfc8463_txt[] =
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/* A signature to sign with: a=, c= (both halves), d=, s=, h=. */
static void sig_setup(struct dkim_sig *s, enum dkim_alg alg, enum dkim_canon c, const char *d,
		      const char *sel, const char *const *names, int n)
{
	dkim_sig_init(s);
	s->alg = alg;
	s->hcanon = s->bcanon = c;
	strcpy(s->d, d);
	strcpy(s->s, sel);
	for (int i = 0; i < n; i++)
		strcpy(s->h[s->nh++], names[i]);
}

static EVP_PKEY *rfc8463_private(void)
{
	struct buf seed;
	buf_init(&seed);
	CHECK_INT(mime_base64_decode(&seed, "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=", 44), 0);
	CHECK_INT(seed.len, DKIM_ED25519_SEED);
	EVP_PKEY *k = dkim_key_from_ed25519_seed((const unsigned char *)seed.p);
	buf_free(&seed);
	return k;
}

static void test_rfc8463_vector(void)
{
	const char *err = NULL, *reason = "unset";
	EVP_PKEY *pub = dkim_key_parse(rfc8463_txt, &err);
	CHECK(pub != NULL);
	CHECK_INT(dkim_verify(rfc8463_msg, strlen(rfc8463_msg), pub, &reason), DKIM_PASS);
	CHECK(reason == NULL);

	/* The key from the seed gives the record's p= back. */
	EVP_PKEY *priv = rfc8463_private();
	struct buf txt;
	buf_init(&txt);
	CHECK_INT(dkim_key_txt(&txt, priv), 0);
	CHECK_STR(txt.p, rfc8463_txt);

	/* Signing the message again with the same tags but i= and q= gives
	 * the same bh= and a b= that verifies. */
	const char *plain = strstr(rfc8463_msg, "From: Joe");
	struct dkim_sig s;
	const char *names[] = { "from", "to", "subject", "date", "message-id", "from", "subject",
				"date" };
	sig_setup(&s, DKIM_ED25519_SHA256, DKIM_RELAXED, "football.example.com", "brisbane",
		  names, 8);
	s.t = 1528637909;
	struct buf out;
	buf_init(&out);
	CHECK_INT(dkim_sign(&out, &s, priv, plain, strlen(plain), &err), 0);
	struct buf b64;
	buf_init(&b64);
	mime_base64_encode(&b64, s.bh, sizeof s.bh);
	CHECK_STR(b64.p, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	/* Our field has no i= and q=, so its b= differs; it verifies. */
	buf_adds(&out, plain);
	reason = "unset";
	CHECK_INT(dkim_verify(out.p, out.len, pub, &reason), DKIM_PASS);
	buf_free(&b64);
	buf_free(&out);
	buf_free(&txt);
	dkim_sig_free(&s);
	dkim_key_free(priv);
	dkim_key_free(pub);
}

static EVP_PKEY *small_rsa(void)
{
	EVP_PKEY *gen = EVP_RSA_gen(1024);
	CHECK(gen != NULL);
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, gen, NULL, NULL, 0, NULL, NULL);
	char *pem;
	long n = BIO_get_mem_data(bio, &pem);
	char *copy = strndup(pem, (size_t)n);
	EVP_PKEY *k = dkim_key_from_pem(copy);
	free(copy);
	BIO_free(bio);
	EVP_PKEY_free(gen);
	return k;
}

static const char plain_msg[] = "From: ana@example.org\r\n"
				"To: bob@example.net\r\n"
				"Subject: lunch\r\n"
				"\r\n"
				"See you at noon.\r\n";

/* Signs plain_msg, returns the whole signed message (caller frees). */
static char *signed_msg(EVP_PKEY *key, enum dkim_alg alg, enum dkim_canon c)
{
	struct dkim_sig s;
	const char *names[] = { "from", "to", "subject", "from" }; /* From oversigned */
	sig_setup(&s, alg, c, "example.org", "sel1", names, 4);
	struct buf out;
	buf_init(&out);
	const char *err = NULL;
	CHECK_INT(dkim_sign(&out, &s, key, plain_msg, strlen(plain_msg), &err), 0);
	buf_adds(&out, plain_msg);
	dkim_sig_free(&s);
	return buf_steal(&out);
}

static void check_round_trip(EVP_PKEY *key, enum dkim_alg alg, enum dkim_canon c)
{
	struct buf txt;
	buf_init(&txt);
	CHECK_INT(dkim_key_txt(&txt, key), 0);
	const char *err = NULL, *reason = NULL;
	EVP_PKEY *pub = dkim_key_parse(txt.p, &err);
	CHECK(pub != NULL);
	char *m = signed_msg(key, alg, c);
	/* Folded as a signer would: no line past the width. */
	for (const char *p = m, *nl; (nl = strstr(p, "\r\n")); p = nl + 2)
		CHECK(nl - p <= DKIM_FOLD_WIDTH);
	CHECK_INT(dkim_verify(m, strlen(m), pub, &reason), DKIM_PASS);

	/* A changed body: the body hash fails first. */
	char *t = strdup(m);
	*strstr(t, "noon") = 'N';
	CHECK_INT(dkim_verify(t, strlen(t), pub, &reason), DKIM_FAIL);
	CHECK_STR(reason, "body hash did not verify");
	free(t);

	/* A changed header: the signature fails. */
	t = strdup(m);
	*strstr(t, "lunch") = 'p';
	CHECK_INT(dkim_verify(t, strlen(t), pub, &reason), DKIM_FAIL);
	CHECK_STR(reason, "signature did not verify");
	free(t);

	/* A second From added after signing breaks the oversigned From. */
	size_t n = strlen(m);
	t = malloc(n + 64);
	const char *body = strstr(m, "\r\n\r\n") + 2;
	size_t head = (size_t)(body - m);
	memcpy(t, m, head);
	strcpy(t + head, "From: mallory@example.com\r\n");
	strcat(t, body);
	CHECK_INT(dkim_verify(t, strlen(t), pub, &reason), DKIM_FAIL);
	CHECK_STR(reason, "signature did not verify");
	free(t);

	/* No key. */
	CHECK_INT(dkim_verify(m, strlen(m), NULL, &reason), DKIM_PERMERROR);
	CHECK_STR(reason, "no key");
	free(m);
	buf_free(&txt);
	dkim_key_free(pub);
}

static void test_rsa_round_trip(void)
{
	EVP_PKEY *k = small_rsa();
	CHECK(k != NULL);
	check_round_trip(k, DKIM_RSA_SHA256, DKIM_RELAXED);
	check_round_trip(k, DKIM_RSA_SHA256, DKIM_SIMPLE);
	/* The wrong kind of key for a=. */
	struct buf txt;
	buf_init(&txt);
	EVP_PKEY *ed = rfc8463_private();
	dkim_key_txt(&txt, ed);
	const char *err = NULL, *reason = NULL;
	EVP_PKEY *edpub = dkim_key_parse(txt.p, &err);
	char *m = signed_msg(k, DKIM_RSA_SHA256, DKIM_RELAXED);
	CHECK_INT(dkim_verify(m, strlen(m), edpub, &reason), DKIM_PERMERROR);
	CHECK_STR(reason, "the key's type does not match a=");
	free(m);
	buf_free(&txt);
	dkim_key_free(edpub);
	dkim_key_free(ed);
	dkim_key_free(k);
}

static void test_ed25519_round_trip(void)
{
	EVP_PKEY *k = rfc8463_private();
	check_round_trip(k, DKIM_ED25519_SHA256, DKIM_RELAXED);
	check_round_trip(k, DKIM_ED25519_SHA256, DKIM_SIMPLE);
	dkim_key_free(k);
}

static void test_key_records(void)
{
	const char *err = NULL;
	CHECK(dkim_key_parse("v=DKIM1; k=rsa; p=", &err) == NULL);
	CHECK_STR(err, "the key has been revoked (empty p=)");
	CHECK(dkim_key_parse("v=DKIM2; p=AAAA", &err) == NULL);
	CHECK_STR(err, "the key record's v= is not DKIM1");
	CHECK(dkim_key_parse("v=DKIM1; k=dsa; p=AAAA", &err) == NULL);
	CHECK_STR(err, "unknown key type in k=");
	CHECK(dkim_key_parse("v=DKIM1; k=ed25519; p=AAAA", &err) == NULL);
	CHECK_STR(err, "the key record's p= is not a valid public key");
	CHECK(dkim_key_parse("v=DKIM1; k=rsa", &err) == NULL);
	CHECK_STR(err, "the key record has no p=");
	const char *reason = NULL;
	CHECK_INT(dkim_verify(plain_msg, strlen(plain_msg), NULL, &reason), DKIM_NONE);
	CHECK_STR(dkim_result_word(DKIM_PERMERROR), "permerror");
	CHECK_STR(dkim_result_word(DKIM_PASS), "pass");
}

/* dkim_key_rsa_from_seed: the same seed gives the same key, another seed
 * another; the key signs and its TXT record's key verifies. */
static void test_rsa_from_seed(void)
{
	const unsigned char seed[] = "mailsim seed 1 gmail.com sel1";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EVP_PKEY *a = dkim_key_rsa_from_seed(seed, sizeof seed, 2048);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EVP_PKEY *b = dkim_key_rsa_from_seed(seed, sizeof seed, 2048);
	EVP_PKEY *c = dkim_key_rsa_from_seed(seed, sizeof seed - 2, 1024);
	CHECK(a && b && c);
	if (!a || !b || !c)
		return;
	CHECK_INT(EVP_PKEY_get_bits(a), 2048);
	CHECK_INT(EVP_PKEY_get_bits(c), 1024);
	struct buf ta, tb, tc;
	buf_init(&ta);
	buf_init(&tb);
	buf_init(&tc);
	CHECK_INT(dkim_key_txt(&ta, a), 0);
	CHECK_INT(dkim_key_txt(&tb, b), 0);
	CHECK_INT(dkim_key_txt(&tc, c), 0);
	CHECK_STR(ta.p, tb.p);
	CHECK(strcmp(ta.p, tc.p) != 0);
	check_round_trip(a, DKIM_RSA_SHA256, DKIM_RELAXED);
	check_round_trip(c, DKIM_RSA_SHA256, DKIM_SIMPLE);
	CHECK(dkim_key_rsa_from_seed(seed, sizeof seed, 1000) == NULL);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	fprintf(stderr, "rsa 2048 from seed: %ld ms\n", ms);
	buf_free(&ta);
	buf_free(&tb);
	buf_free(&tc);
	dkim_key_free(a);
	dkim_key_free(b);
	dkim_key_free(c);
}

int main(void)
{
	RUN(test_rfc6376_example);
	RUN(test_body_edges);
	RUN(test_sig_parse);
	RUN(test_rfc8463_vector);
	RUN(test_rsa_round_trip);
	RUN(test_ed25519_round_trip);
	RUN(test_key_records);
	RUN(test_rsa_from_seed);
	return TEST_END();
}
