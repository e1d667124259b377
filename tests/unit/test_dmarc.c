/*
 * test_dmarc.c - DMARC (RFC 7489): records parsed tag by tag, the
 * organizational domain, strict and relaxed alignment, the record found at
 * the From: domain or its organizational domain, the policy (p=, sp=,
 * pct=), and the Authentication-Results value (RFC 8601).
 */
#include "dmarc.h"
#include "test.h"

struct row {
	const char *name;
	const char *ans[4];
};

static const struct row *dns;
static int asked;

static int lookup(void *ctx, enum spf_rrtype type, const char *name, char out[][SPF_TXT_MAX],
		  int max)
{
	(void)ctx;
	asked++;
	if (type != SPF_RR_TXT)
		return 0;
	for (const struct row *r = dns; r->name; r++) {
		if (strcmp(r->name, name) != 0)
			continue;
		if (r->ans[0] && strcmp(r->ans[0], "TEMP") == 0)
			return SPF_DNS_TEMPFAIL;
		int n = 0;
		while (n < 4 && n < max && r->ans[n]) {
			snprintf(out[n], SPF_TXT_MAX, "%s", r->ans[n]);
			n++;
		}
		return n;
	}
	return 0;
}

static void test_parse(void)
{
	struct dmarc_record r;
	const char *why;
	CHECK_INT(dmarc_parse("v=DMARC1; p=reject", &r, &why), 0);
	CHECK_INT(r.p, DMARC_P_REJECT);
	CHECK_INT(r.sp, DMARC_P_REJECT);
	CHECK_INT(r.adkim, 'r');
	CHECK_INT(r.aspf, 'r');
	CHECK_INT(r.pct, 100);
	CHECK_STR(r.rua, "");
	CHECK_INT(dmarc_parse("v=DMARC1 ; p = quarantine; sp=none; adkim=s; aspf=s; pct=25; "
			      "rua=mailto:d@example.org; ruf=mailto:f@example.org; fo=1; x=y;",
			      &r, &why),
		  0);
	CHECK_INT(r.p, DMARC_P_QUARANTINE);
	CHECK_INT(r.sp, DMARC_P_NONE);
	CHECK_INT(r.adkim, 's');
	CHECK_INT(r.aspf, 's');
	CHECK_INT(r.pct, 25);
	CHECK_STR(r.rua, "mailto:d@example.org");
	CHECK_INT(dmarc_parse("v=DMARC1;;p=none", &r, &why), 0);
	CHECK_INT(dmarc_parse("v=DMARC1; p=none; pct=0", &r, &why), 0);
	CHECK_INT(r.pct, 0);
	/* a bad p= with a rua= reads as p=none (section 6.6.3) */
	CHECK_INT(dmarc_parse("v=DMARC1; p=bogus; rua=mailto:d@example.org", &r, &why), 0);
	CHECK_INT(r.p, DMARC_P_NONE);
	CHECK_INT(dmarc_parse("v=DMARC1; rua=mailto:d@example.org", &r, &why), 0);
	CHECK_INT(r.p, DMARC_P_NONE);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *rec, *why;
	} v[] = {
		{ "", "the record does not begin with v=DMARC1" },
		{ "p=reject; v=DMARC1", "the record does not begin with v=DMARC1" },
		{ "v=DMARC2; p=reject", "the record does not begin with v=DMARC1" },
		{ "v=DMARC1; p=reject; adkim=x", "adkim= and aspf= take r or s" },
		{ "v=DMARC1; p=reject; aspf=", "adkim= and aspf= take r or s" },
		{ "v=DMARC1; p=reject; pct=101", "pct= takes a whole number from 0 to 100" },
		{ "v=DMARC1; p=reject; pct=", "pct= takes a whole number from 0 to 100" },
		{ "v=DMARC1; p=reject; pct=5x", "pct= takes a whole number from 0 to 100" },
		{ "v=DMARC1; p=reject; junk", "a DMARC tag has no '='" },
		{ "v=DMARC1", "the record has no valid p= policy" },
		{ "v=DMARC1; p=bogus", "the record has no valid p= policy" },
		{ "v=DMARC1; p=reject; sp=bogus", "the record has no valid p= policy" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct dmarc_record r;
		const char *why = NULL;
		CHECK_INT(dmarc_parse(v[i].rec, &r, &why), -1);
		CHECK_STR(why, v[i].why);
	}
}

static void test_org_and_alignment(void)
{
	CHECK_STR(dmarc_org_domain("mail.sub.example.org"), "example.org");
	CHECK_STR(dmarc_org_domain("example.org"), "example.org");
	CHECK_STR(dmarc_org_domain("org"), "org");
	CHECK_STR(dmarc_org_domain("a.example.org."), "example.org.");
	/* two-label public suffixes: Brazil's domains are one label longer */
	CHECK_STR(dmarc_org_domain("mail.uea.edu.br"), "uea.edu.br");
	CHECK_STR(dmarc_org_domain("uea.edu.br"), "uea.edu.br");
	CHECK_STR(dmarc_org_domain("edu.br"), "edu.br");
	CHECK_STR(dmarc_org_domain("news.Example.CO.UK."), "Example.CO.UK.");
	CHECK_STR(dmarc_org_domain("a.b.loja.com.br"), "loja.com.br");
	CHECK(!dmarc_aligned("uea.edu.br", "ufam.edu.br", 'r'));
	CHECK(dmarc_aligned("mail.uea.edu.br", "uea.edu.br", 'r'));
	CHECK(dmarc_aligned("example.org", "EXAMPLE.org", 's'));
	CHECK(!dmarc_aligned("mail.example.org", "example.org", 's'));
	CHECK(dmarc_aligned("mail.example.org", "example.org", 'r'));
	CHECK(dmarc_aligned("bounce.example.org", "news.example.org", 'r'));
	CHECK(!dmarc_aligned("example.net", "example.org", 'r'));
	CHECK(!dmarc_aligned("notexample.org", "example.org", 'r'));
	CHECK(!dmarc_aligned(NULL, "example.org", 'r'));
	CHECK(!dmarc_aligned("", "example.org", 'r'));
}

static const struct row zone[] = {
	{ "_dmarc.example.org", { "v=spf1 -all", "v=DMARC1; p=reject; sp=quarantine" } },
	{ "_dmarc.strict.example", { "v=DMARC1; p=reject; adkim=s; aspf=s" } },
	{ "_dmarc.own.example.org", { "v=DMARC1; p=none" } },
	{ "_dmarc.two.example", { "v=DMARC1; p=none", "v=DMARC1; p=reject" } },
	{ "_dmarc.temp.example", { "TEMP" } },
	{ "_dmarc.bad.example", { "v=DMARC1; p=nonsense" } },
	{ "_dmarc.half.example", { "v=DMARC1; p=reject; pct=50" } },
	{ NULL, { NULL } },
};

static enum dmarc_result run(const char *from, enum spf_result spf, const char *mailfrom,
			     int dkim, const char *d, struct dmarc_eval *e)
{
	struct dmarc_input in = { from, spf, mailfrom, dkim, d, 0 };
	dns = zone;
	asked = 0;
	return dmarc_check(&in, lookup, NULL, e);
}

static void test_check(void)
{
	struct dmarc_eval e;
	/* aligned SPF, aligned DKIM, either is enough */
	CHECK_INT(run("example.org", SPF_PASS, "example.org", 0, NULL, &e), DMARC_PASS);
	CHECK(e.spf_aligned && !e.dkim_aligned);
	CHECK_INT(asked, 1);
	CHECK_INT(run("example.org", SPF_FAIL, "example.org", 1, "example.org", &e), DMARC_PASS);
	CHECK(!e.spf_aligned && e.dkim_aligned);
	/* relaxed: a subdomain of the same org aligns */
	CHECK_INT(run("example.org", SPF_PASS, "bounce.example.org", 0, NULL, &e), DMARC_PASS);
	/* passing but not aligned: fail, p=reject */
	CHECK_INT(run("example.org", SPF_PASS, "esp.example", 1, "esp.example", &e), DMARC_FAIL);
	CHECK_INT(e.policy, DMARC_P_REJECT);
	CHECK(!e.spf_aligned && !e.dkim_aligned);
	CHECK_INT(run("example.org", SPF_SOFTFAIL, "example.org", 0, "example.org", &e),
		  DMARC_FAIL);
	/* strict: only the exact domain aligns */
	CHECK_INT(run("strict.example", SPF_PASS, "bounce.strict.example", 1,
		      "mail.strict.example", &e),
		  DMARC_FAIL);
	CHECK_INT(e.policy, DMARC_P_REJECT);
	CHECK_INT(run("strict.example", SPF_FAIL, "x.example", 1, "strict.example", &e), DMARC_PASS);
	CHECK_INT(run("strict.example", SPF_PASS, "strict.example", 0, NULL, &e), DMARC_PASS);
}

static void test_discovery(void)
{
	struct dmarc_eval e;
	/* no record at news.example.org: the org's, with sp= */
	CHECK_INT(run("news.example.org", SPF_FAIL, "news.example.org", 0, NULL, &e), DMARC_FAIL);
	CHECK_STR(e.record_domain, "example.org");
	CHECK_INT(e.policy, DMARC_P_QUARANTINE);
	CHECK_INT(asked, 2);
	/* its own record wins over the org's */
	CHECK_INT(run("own.example.org", SPF_FAIL, "own.example.org", 0, NULL, &e), DMARC_FAIL);
	CHECK_STR(e.record_domain, "own.example.org");
	CHECK_INT(e.policy, DMARC_P_NONE);
	CHECK_INT(asked, 1);
	/* relaxed passes through the org's record */
	CHECK_INT(run("a.b.example.org", SPF_PASS, "example.org", 0, NULL, &e), DMARC_PASS);
	/* nothing at either: none; the org domain itself is asked once */
	CHECK_INT(run("mail.nowhere.example", SPF_PASS, "x.example", 0, NULL, &e), DMARC_NONE);
	CHECK_INT(asked, 2);
	CHECK_INT(run("nowhere.example", SPF_PASS, "x.example", 0, NULL, &e), DMARC_NONE);
	CHECK_INT(asked, 1);
	CHECK(e.reason != NULL);
	/* two records: as none; a bad one: as none */
	CHECK_INT(run("two.example", SPF_FAIL, "two.example", 0, NULL, &e), DMARC_NONE);
	CHECK_STR(e.reason, "more than one DMARC record: none is used");
	CHECK_INT(run("bad.example", SPF_FAIL, "bad.example", 0, NULL, &e), DMARC_NONE);
	CHECK_STR(e.reason, "the record has no valid p= policy");
	CHECK_INT(run("temp.example", SPF_PASS, "temp.example", 0, NULL, &e), DMARC_TEMPERROR);
	CHECK_INT(run("x.temp.example", SPF_PASS, "temp.example", 0, NULL, &e), DMARC_TEMPERROR);
	CHECK_STR(dmarc_result_name(DMARC_TEMPERROR), "temperror");
	CHECK_STR(dmarc_policy_name(DMARC_P_QUARANTINE), "quarantine");
}

static void test_pct(void)
{
	struct dmarc_eval e;
	struct dmarc_input in = { "half.example", SPF_FAIL, "half.example", 0, NULL, 49 };
	dns = zone;
	CHECK_INT(dmarc_check(&in, lookup, NULL, &e), DMARC_FAIL);
	CHECK_INT(e.policy, DMARC_P_REJECT);
	CHECK(e.reason == NULL);
	in.sample = 50;
	CHECK_INT(dmarc_check(&in, lookup, NULL, &e), DMARC_FAIL);
	CHECK_INT(e.policy, DMARC_P_QUARANTINE);
	CHECK(e.reason != NULL);
	in.from_domain = "sub.example.org"; /* sp=quarantine at pct=100: always */
	in.sample = 99;
	CHECK_INT(dmarc_check(&in, lookup, NULL, &e), DMARC_FAIL);
	CHECK_INT(e.policy, DMARC_P_QUARANTINE);
	CHECK(e.reason == NULL);
}

static void test_authres(void)
{
	char out[512];
	struct dmarc_authres a = { "mx.example.net", "pass", "alice@example.org", "pass",
				   "example.org", "s1", "pass", "example.org" };
	const char *want = "mx.example.net; spf=pass smtp.mailfrom=alice@example.org; "
			   "dkim=pass header.d=example.org header.s=s1; "
			   "dmarc=pass header.from=example.org";
	CHECK_INT(dmarc_authres(&a, out, sizeof out), (int)strlen(want));
	CHECK_STR(out, want);
	struct dmarc_authres b = { "mx.example.net", "softfail", "bob@x.example", NULL,
				   NULL, NULL, "fail", "example.org" };
	CHECK_INT(dmarc_authres(&b, out, sizeof out) > 0, 1);
	CHECK_STR(out, "mx.example.net; spf=softfail smtp.mailfrom=bob@x.example; "
		       "dmarc=fail header.from=example.org");
	struct dmarc_authres c = { "mx.example.net", NULL, NULL, "none", NULL, NULL, NULL, NULL };
	dmarc_authres(&c, out, sizeof out);
	CHECK_STR(out, "mx.example.net; dkim=none");
	struct dmarc_authres d = { "mx.example.net", NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	dmarc_authres(&d, out, sizeof out);
	CHECK_STR(out, "mx.example.net; none");
	CHECK_INT(dmarc_authres(&a, out, 20), -1);
	CHECK_INT(dmarc_authres(&a, out, strlen(want)), -1);
	CHECK_INT(dmarc_authres(&a, out, strlen(want) + 1), (int)strlen(want));
}

int main(void)
{
	RUN(test_parse);
	RUN(test_parse_errors);
	RUN(test_org_and_alignment);
	RUN(test_check);
	RUN(test_discovery);
	RUN(test_pct);
	RUN(test_authres);
	return TEST_END();
}
