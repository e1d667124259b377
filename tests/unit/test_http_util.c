/*
 * test_http_util.c - what the HTTP engines and the webmail share
 * (protocols/http_util.c): fields, responses, percent-encoding, forms,
 * cookies, HTML escaping and the IMF-fixdate of RFC 9110 5.6.7.
 */
#include "http.h"
#include "test.h"

#include <stdlib.h>

static struct http_request request_with(struct http_field *f, size_t n)
{
	struct http_request rq = { .fields = f, .nfields = n };
	return rq;
}

static void test_fields_ignore_case(void)
{
	struct http_field f[] = { { "Host", "mail.uea.edu.br" }, { "host", "second" },
				  { "Content-Type", "text/plain" } };
	struct http_request rq = request_with(f, 3);
	CHECK_STR(http_request_field(&rq, "HOST"), "mail.uea.edu.br");
	CHECK_STR(http_request_field(&rq, "content-type"), "text/plain");
	CHECK(http_request_field(&rq, "Cookie") == NULL);

	struct http_response rs;
	http_response_init(&rs, 200);
	http_response_field(&rs, "Set-Cookie", "s=1");
	CHECK_STR(http_response_get(&rs, "set-cookie"), "s=1");
	http_response_redirect(&rs, "/folder/INBOX?x=<b>");
	CHECK_INT(rs.status, 303);
	CHECK_STR(http_response_get(&rs, "Location"), "/folder/INBOX?x=<b>");
	CHECK(strstr(rs.body.p, "&lt;b&gt;") != NULL);
	CHECK(strstr(rs.body.p, "<b>") == NULL);
	http_response_free(&rs);
}

static void test_reasons(void)
{
	CHECK_STR(http_status_reason(200), "OK");
	CHECK_STR(http_status_reason(404), "Not Found");
	CHECK_STR(http_status_reason(413), "Content Too Large"); /* RFC 9110 15.5.14 */
	CHECK_STR(http_status_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_status_reason(299), "Unknown");
}

static void test_percent(void)
{
	struct buf b;
	buf_init(&b);
	CHECK(http_percent_decode("bob%40gmail.com+x", 17, true, &b));
	CHECK_STR(b.p, "bob@gmail.com x");
	buf_clear(&b);
	CHECK(http_percent_decode("a+b", 3, false, &b));
	CHECK_STR(b.p, "a+b");
	buf_clear(&b);
	CHECK(!http_percent_decode("50%", 3, true, &b));
	buf_clear(&b);
	CHECK(!http_percent_decode("%4", 2, true, &b));
	buf_clear(&b);
	CHECK(!http_percent_decode("%zz", 3, true, &b));
	buf_clear(&b);
	CHECK(http_percent_decode("%C3%A1", 6, true, &b));
	CHECK_STR(b.p, "\xc3\xa1");
	buf_clear(&b);
	http_percent_encode(&b, "Caixa de entrada/á~", 20);
	CHECK_STR(b.p, "Caixa%20de%20entrada%2F%C3%A1~");
	buf_free(&b);
}

static void test_forms(void)
{
	const char *f = "to=bob%40gmail.com&subject=Ol%C3%A1+Bob&empty=&flag&to=second";
	size_t n = strlen(f);
	char *v = http_form_value(f, n, "to");
	CHECK_STR(v, "bob@gmail.com"); /* the first of two */
	free(v);
	v = http_form_value(f, n, "subject");
	CHECK_STR(v, "Ol\xc3\xa1 Bob");
	free(v);
	v = http_form_value(f, n, "empty");
	CHECK_STR(v, "");
	free(v);
	v = http_form_value(f, n, "flag");
	CHECK_STR(v, "");
	free(v);
	CHECK(http_form_value(f, n, "body") == NULL);
	CHECK(http_form_value(f, n, "sub") == NULL);
	CHECK(http_form_value("a=%G1", 5, "a") == NULL); /* does not decode */
	CHECK(http_form_value("", 0, "a") == NULL);
}

static void test_cookies(void)
{
	struct http_field f[] = { { "Cookie", "theme=dark; session=abc123" },
				  { "cookie", "other=\"quoted\"" } };
	struct http_request rq = request_with(f, 2);
	char *v = http_cookie_value(&rq, "session");
	CHECK_STR(v, "abc123");
	free(v);
	v = http_cookie_value(&rq, "other");
	CHECK_STR(v, "quoted");
	free(v);
	CHECK(http_cookie_value(&rq, "sess") == NULL);
	CHECK(http_cookie_value(&rq, "missing") == NULL);
}

static void test_escape(void)
{
	struct buf b;
	buf_init(&b);
	const char *s = "<script>alert('x') & \"y\"</script>";
	http_html_escape(&b, s, strlen(s));
	CHECK_STR(b.p, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	buf_free(&b);
}

static void test_date(void)
{
	char d[40];
	http_date(d, sizeof d, 784111777); /* RFC 9110 5.6.7's example */
	CHECK_STR(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date(d, sizeof d, 0);
	CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date(d, sizeof d, 951782400); /* a leap day */
	CHECK_STR(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_date(d, sizeof d, 1796256000);
	CHECK_STR(d, "Thu, 03 Dec 2026 00:00:00 GMT");
}

int main(void)
{
	RUN(test_fields_ignore_case);
	RUN(test_reasons);
	RUN(test_percent);
	RUN(test_forms);
	RUN(test_cookies);
	RUN(test_escape);
	RUN(test_date);
	return TEST_END();
}
