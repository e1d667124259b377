/*
 * test_spf.c - SPF (RFC 7208): records parsed term by term, and
 * check_host() against a small simulated DNS (a table of answers), through
 * include and redirect chains, the limits of section 4.6.4 and each error.
 */
#include "spf.h"
#include "test.h"

/* The simulated DNS: a row per (type, name); "TEMP" as the first answer
 * is a server failure. */
struct row {
	enum spf_rrtype type;
	const char *name;
	const char *ans[12];
};

static const struct row *dns;
static int asked; /* lookups made */

static int lookup(void *ctx, enum spf_rrtype type, const char *name, char out[][SPF_TXT_MAX],
		  int max)
{
	(void)ctx;
	asked++;
	for (const struct row *r = dns; r->name; r++) {
		if (r->type != type || strcmp(r->name, name) != 0)
			continue;
		if (r->ans[0] && strcmp(r->ans[0], "TEMP") == 0)
			return SPF_DNS_TEMPFAIL;
		int n = 0;
		while (n < 12 && r->ans[n] && n < max) {
			snprintf(out[n], SPF_TXT_MAX, "%s", r->ans[n]);
			n++;
		}
		return n;
	}
	return 0;
}

static enum spf_result run(const struct row *table, const char *ip, const char *domain,
			   struct spf_eval *e)
{
	dns = table;
	asked = 0;
	return spf_check(ip, domain, "alice@example.org", lookup, NULL, e);
}

static void test_parse(void)
{
	struct spf_record r;
	const char *why;
	char bad[SPF_NAME_MAX];
	CHECK_INT(spf_parse("v=spf1 +a mx:mail.example.org/24 ip4:192.0.2.0/24 -ip6:2001:db8::/32 "
			    "include:_spf.example.net ~all redirect=other.example exp=why.example "
			    "foo=bar",
			    &r, &why, bad),
		  0);
	CHECK_INT(r.nterms, 6);
	CHECK_INT(r.term[0].mech, SPF_A);
	CHECK_INT(r.term[0].qual, '+');
	CHECK_STR(r.term[0].domain, "");
	CHECK_INT(r.term[1].mech, SPF_MX);
	CHECK_STR(r.term[1].domain, "mail.example.org");
	CHECK_INT(r.term[1].len4, 24);
	CHECK_INT(r.term[2].addr, 0xc0000200u);
	CHECK_INT(r.term[2].len4, 24);
	CHECK_INT(r.term[3].mech, SPF_IP6);
	CHECK_INT(r.term[3].qual, '-');
	CHECK_STR(r.term[4].domain, "_spf.example.net");
	CHECK_INT(r.term[5].qual, '~');
	CHECK_STR(r.term[5].text, "~all");
	CHECK_STR(r.redirect, "other.example");
	CHECK_STR(r.exp, "why.example");
	/* case-insensitive names, extra spaces, a//64 */
	CHECK_INT(spf_parse("V=SPF1   A//64  MX/28//64 IP4:10.0.0.1 ?ALL", &r, &why, bad), 0);
	CHECK_INT(r.nterms, 4);
	CHECK_INT(r.term[0].len4, 32);
	CHECK_INT(r.term[1].len4, 28);
	CHECK_INT(r.term[2].len4, 32);
	CHECK_INT(spf_parse("v=spf1", &r, &why, bad), 0);
	CHECK_INT(r.nterms, 0);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *rec, *bad;
	} v[] = {
		{ "v=spf2 -all", "v=spf2" },
		{ "v=spf1x -all", "v=spf1x" },
		{ "v=spf1 a -foo", "-foo" },
		{ "v=spf1 exists:x.example -all", "exists:x.example" },
		{ "v=spf1 ptr -all", "ptr" },
		{ "v=spf1 include -all", "include" },
		{ "v=spf1 include:x.example/24", "include:x.example/24" },
		{ "v=spf1 all:x.example", "all:x.example" },
		{ "v=spf1 ip4:192.0.2.300", "ip4:192.0.2.300" },
		{ "v=spf1 ip4:192.0.2.0/33", "ip4:192.0.2.0/33" },
		{ "v=spf1 ip4:192.0.2.0/", "ip4:192.0.2.0/" },
		{ "v=spf1 ip4", "ip4" },
		{ "v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129" },
		{ "v=spf1 a/33", "a/33" },
		{ "v=spf1 a:nodot", "a:nodot" },
		{ "v=spf1 mx//129", "mx//129" },
		{ "v=spf1 a:%{d}.example", "a:%{d}.example" },
		{ "v=spf1 redirect=a.example redirect=b.example", "redirect=b.example" },
		{ "v=spf1 redirect=%{d}", "redirect=%{d}" },
		{ "v=spf1 redirect=bad..example", "redirect=bad..example" },
		{ "v=spf1 -redirect=a.example", "-redirect=a.example" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct spf_record r;
		const char *why = NULL;
		char bad[SPF_NAME_MAX];
		CHECK_INT(spf_parse(v[i].rec, &r, &why, bad), -1);
		CHECK(why != NULL);
		CHECK_STR(bad, v[i].bad);
	}
	struct spf_record r;
	const char *why;
	char bad[SPF_NAME_MAX];
	char big[2048] = "v=spf1";
	for (int i = 0; i < SPF_TERMS_MAX + 1; i++)
		strcat(big, " ip4:10.0.0.1");
	CHECK_INT(spf_parse(big, &r, &why, bad), -1);
	CHECK_STR(why, "too many terms in one record");
}

static void test_domain_ok(void)
{
	CHECK(spf_domain_ok("example.org"));
	CHECK(spf_domain_ok("example.org."));
	CHECK(!spf_domain_ok("localhost"));
	CHECK(!spf_domain_ok(""));
	CHECK(!spf_domain_ok("a..example"));
	CHECK(!spf_domain_ok(".example"));
	char label[80];
	memset(label, 'x', 64);
	strcpy(label + 64, ".example");
	CHECK(!spf_domain_ok(label));
	CHECK(spf_domain_ok(label + 1));
}

static const struct row basic[] = {
	{ SPF_RR_TXT, "example.org",
	  { "some verification=123", "v=spf1 ip4:192.0.2.0/24 a mx ~all" } },
	{ SPF_RR_A, "example.org", { "198.51.100.7" } },
	{ SPF_RR_MX, "example.org", { "mx1.example.org", "mx2.example.org" } },
	{ SPF_RR_A, "mx1.example.org", { "203.0.113.1" } },
	{ SPF_RR_A, "mx2.example.org", { "203.0.113.2", "203.0.113.3" } },
	{ SPF_RR_TXT, "none.example", { "just text" } },
	{ SPF_RR_TXT, "two.example", { "v=spf1 -all", "v=spf1 +all" } },
	{ SPF_RR_TXT, "temp.example", { "TEMP" } },
	{ SPF_RR_TXT, "broken.example", { "v=spf1 ip4:1.2.3 -all" } },
	{ SPF_RR_TXT, "q.example", { "v=spf1 -ip4:10.0.0.1 ?ip4:10.0.0.2 +ip4:10.0.0.3" } },
	{ SPF_RR_TXT, "spf1only.example", { "v=spf10 -all" } },
	{ 0, NULL, { NULL } },
};

static void test_check_basic(void)
{
	struct spf_eval e;
	CHECK_INT(run(basic, "192.0.2.77", "example.org", &e), SPF_PASS);
	CHECK_STR(e.matched, "ip4:192.0.2.0/24");
	CHECK_STR(e.domain, "example.org");
	CHECK(e.reason == NULL);
	CHECK_INT(e.dns_terms, 0);
	CHECK_INT(run(basic, "198.51.100.7", "example.org", &e), SPF_PASS);
	CHECK_STR(e.matched, "a");
	CHECK_INT(e.dns_terms, 1);
	CHECK_INT(run(basic, "203.0.113.3", "example.org", &e), SPF_PASS);
	CHECK_STR(e.matched, "mx");
	CHECK_INT(e.dns_terms, 2);
	CHECK_INT(asked, 5);
	CHECK_INT(run(basic, "203.0.113.9", "example.org", &e), SPF_SOFTFAIL);
	CHECK_STR(e.matched, "~all");
	/* qualifiers; no match and no redirect: neutral */
	CHECK_INT(run(basic, "10.0.0.1", "q.example", &e), SPF_FAIL);
	CHECK_STR(e.matched, "-ip4:10.0.0.1");
	CHECK_INT(run(basic, "10.0.0.2", "q.example", &e), SPF_NEUTRAL);
	CHECK_INT(run(basic, "10.0.0.3", "q.example", &e), SPF_PASS);
	CHECK_INT(run(basic, "10.0.0.4", "q.example", &e), SPF_NEUTRAL);
	CHECK_STR(e.matched, "");
	CHECK(e.reason == NULL);
	/* none, permerror and temperror of the record itself */
	CHECK_INT(run(basic, "10.0.0.1", "none.example", &e), SPF_NONE);
	CHECK_STR(e.reason, "the domain publishes no SPF record");
	CHECK_INT(run(basic, "10.0.0.1", "nxdomain.example", &e), SPF_NONE);
	CHECK_INT(run(basic, "10.0.0.1", "spf1only.example", &e), SPF_NONE);
	CHECK_INT(run(basic, "10.0.0.1", "localhost", &e), SPF_NONE);
	CHECK_STR(e.reason, "the domain name is malformed");
	CHECK_INT(asked, 0);
	CHECK_INT(run(basic, "10.0.0.1", "two.example", &e), SPF_PERMERROR);
	CHECK_STR(e.reason, "the domain publishes more than one SPF record");
	CHECK_INT(run(basic, "10.0.0.1", "temp.example", &e), SPF_TEMPERROR);
	CHECK_INT(run(basic, "10.0.0.1", "broken.example", &e), SPF_PERMERROR);
	CHECK_STR(e.term, "ip4:1.2.3");
	CHECK_STR(e.domain, "broken.example");
	CHECK_STR(e.reason, "a mechanism's argument is malformed");
	CHECK_INT(run(basic, "2001:db8::1", "example.org", &e), SPF_PERMERROR);
	CHECK_STR(e.term, "2001:db8::1");
	CHECK_STR(spf_result_name(SPF_SOFTFAIL), "softfail");
	CHECK_STR(spf_result_name(SPF_PERMERROR), "permerror");
}

static const struct row chains[] = {
	{ SPF_RR_TXT, "corp.example", { "v=spf1 include:_spf.corp.example include:esp.example -all" } },
	{ SPF_RR_TXT, "_spf.corp.example", { "v=spf1 ip4:192.0.2.0/25 -all" } },
	{ SPF_RR_TXT, "esp.example", { "v=spf1 include:_a.esp.example ?all" } },
	{ SPF_RR_TXT, "_a.esp.example", { "v=spf1 a:out.esp.example/30" } },
	{ SPF_RR_A, "out.esp.example", { "203.0.113.8" } },
	{ SPF_RR_TXT, "sub.corp.example", { "v=spf1 redirect=corp.example" } },
	{ SPF_RR_TXT, "redir-none.example", { "v=spf1 redirect=none.example" } },
	{ SPF_RR_TXT, "inc-none.example", { "v=spf1 include:none.example -all" } },
	{ SPF_RR_TXT, "inc-temp.example", { "v=spf1 include:temp.example -all" } },
	{ SPF_RR_TXT, "inc-perm.example", { "v=spf1 include:perm.example -all" } },
	{ SPF_RR_TXT, "perm.example", { "v=spf1 bogus" } },
	{ SPF_RR_TXT, "temp.example", { "TEMP" } },
	{ SPF_RR_TXT, "all-wins.example", { "v=spf1 ?all redirect=corp.example" } },
	{ SPF_RR_TXT, "loop.example", { "v=spf1 include:loop.example" } },
	{ SPF_RR_TXT, "a-temp.example", { "v=spf1 a:dead.example -all" } },
	{ SPF_RR_A, "dead.example", { "TEMP" } },
	{ 0, NULL, { NULL } },
};

static void test_chains(void)
{
	struct spf_eval e;
	CHECK_INT(run(chains, "192.0.2.5", "corp.example", &e), SPF_PASS);
	CHECK_STR(e.matched, "include:_spf.corp.example");
	CHECK_STR(e.domain, "corp.example");
	/* through two includes; the first include's -all is "no match" */
	CHECK_INT(run(chains, "203.0.113.9", "corp.example", &e), SPF_PASS);
	CHECK_STR(e.matched, "include:esp.example");
	CHECK_INT(e.dns_terms, 4);
	/* the esp's ?all is neutral inside the include: no match, then -all */
	CHECK_INT(run(chains, "198.51.100.1", "corp.example", &e), SPF_FAIL);
	CHECK_STR(e.matched, "-all");
	CHECK_STR(e.domain, "corp.example");
	/* redirect: the target's result is the result */
	CHECK_INT(run(chains, "192.0.2.5", "sub.corp.example", &e), SPF_PASS);
	CHECK_INT(run(chains, "198.51.100.1", "sub.corp.example", &e), SPF_FAIL);
	CHECK_STR(e.domain, "corp.example");
	CHECK_INT(run(chains, "198.51.100.1", "redir-none.example", &e), SPF_PERMERROR);
	CHECK_STR(e.reason, "redirect= names a domain with no SPF record");
	CHECK_STR(e.term, "redirect=none.example");
	/* include's table (section 5.2): none and permerror are permerror */
	CHECK_INT(run(chains, "198.51.100.1", "inc-none.example", &e), SPF_PERMERROR);
	CHECK_STR(e.reason, "include: names a domain with no SPF record");
	CHECK_STR(e.term, "include:none.example");
	CHECK_INT(run(chains, "198.51.100.1", "inc-temp.example", &e), SPF_TEMPERROR);
	CHECK_INT(run(chains, "198.51.100.1", "inc-perm.example", &e), SPF_PERMERROR);
	CHECK_STR(e.term, "bogus");
	CHECK_STR(e.domain, "perm.example");
	CHECK_STR(e.reason, "an unknown mechanism");
	/* all before redirect: redirect never consulted */
	CHECK_INT(run(chains, "192.0.2.5", "all-wins.example", &e), SPF_NEUTRAL);
	CHECK_STR(e.matched, "?all");
	CHECK_INT(asked, 1);
	/* a loop ends at the limit */
	CHECK_INT(run(chains, "192.0.2.5", "loop.example", &e), SPF_PERMERROR);
	CHECK_STR(e.reason, "more than 10 DNS-querying terms (section 4.6.4)");
	CHECK_INT(e.dns_terms, 11);
	CHECK_INT(run(chains, "192.0.2.5", "a-temp.example", &e), SPF_TEMPERROR);
	CHECK_STR(e.term, "a:dead.example");
	CHECK_STR(e.reason, "a DNS lookup failed for now");
}

static const struct row limits[] = {
	{ SPF_RR_TXT, "ten.example",
	  { "v=spf1 a:h1.example a:h2.example a:h3.example a:h4.example a:h5.example a:h6.example "
	    "a:h7.example a:h8.example a:h9.example a:h10.example -all" } },
	{ SPF_RR_TXT, "eleven.example",
	  { "v=spf1 a:h1.example a:h2.example a:h3.example a:h4.example a:h5.example a:h6.example "
	    "a:h7.example a:h8.example a:h9.example a:h10.example a:h11.example -all" } },
	{ SPF_RR_TXT, "ipsfree.example",
	  { "v=spf1 ip4:10.0.0.1 ip4:10.0.0.2 ip4:10.0.0.3 ip4:10.0.0.4 ip4:10.0.0.5 ip4:10.0.0.6 "
	    "ip4:10.0.0.7 ip4:10.0.0.8 ip4:10.0.0.9 ip4:10.0.0.10 ip4:10.0.0.11 ip4:10.0.0.12 -all" } },
	{ SPF_RR_TXT, "voids.example", { "v=spf1 a:v1.example mx:v2.example a:v3.example -all" } },
	{ SPF_RR_TXT, "twovoids.example", { "v=spf1 a:v1.example mx:v2.example -all" } },
	{ SPF_RR_TXT, "manymx.example", { "v=spf1 mx -all" } },
	{ SPF_RR_MX, "manymx.example",
	  { "m1.example", "m2.example", "m3.example", "m4.example", "m5.example", "m6.example",
	    "m7.example", "m8.example", "m9.example", "m10.example", "m11.example" } },
	{ SPF_RR_TXT, "tenmx.example", { "v=spf1 mx/24 -all" } },
	{ SPF_RR_MX, "tenmx.example",
	  { "m1.example", "m2.example", "m3.example", "m4.example", "m5.example", "m6.example",
	    "m7.example", "m8.example", "m9.example", "m10.example" } },
	{ SPF_RR_A, "m10.example", { "192.0.2.200" } },
	{ SPF_RR_A, "h1.example", { "10.1.0.1" } },
	{ SPF_RR_A, "h2.example", { "10.1.0.2" } },
	{ SPF_RR_A, "h3.example", { "10.1.0.3" } },
	{ SPF_RR_A, "h4.example", { "10.1.0.4" } },
	{ SPF_RR_A, "h5.example", { "10.1.0.5" } },
	{ SPF_RR_A, "h6.example", { "10.1.0.6" } },
	{ SPF_RR_A, "h7.example", { "10.1.0.7" } },
	{ SPF_RR_A, "h8.example", { "10.1.0.8" } },
	{ SPF_RR_A, "h9.example", { "10.1.0.9" } },
	{ SPF_RR_A, "h10.example", { "10.1.0.10" } },
	{ SPF_RR_A, "h11.example", { "10.1.0.11" } },
	{ 0, NULL, { NULL } },
};

static void test_limits(void)
{
	struct spf_eval e;
	CHECK_INT(run(limits, "10.1.0.10", "ten.example", &e), SPF_PASS);
	CHECK_INT(e.dns_terms, 10);
	CHECK_INT(run(limits, "10.9.9.9", "ten.example", &e), SPF_FAIL);
	CHECK_INT(run(limits, "10.1.0.10", "eleven.example", &e), SPF_PASS);
	CHECK_INT(run(limits, "10.1.0.11", "eleven.example", &e), SPF_PERMERROR);
	CHECK_STR(e.term, "a:h11.example");
	CHECK_INT(run(limits, "10.0.0.12", "ipsfree.example", &e), SPF_PASS);
	CHECK_INT(e.dns_terms, 0);
	CHECK_INT(run(limits, "10.9.9.9", "twovoids.example", &e), SPF_FAIL);
	CHECK_INT(e.void_lookups, 2);
	CHECK_INT(run(limits, "10.9.9.9", "voids.example", &e), SPF_PERMERROR);
	CHECK_STR(e.reason, "more than 2 lookups found nothing (section 4.6.4)");
	CHECK_STR(e.term, "a:v3.example");
	CHECK_INT(run(limits, "10.9.9.9", "manymx.example", &e), SPF_PERMERROR);
	CHECK_STR(e.reason, "more than 10 MX names to look up (section 4.6.4)");
	/* ten MX names are allowed; m1..m9 have no A: voids over at m3 */
	CHECK_INT(run(limits, "192.0.2.1", "tenmx.example", &e), SPF_PERMERROR);
	CHECK_STR(e.term, "mx/24");
}

static const struct row cidr[] = {
	{ SPF_RR_TXT, "cidr.example", { "v=spf1 a:h.example/30 ip4:0.0.0.0/0" } },
	{ SPF_RR_A, "h.example", { "192.0.2.9" } },
	{ SPF_RR_TXT, "v6.example", { "v=spf1 ip6:::/0 -all" } },
	{ 0, NULL, { NULL } },
};

static void test_cidr(void)
{
	struct spf_eval e;
	CHECK_INT(run(cidr, "192.0.2.11", "cidr.example", &e), SPF_PASS);
	CHECK_STR(e.matched, "a:h.example/30");
	CHECK_INT(run(cidr, "192.0.2.12", "cidr.example", &e), SPF_PASS);
	CHECK_STR(e.matched, "ip4:0.0.0.0/0");
	CHECK_INT(run(cidr, "192.0.2.12", "v6.example", &e), SPF_FAIL);
	CHECK_STR(e.matched, "-all");
}

int main(void)
{
	RUN(test_parse);
	RUN(test_parse_errors);
	RUN(test_domain_ok);
	RUN(test_check_basic);
	RUN(test_chains);
	RUN(test_limits);
	RUN(test_cidr);
	return TEST_END();
}
