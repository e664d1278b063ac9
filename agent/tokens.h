/*
 * The agent's own security keys (sk.c): the token layer's context, made
 * by main.c from --token, used by signatures, probes and the status view.
 */
#ifndef SKA_TOKENS_H
#define SKA_TOKENS_H

struct token_ctx;

extern struct token_ctx *agent_tokens;

/* At exit, after the pools have stopped. */
void sk_shutdown(void);

#endif
