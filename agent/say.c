/* The words of notices, questions and failures (see say.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "destview.h"
#include "err.h"
#include "say.h"

#define COMMENT_MIN	12	/* a comment is cut no shorter than this */

size_t
say_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

char *
say_clip(const char *s, size_t cols)
{
	size_t i, n = 0;
	char *out;

	if (s == NULL)
		s = "";
	if (say_width(s) <= cols)
		return strdup(s);
	if (cols < 4)
		return strdup("...");
	/* cols - 3 characters, then "..." */
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == cols - 3)
			break;
	}
	if ((out = malloc(i + 4)) == NULL)
		return NULL;
	memcpy(out, s, i);
	memcpy(out + i, "...", 4);
	return out;
}

char *
say_fold(const char *line, size_t width, size_t hang)
{
	const char *p, *w;
	char *out, *o, *word;
	size_t cap, col, wlen, ww, room, lead, gap = 0;
	int first = 1;

	if (width == 0 || say_width(line) <= width) {
		if (asprintf(&out, "%s\n", line) < 0)
			return NULL;
		return out;
	}
	if (hang + 8 > width)
		hang = 0;
	/* the line's own indent stays on its first line */
	for (lead = 0; line[lead] == ' '; lead++)
		;
	/* at worst a line per word, each with its newline and indent */
	cap = strlen(line) + 2 + (strlen(line) + 1) * (hang + 1);
	if ((out = malloc(cap)) == NULL)
		return NULL;
	memcpy(out, line, lead);
	o = out + lead;
	col = lead;
	for (p = line + lead; *p != '\0';) {
		for (w = p; *w != '\0' && *w != ' '; w++)
			;
		wlen = (size_t)(w - p);
		if ((word = strndup(p, wlen)) == NULL) {
			free(out);
			return NULL;
		}
		ww = say_width(word);
		if (!first && col + gap + ww > width) {
			/* a new line, indented */
			*o++ = '\n';
			memset(o, ' ', hang);
			o += hang;
			col = hang;
			first = 1;
		}
		if (first)
			gap = 0;
		room = width - col - gap;
		if (ww > room) {
			char *c = say_clip(word, room);

			free(word);
			if ((word = c) == NULL) {
				free(out);
				return NULL;
			}
			ww = say_width(word);
		}
		/* the blanks between words as they were */
		memset(o, ' ', gap);
		o += gap;
		col += gap;
		memcpy(o, word, strlen(word));
		o += strlen(word);
		col += ww;
		first = 0;
		free(word);
		for (p = w, gap = 0; *p == ' '; p++)
			gap++;
	}
	*o++ = '\n';
	*o = '\0';
	return out;
}

/*
 * head + comment + mid + name + tail in SAY_COLS columns: the comment cut
 * first (not below COMMENT_MIN), then the name.
 */
static char *
fit(const char *head, const char *comment, const char *mid, const char *name,
    const char *tail)
{
	size_t fixed, room, cw, nw;
	char *c = NULL, *n = NULL, *out = NULL;

	fixed = say_width(head) + say_width(mid) + say_width(tail);
	cw = say_width(comment);
	nw = say_width(name);
	room = fixed < SAY_COLS ? SAY_COLS - fixed : 0;
	if (cw + nw > room) {
		/* the comment gives way first, down to COMMENT_MIN; then the name */
		size_t cmin = cw < COMMENT_MIN ? cw : COMMENT_MIN;

		if (nw + cmin <= room)
			cw = room - nw;
		else if (room >= cmin + 4) {
			cw = cmin;
			nw = room - cw;
		} else {
			cw = room / 2;
			nw = room - cw;
		}
	}
	if ((c = say_clip(comment, cw)) != NULL &&
	    (n = say_clip(name, nw)) != NULL &&
	    asprintf(&out, "%s%s%s%s%s", head, c, mid, n, tail) < 0)
		out = NULL;
	free(c);
	free(n);
	return out;
}

/* What the signature is for: line 1's end and line 2 (or NULL). */
static void
purpose(const struct say_what *w, const char **midp, const char **namep,
    char **line2p)
{
	const struct dest_view *d = w->dest;
	int login = w->use != NULL && strcmp(w->use, "login") == 0;

	*midp = "";
	*namep = "";
	*line2p = NULL;
	if (w->use != NULL && strcmp(w->use, "sshsig") == 0) {
		*midp = " to sign for ";
		*namep = w->use_text != NULL ? w->use_text : "?";
		return;
	}
	if (!login)
		return;
	if (w->forwarded) {
		*midp = ": login forwarded by ";
		*namep = d != NULL && d->name != NULL ? d->name : "another host";
		if (w->fp != NULL && asprintf(line2p, "(to the host with key %s)",
		    w->fp) < 0)
			*line2p = NULL;
		return;
	}
	if (d != NULL && d->name != NULL) {
		*midp = " to log in to ";
		*namep = d->name;
		if (w->fp == NULL || d->confirmed)
			return;
		if (asprintf(line2p, d->revoked ? "(its host key is REVOKED: %s)" :
		    "(could not be confirmed: %s)", w->fp) < 0)
			*line2p = NULL;
		return;
	}
	*midp = " to log in as ";
	*namep = w->use_text != NULL ? w->use_text : "?";
	if (w->fp != NULL && asprintf(line2p, "(host key %s)", w->fp) < 0)
		*line2p = NULL;
}

static char *
compose(enum say_action a, const struct say_what *w, const char *prompt)
{
	const char *head, *close, *mid, *name;
	char *line1 = NULL, *line2 = NULL, *out = NULL, *m = NULL;

	purpose(w, &mid, &name, &line2);
	switch (a) {
	case SAY_TOUCH:
		head = "Touch your security key (";
		close = ")";
		break;
	case SAY_SELECT:
		head = "Several security keys: touch the one with ";
		close = "";
		break;
	case SAY_PIN:
		head = "Enter the PIN of your security key (";
		close = ")";
		break;
	case SAY_CARD_PIN:
		head = "Enter the PIN of your smartcard (";
		close = ")";
		break;
	case SAY_CONFIRM:
	default:
		head = "Allow use of key ";
		close = "";
		break;
	}
	if (asprintf(&m, "%s%s", close, mid) < 0)
		m = NULL;
	if (m != NULL)
		line1 = fit(head, w->comment != NULL ? w->comment : "", m, name,
		    a == SAY_CONFIRM ? "?" : "");
	if (line1 != NULL && asprintf(&out, "%s%s%s%s%s", line1,
	    line2 != NULL ? "\n" : "", line2 != NULL ? line2 : "",
	    prompt != NULL ? "\n" : "", prompt != NULL ? prompt : "") < 0)
		out = NULL;
	free(m);
	free(line1);
	free(line2);
	return out;
}

char *
say_notice(enum say_action a, const struct say_what *w)
{
	return compose(a, w, NULL);
}

char *
say_prompt(enum say_action a, const struct say_what *w)
{
	return compose(a, w, a == SAY_CONFIRM ? "Type yes to allow it: " :
	    a == SAY_PIN || a == SAY_CARD_PIN ? "PIN: " : NULL);
}

char *
say_failure(int r, int retries, const char *comment, const char *why,
    int smartcard)
{
	const char *head = "skagent: ", *pre, *post = "";
	char tries[48], *line = NULL, *c;

	if (comment == NULL)
		comment = "";

	switch (r) {
	case SKA_ERR_TOUCH_REFUSED:
		pre = "touch refused: nothing signed with ";
		break;
	case SKA_ERR_TOUCH_TIMEOUT:
		pre = "no touch in time: nothing signed with ";
		break;
	case SKA_ERR_NO_TOKEN:
		pre = "no security key plugged in: plug in the one with ";
		break;
	case SKA_ERR_TOKEN_NOT_FOUND:
		pre = "no security key plugged in holds ";
		break;
	case SKA_ERR_TOKEN_GONE:
		pre = "the security key went away: nothing signed with ";
		break;
	case SKA_ERR_PIN_INVALID:
		pre = "wrong PIN for ";
		if (retries >= 0) {
			snprintf(tries, sizeof(tries), ", %d %s left", retries,
			    retries == 1 ? "try" : "tries");
			post = tries;
		}
		break;
	case SKA_ERR_PIN_AUTH_BLOCKED:
		pre = "too many wrong PINs for ";
		post = ": unplug the key, plug it in";
		break;
	case SKA_ERR_PIN_BLOCKED:
		pre = "PIN blocked for ";
		post = smartcard ? ": unblock it with the card's PUK" :
		    ": only a reset of the security key helps";
		break;
	case SKA_ERR_PIN_REQUIRED:
		pre = "no PIN given: nothing signed with ";
		break;
	case SKA_ERR_UV_REQUIRED:
	case SKA_ERR_PIN_NOT_SET:
		pre = "no PIN set on the security key that holds ";
		break;
	case SKA_ERR_CONFIRM_DENIED:
		pre = "use declined: nothing signed with ";
		break;
	case SKA_ERR_PROMPT_UNAVAILABLE:
		pre = "";
		post = why != NULL ? why : "no terminal or display";
		break;
	default:
		return NULL;
	}
	if (r == SKA_ERR_PROMPT_UNAVAILABLE)
		return fit("skagent: cannot ask (", comment, "): ", post, "");
	if (asprintf(&c, "%s%s", head, pre) < 0)
		return NULL;
	line = fit(c, comment, post, "", "");
	free(c);
	return line;
}
