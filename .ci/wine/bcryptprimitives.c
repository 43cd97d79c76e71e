/*
 * A stand-in for bcryptprimitives.dll under Wine 8, which lacks it.
 *
 * Rust >= 1.78 Windows binaries import ProcessPrng from bcryptprimitives.dll for their random
 * numbers (HashMap seeds and the like). Wine 8.0 does not ship that DLL, so every test
 * executable fails to load (exit status 53, no output). This DLL exports ProcessPrng and
 * answers it from the system RNG through BCryptGenRandom, which Wine does implement.
 *
 * Built by .ci/wine-tests with mingw-w64 and copied into the throw-away Wine prefix; it is
 * never part of the crate.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
