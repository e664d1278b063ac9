/*
 * A PKCS#11 key that needs the PIN for every signature, for the tests:
 * softhsm2-util cannot set CKA_ALWAYS_AUTHENTICATE.
 *
 *   p11-always-auth MODULE PIN LABEL
 *	generates an ECDSA P-256 key pair on the module's first token, the
 *	private key CKA_ALWAYS_AUTHENTICATE=TRUE, both labelled LABEL
 *	(CKA_ID 0x9c); prints nothing.
 *   p11-always-auth -c MODULE PIN LABEL
 *	checks that the module enforces it: a C_Sign with that key after
 *	C_SignInit alone, then after a context-specific login with a wrong
 *	PIN, then with PIN; prints "without: RV", "wrong: RV" and "with: RV"
 *	(C_Sign's return values in hex), one a line.
 *
 * Exit status 0 when done (whatever the checks printed), 1 on failure.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR f;

static int
fail(const char *what, CK_RV rv)
{
	fprintf(stderr, "p11-always-auth: %s: 0x%lx\n", what, (unsigned long)rv);
	return 1;
}

static CK_RV
try_sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, const char *pin)
{
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
	CK_BYTE hash[32], sig[256];
	CK_ULONG siglen = sizeof(sig);
	CK_RV rv;

	memset(hash, 0x5a, sizeof(hash));
	if ((rv = f->C_SignInit(s, &mech, key)) != CKR_OK)
		return rv;
	if (pin != NULL && (rv = f->C_Login(s, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR_PTR)(uintptr_t)pin, strlen(pin))) != CKR_OK) {
		fprintf(stderr, "p11-always-auth: context login: 0x%lx\n",
		    (unsigned long)rv);
	}
	/* ends the operation whatever the login gave */
	return f->C_Sign(s, hash, sizeof(hash), sig, &siglen);
}

int
main(int argc, char **argv)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	    0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
	CK_BYTE id[] = { 0x9c };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_C_GetFunctionList getfl;
	CK_SLOT_ID slots[16];
	CK_ULONG nslots = 16, n = 0;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE pub, priv;
	CK_RV rv;
	const char *module, *pin, *label;
	void *dl;
	int check = 0;

	if (argc == 5 && strcmp(argv[1], "-c") == 0) {
		check = 1;
		argv++;
		argc--;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: p11-always-auth [-c] MODULE PIN LABEL\n");
		return 1;
	}
	module = argv[1];
	pin = argv[2];
	label = argv[3];
	if ((dl = dlopen(module, RTLD_NOW)) == NULL ||
	    (getfl = (CK_C_GetFunctionList)dlsym(dl,
	    "C_GetFunctionList")) == NULL) {
		fprintf(stderr, "p11-always-auth: %s: %s\n", module, dlerror());
		return 1;
	}
	if ((rv = getfl(&f)) != CKR_OK)
		return fail("C_GetFunctionList", rv);
	if ((rv = f->C_Initialize(NULL)) != CKR_OK)
		return fail("C_Initialize", rv);
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &nslots)) != CKR_OK ||
	    nslots == 0)
		return fail("C_GetSlotList (no token?)", rv);
	if ((rv = f->C_OpenSession(slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s)) != CKR_OK)
		return fail("C_OpenSession", rv);
	if ((rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)(uintptr_t)pin,
	    strlen(pin))) != CKR_OK)
		return fail("C_Login", rv);
	if (!check) {
		CK_ATTRIBUTE pubt[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_VERIFY, &yes, sizeof(yes) },
			{ CKA_EC_PARAMS, p256, sizeof(p256) },
			{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
			{ CKA_ID, id, sizeof(id) },
		};
		CK_ATTRIBUTE privt[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &yes, sizeof(yes) },
			{ CKA_SENSITIVE, &yes, sizeof(yes) },
			{ CKA_SIGN, &yes, sizeof(yes) },
			{ CKA_ALWAYS_AUTHENTICATE, &yes, sizeof(yes) },
			{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
			{ CKA_ID, id, sizeof(id) },
		};

		if ((rv = f->C_GenerateKeyPair(s, &gen, pubt, 5, privt, 7,
		    &pub, &priv)) != CKR_OK)
			return fail("C_GenerateKeyPair", rv);
	} else {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &priv_class, sizeof(priv_class) },
			{ CKA_LABEL, (void *)(uintptr_t)label, strlen(label) },
		};

		if ((rv = f->C_FindObjectsInit(s, t, 2)) != CKR_OK ||
		    (rv = f->C_FindObjects(s, &priv, 1, &n)) != CKR_OK ||
		    (rv = f->C_FindObjectsFinal(s)) != CKR_OK || n != 1)
			return fail("no such private key", rv);
		printf("without: 0x%lx\n", (unsigned long)try_sign(s, priv,
		    NULL));
		printf("wrong: 0x%lx\n", (unsigned long)try_sign(s, priv,
		    "999999"));
		printf("with: 0x%lx\n", (unsigned long)try_sign(s, priv, pin));
	}
	(void)f->C_Logout(s);
	(void)f->C_CloseSession(s);
	(void)f->C_Finalize(NULL);
	return 0;
}
