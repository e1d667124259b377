/*
 * http_util.c - what both HTTP engines and the hosts that answer requests
 * share: fields, responses, status reasons, percent-encoding, forms,
 * cookies, HTML escaping and the date format.  See http.h.
 */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const char *field_find(const struct http_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(f[i].name, name) == 0) /* RFC 9110 5.1: case-insensitive */
			return f[i].value;
	return NULL;
}

const char *http_request_field(const struct http_request *rq, const char *name)
{
	return field_find(rq->fields, rq->nfields, name);
}

const char *http_reply_field(const struct http_reply *r, const char *name)
{
	return field_find(r->fields, r->nfields, name);
}

const char *http_response_get(const struct http_response *rs, const char *name)
{
	return field_find(rs->fields, rs->nfields, name);
}

void http_request_free(struct http_request *rq)
{
	for (size_t i = 0; i < rq->nfields; i++) {
		free(rq->fields[i].name);
		free(rq->fields[i].value);
	}
	free(rq->fields);
	free(rq->target);
	free(rq->path);
	free(rq->query);
	free(rq->body);
	*rq = (struct http_request){ .version_minor = 1 };
}

void http_response_init(struct http_response *rs, int status)
{
	*rs = (struct http_response){ .status = status };
	buf_init(&rs->body);
}

void http_response_field(struct http_response *rs, const char *name, const char *value)
{
	if (rs->nfields == rs->capfields) {
		rs->capfields = rs->capfields ? 2 * rs->capfields : 8;
		rs->fields = xrealloc(rs->fields, rs->capfields * sizeof *rs->fields);
	}
	rs->fields[rs->nfields++] = (struct http_field){ xstrdup(name), xstrdup(value) };
}

void http_response_free(struct http_response *rs)
{
	for (size_t i = 0; i < rs->nfields; i++) {
		free(rs->fields[i].name);
		free(rs->fields[i].value);
	}
	free(rs->fields);
	buf_free(&rs->body);
	rs->fields = NULL;
	rs->nfields = rs->capfields = 0;
}

void http_response_redirect(struct http_response *rs, const char *location)
{
	rs->status = 303;
	http_response_field(rs, "Location", location);
	http_response_field(rs, "Content-Type", "text/html; charset=utf-8");
	buf_adds(&rs->body, "<!DOCTYPE html>\r\n<title>See Other</title>\r\n<a href=\"");
	http_html_escape(&rs->body, location, strlen(location));
	buf_adds(&rs->body, "\">");
	http_html_escape(&rs->body, location, strlen(location));
	buf_adds(&rs->body, "</a>\r\n");
}

const char *http_status_reason(int status)
{
	/* RFC 9110 15, the codes the engines and the webmail use */
	static const struct {
		int code;
		const char *reason;
	} table[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 201, "Created" },
		{ 204, "No Content" },
		{ 301, "Moved Permanently" },
		{ 302, "Found" },
		{ 303, "See Other" },
		{ 304, "Not Modified" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 411, "Length Required" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 422, "Unprocessable Content" },
		{ 431, "Request Header Fields Too Large" }, /* RFC 6585 5 */
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].code == status)
			return table[i].reason;
	return "Unknown";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool http_percent_decode(const char *s, size_t n, bool plus, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+' && plus) {
			buf_addc(out, ' ');
		} else if (s[i] == '%') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return false;
			buf_addc(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_addc(out, s[i]);
		}
	}
	return true;
}

void http_percent_encode(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* RFC 3986 2.3: ALPHA / DIGIT / "-" / "." / "_" / "~" */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(out, (char)c);
		} else {
			buf_addc(out, '%');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		}
	}
}

char *http_form_value(const char *form, size_t n, const char *name)
{
	size_t nlen = strlen(name);
	size_t i = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && form[end] != '&')
			end++;
		const char *eq = memchr(form + i, '=', end - i);
		size_t klen = eq ? (size_t)(eq - (form + i)) : end - i;
		struct buf key;
		buf_init(&key);
		bool key_ok = http_percent_decode(form + i, klen, true, &key);
		bool match = key_ok && key.len == nlen && memcmp(key.p, name, nlen) == 0;
		buf_free(&key);
		if (match) {
			struct buf v;
			buf_init(&v);
			const char *vs = eq ? eq + 1 : form + end;
			if (!http_percent_decode(vs, (size_t)(form + end - vs), true, &v)) {
				buf_free(&v);
				return NULL;
			}
			return buf_steal(&v);
		}
		i = end + 1;
	}
	return NULL;
}

char *http_cookie_value(const struct http_request *rq, const char *name)
{
	size_t nlen = strlen(name);
	/* RFC 6265 5.4: "name1=value1; name2=value2"; a client may send more
	 * than one Cookie field (RFC 9110 5.3 lets them be joined with "; "). */
	for (size_t f = 0; f < rq->nfields; f++) {
		if (strcasecmp(rq->fields[f].name, "Cookie") != 0)
			continue;
		const char *p = rq->fields[f].value;
		while (*p) {
			while (*p == ' ' || *p == ';')
				p++;
			const char *end = strchr(p, ';');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			if (len > nlen && p[nlen] == '=' && memcmp(p, name, nlen) == 0) {
				const char *v = p + nlen + 1;
				size_t vlen = len - nlen - 1;
				if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') { /* cookie-value may be quoted */
					v++;
					vlen -= 2;
				}
				return xstrndup(v, vlen);
			}
			p += len;
		}
	}
	return NULL;
}

void http_html_escape(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			buf_adds(out, "&amp;");
			break;
		case '<':
			buf_adds(out, "&lt;");
			break;
		case '>':
			buf_adds(out, "&gt;");
			break;
		case '"':
			buf_adds(out, "&quot;");
			break;
		case '\'':
			buf_adds(out, "&#39;");
			break;
		default:
			buf_addc(out, s[i]);
		}
	}
}

void http_date(char *out, size_t size, int64_t t)
{
	static const char *const wday[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* days since 1970-01-01 (a Thursday), then the civil date: the
	 * engine must not depend on the C library's time zone */
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	int wd = (int)(((days % 7) + 7) % 7);
	snprintf(out, size, "%s, %02d %s %04lld %02d:%02d:%02d GMT", wday[wd], (int)d, mon[m - 1],
		 (long long)y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}
